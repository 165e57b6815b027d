/**
 * TikTok Shop authorization (reference §2.2): the seller authorization link, the code exchange and
 * refresh on the authorization service (unsigned, app secret in the query), then the authorized shops
 * (signed API call) for the shop id and `shop_cipher`.
 */
import type { AxiosInstance } from 'axios';
import type { TiktokShopChannelConfig } from '../../config/env.js';
import { ChannelAuthError, type TokenGrant } from '../auth.js';
import { isNetworkError } from '../http.js';
import { tiktokSign } from './signing.js';

/** "can not find related auth record" (36004004/36004005) and "rt has expired" (36004001). */
const REVOKED = new Set([36004001, 36004004, 36004005, 105002]);
const THROTTLED = 36009002;

interface TtsEnvelope<T> {
  code?: number;
  message?: string;
  data?: T;
}

interface TtsTokenData {
  access_token?: string;
  access_token_expire_in?: number;
  refresh_token?: string;
  refresh_token_expire_in?: number;
}

export interface TiktokAuthorizedShop {
  id: string;
  name: string;
  region: string;
  cipher: string;
}

/** The seller authorization page, with our signed state (and the service id when configured). */
export function tiktokAuthorizeUrl(config: TiktokShopChannelConfig, state: string): string {
  const url = new URL(config.authorizeUrl);
  if (config.serviceId) url.searchParams.set('service_id', config.serviceId);
  url.searchParams.set('app_key', config.appKey);
  url.searchParams.set('state', state);
  return url.toString();
}

async function call<T>(
  run: () => Promise<{ status: number; data: unknown }>,
  context: 'exchange' | 'refresh' | 'shops',
): Promise<T> {
  let status: number;
  let data: unknown;
  try {
    ({ status, data } = await run());
  } catch (err) {
    if (isNetworkError(err))
      throw new ChannelAuthError('transient', undefined, 'TikTok Shop did not answer in time.');
    throw err;
  }
  const envelope = (typeof data === 'object' && data !== null ? data : {}) as TtsEnvelope<T>;
  const code = envelope.code;
  if (status >= 500 || status === 429 || code === THROTTLED) {
    throw new ChannelAuthError(
      'transient',
      code === undefined ? `http_${status}` : String(code),
      'TikTok Shop is busy or unavailable.',
    );
  }
  if (code !== 0 || envelope.data === undefined) {
    const message = envelope.message || `HTTP ${status}`;
    const platformCode = code === undefined ? `http_${status}` : String(code);
    if (context === 'refresh' && code !== undefined && REVOKED.has(code)) {
      throw new ChannelAuthError(
        'revoked',
        platformCode,
        `TikTok Shop no longer accepts this shop's authorization (${message}).`,
      );
    }
    throw new ChannelAuthError('rejected', platformCode, `TikTok Shop refused: ${message}`);
  }
  return envelope.data;
}

function toGrant(data: TtsTokenData): TokenGrant {
  if (!data.access_token || !data.refresh_token || !data.access_token_expire_in) {
    throw new ChannelAuthError('rejected', undefined, 'TikTok Shop answered without tokens.');
  }
  // Both expiries are absolute Unix timestamps, not durations (reference §2.2).
  return {
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    accessExpiresAt: new Date(data.access_token_expire_in * 1000),
    refreshExpiresAt: data.refresh_token_expire_in ? new Date(data.refresh_token_expire_in * 1000) : null,
  };
}

/** api/v2/token/get — exchange the single-use auth code (30 minutes). */
export async function tiktokExchangeCode(
  authHttp: AxiosInstance,
  config: TiktokShopChannelConfig,
  code: string,
): Promise<TokenGrant> {
  const data = await call<TtsTokenData>(
    () =>
      authHttp.get('/api/v2/token/get', {
        params: {
          app_key: config.appKey,
          app_secret: config.appSecret,
          auth_code: code,
          grant_type: 'authorized_code',
        },
      }),
    'exchange',
  );
  return toGrant(data);
}

/** api/v2/token/refresh — store whatever refresh token comes back (rotation is not documented). */
export async function tiktokRefreshToken(
  authHttp: AxiosInstance,
  config: TiktokShopChannelConfig,
  refreshToken: string,
): Promise<TokenGrant> {
  const data = await call<TtsTokenData>(
    () =>
      authHttp.get('/api/v2/token/refresh', {
        params: {
          app_key: config.appKey,
          app_secret: config.appSecret,
          refresh_token: refreshToken,
          grant_type: 'refresh_token',
        },
      }),
    'refresh',
  );
  return toGrant(data);
}

/** authorization/202309/shops (Get Authorized Shops) — signed; `shop_cipher` is forbidden here. */
export async function tiktokAuthorizedShops(
  apiHttp: AxiosInstance,
  config: TiktokShopChannelConfig,
  accessToken: string,
): Promise<TiktokAuthorizedShop[]> {
  const path = '/authorization/202309/shops';
  const query: Record<string, string> = {
    app_key: config.appKey,
    timestamp: String(Math.floor(Date.now() / 1000)),
  };
  const sign = tiktokSign(config.appSecret, path, query);
  const data = await call<{ shops?: Array<Partial<TiktokAuthorizedShop>> }>(
    () =>
      apiHttp.get(path, {
        params: { ...query, sign },
        headers: { 'x-tts-access-token': accessToken, 'content-type': 'application/json' },
      }),
    'shops',
  );
  return (data.shops ?? []).flatMap((s) =>
    s.id && s.cipher
      ? [{ id: String(s.id), name: s.name ?? '', region: s.region ?? '', cipher: s.cipher }]
      : [],
  );
}
