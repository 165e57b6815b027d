/**
 * Shopee shop authorization (reference §1.2): the signed `auth_partner` link, the code exchange and the
 * refresh. Refresh tokens are single-use and rotate on every refresh: callers must hold the
 * connection's refresh lease and store the returned pair before using it.
 */
import type { AxiosInstance } from 'axios';
import type { ShopeeChannelConfig } from '../../config/env.js';
import { ChannelAuthError, type TokenGrant } from '../auth.js';
import { isNetworkError } from '../http.js';
import { shopeeSign } from './signing.js';

/** Refresh tokens live 30 days; Shopee does not return the expiry (reference §1.2 table). */
const REFRESH_TOKEN_TTL_MS = 30 * 86_400_000;

/** Errors meaning the grant is gone: the seller must authorize again (reference §1.2, sync-pitfalls A). */
const REVOKED = new Set(['refresh_token_expired', 'error_shop_refresh_token', 'invalid_refresh_token']);
const THROTTLED = new Set(['error_rate_limit', 'error_limit', 'error_server', 'error_busy']);

interface ShopeeTokenBody {
  error?: string;
  message?: string;
  access_token?: string;
  refresh_token?: string;
  expire_in?: number;
  shop_id_list?: number[];
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** v2.shop.auth_partner — the classic signed link (valid 5 minutes). `redirect` carries our state. */
export function shopeeAuthorizeUrl(config: ShopeeChannelConfig, redirect: string): string {
  const path = '/api/v2/shop/auth_partner';
  const timestamp = nowSeconds();
  const url = new URL(`${config.baseUrl}${path}`);
  url.searchParams.set('partner_id', String(config.partnerId));
  url.searchParams.set('timestamp', String(timestamp));
  url.searchParams.set(
    'sign',
    shopeeSign(config.partnerKey, { partnerId: config.partnerId, path, timestamp }),
  );
  url.searchParams.set('redirect', redirect);
  return url.toString();
}

async function publicPost(
  http: AxiosInstance,
  config: ShopeeChannelConfig,
  path: string,
  body: Record<string, unknown>,
  context: 'exchange' | 'refresh',
): Promise<ShopeeTokenBody> {
  const timestamp = nowSeconds();
  const sign = shopeeSign(config.partnerKey, { partnerId: config.partnerId, path, timestamp });
  let status: number;
  let data: unknown;
  try {
    const res = await http.post(path, body, {
      params: { partner_id: config.partnerId, timestamp, sign },
    });
    status = res.status;
    data = res.data;
  } catch (err) {
    if (isNetworkError(err))
      throw new ChannelAuthError('transient', undefined, 'Shopee did not answer in time.');
    throw err;
  }
  const envelope = (typeof data === 'object' && data !== null ? data : {}) as ShopeeTokenBody;
  const error = envelope.error ?? '';
  if (status >= 500 || status === 429 || THROTTLED.has(error)) {
    throw new ChannelAuthError('transient', error || `http_${status}`, 'Shopee is busy or unavailable.');
  }
  if (error !== '' || status >= 400 || !envelope.access_token || !envelope.refresh_token) {
    const message = envelope.message || 'no tokens in the answer';
    if (context === 'refresh' && (REVOKED.has(error) || error === 'error_auth')) {
      // `error_auth` on a refresh means the refresh token or the shop link is no longer valid.
      throw new ChannelAuthError(
        'revoked',
        error,
        `Shopee no longer accepts this shop's authorization (${message}).`,
      );
    }
    throw new ChannelAuthError('rejected', error || `http_${status}`, `Shopee refused: ${message}`);
  }
  return envelope;
}

function toGrant(body: ShopeeTokenBody): TokenGrant {
  const now = Date.now();
  return {
    accessToken: body.access_token as string,
    refreshToken: body.refresh_token as string,
    accessExpiresAt: new Date(now + (body.expire_in ?? 14_400) * 1000),
    refreshExpiresAt: new Date(now + REFRESH_TOKEN_TTL_MS),
  };
}

/** v2.public.get_access_token — exchange the single-use code (10 minutes) for the shop's tokens. */
export async function shopeeExchangeCode(
  http: AxiosInstance,
  config: ShopeeChannelConfig,
  code: string,
  shopId: string,
): Promise<TokenGrant> {
  const body = await publicPost(
    http,
    config,
    '/api/v2/auth/token/get',
    { code, partner_id: config.partnerId, shop_id: Number(shopId) },
    'exchange',
  );
  return toGrant(body);
}

/** v2.public.refresh_access_token — returns a new access token AND a new refresh token. */
export async function shopeeRefreshToken(
  http: AxiosInstance,
  config: ShopeeChannelConfig,
  refreshToken: string,
  shopId: string,
): Promise<TokenGrant> {
  const body = await publicPost(
    http,
    config,
    '/api/v2/auth/access_token/get',
    { refresh_token: refreshToken, partner_id: config.partnerId, shop_id: Number(shopId) },
    'refresh',
  );
  return toGrant(body);
}
