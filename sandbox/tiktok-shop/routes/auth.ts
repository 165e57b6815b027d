/**
 * Authorization service (`/api/v2/token/*`, unsigned, app_secret in the query) and the signed
 * authorized-shops API. Reference §2.2.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { invalidRequest, TtsCode, TtsError } from '../errors.js';
import { type Endpoint, parseOrThrow, sendEnvelope, sendError } from '../gateway.js';
import type { TtsRuntime } from '../runtime.js';
import type { TtsApp, TtsGrant } from '../store.js';

const tokenGetQuery = z.object({
  app_key: z.string().min(1),
  app_secret: z.string().min(1),
  auth_code: z.string().min(1),
  grant_type: z.literal('authorized_code'),
});

const tokenRefreshQuery = z.object({
  app_key: z.string().min(1),
  app_secret: z.string().min(1),
  refresh_token: z.string().min(1),
  grant_type: z.literal('refresh_token'),
});

const GRANTED_SCOPES = [
  'seller.authorization.info',
  'seller.product.basic',
  'seller.order.info',
  'seller.product.write',
];

function newToken(): string {
  // Real tokens are long opaque strings prefixed by region; randomness here is not security-relevant.
  return `ROW_${randomBytes(24).toString('base64url')}`;
}

function checkAppCredentials(rt: TtsRuntime, appKey: string, appSecret: string): TtsApp {
  const app = rt.state.apps[appKey];
  if (!app || app.appSecret !== appSecret) throw invalidRequest('Invalid app_key or app_secret');
  return app;
}

function issueTokens(rt: TtsRuntime, grant: Omit<TtsGrant, 'expiresAt'>, refreshToken?: string) {
  const now = rt.nowSeconds();
  const { settings } = rt.state;
  const accessToken = newToken();
  rt.state.accessTokens[accessToken] = { ...grant, expiresAt: now + settings.accessTokenTtlSeconds };
  let refresh = refreshToken;
  if (refresh === undefined) {
    refresh = newToken();
    rt.state.refreshTokens[refresh] = { ...grant, expiresAt: now + settings.refreshTokenTtlSeconds };
  }
  const refreshGrant = rt.state.refreshTokens[refresh];
  return {
    access_token: accessToken,
    access_token_expire_in: now + settings.accessTokenTtlSeconds,
    refresh_token: refresh,
    refresh_token_expire_in: refreshGrant?.expiresAt ?? now + settings.refreshTokenTtlSeconds,
    open_id: grant.openId,
    seller_name: grant.sellerName,
    seller_base_region: 'ID',
    user_type: 0,
    granted_scopes: GRANTED_SCOPES,
  };
}

export function registerAuthServiceRoutes(app: FastifyInstance, rt: TtsRuntime): void {
  // api/v2/token/get (Get Access Token): exchange a single-use auth code valid 30 minutes.
  app.get('/api/v2/token/get', async (request, reply) => {
    try {
      const query = parseOrThrow(tokenGetQuery, request.query);
      const client = checkAppCredentials(rt, query.app_key, query.app_secret);
      const code = rt.state.authCodes[query.auth_code];
      if (!code || code.appKey !== client.appKey || code.used || code.expiresAtMs <= rt.ctx.clock.nowMs()) {
        throw new TtsError(TtsCode.authRecordNotFound, 'can not find related auth record');
      }
      code.used = true;
      const first = code.shopIds[0];
      const sellerName = (first ? rt.state.shops[first]?.name : undefined) ?? 'Seller';
      const data = issueTokens(rt, {
        appKey: client.appKey,
        openId: code.openId,
        sellerName,
        shopIds: code.shopIds,
      });
      return sendEnvelope(rt, reply, 200, 0, 'success', data);
    } catch (error) {
      return sendError(rt, reply, error);
    }
  });

  // api/v2/token/refresh (Refresh Access Token): new access token; refresh token kept unless rotation is configured.
  app.get('/api/v2/token/refresh', async (request, reply) => {
    try {
      const query = parseOrThrow(tokenRefreshQuery, request.query);
      const client = checkAppCredentials(rt, query.app_key, query.app_secret);
      const grant = rt.state.refreshTokens[query.refresh_token];
      if (!grant || grant.appKey !== client.appKey) {
        throw new TtsError(TtsCode.authRecordNotFound, 'can not find related auth record');
      }
      if (grant.expiresAt <= rt.nowSeconds())
        throw new TtsError(TtsCode.refreshTokenExpired, 'rt has expired');
      const { expiresAt: _expiresAt, ...identity } = grant;
      let keep: string | undefined = query.refresh_token;
      if (rt.state.settings.rotateRefreshToken) {
        delete rt.state.refreshTokens[query.refresh_token];
        keep = undefined;
      }
      return sendEnvelope(rt, reply, 200, 0, 'success', issueTokens(rt, identity, keep));
    } catch (error) {
      return sendError(rt, reply, error);
    }
  });
}

export const authorizationEndpoints: Endpoint[] = [
  // seller/202309/shops (Get Active Shops)
  {
    method: 'GET',
    module: 'seller',
    pattern: 'shops',
    name: 'Get Active Shops',
    shopCipher: 'forbidden',
    handle: ({ rt, grant }) => ({
      shops: grant.shopIds.flatMap((id) => {
        const shop = rt.state.shops[id];
        return shop ? [{ id: shop.id, region: shop.region }] : [];
      }),
    }),
  },
  // authorization/202309/shops (Get Authorized Shops)
  {
    method: 'GET',
    module: 'authorization',
    pattern: 'shops',
    name: 'Get Authorized Shops',
    shopCipher: 'forbidden',
    handle: ({ rt, grant }) => ({
      shops: grant.shopIds.flatMap((id) => {
        const shop = rt.state.shops[id];
        return shop
          ? [
              {
                id: shop.id,
                name: shop.name,
                region: shop.region,
                seller_type: shop.sellerType,
                cipher: shop.cipher,
                code: shop.code,
              },
            ]
          : [];
      }),
    }),
  },
];
