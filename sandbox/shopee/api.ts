import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { annotateCall } from '../core/call-log.js';
import { clientInputError } from '../core/errors.js';
import { errorBody, requestId, successBody } from './envelope.js';
import { ShopeeError, shopeeErrors } from './errors.js';
import type { ShopeeRuntime } from './runtime.js';
import { hmacHex, publicBaseString, shopBaseString } from './signing.js';
import type { ShopeeApp } from './store.js';

export type Query = Record<string, string | string[] | undefined>;

export interface PublicCall {
  request: FastifyRequest;
  query: Query;
  body: Record<string, unknown>;
  partner: ShopeeApp;
}

export interface ShopCall extends PublicCall {
  shopId: number;
}

/** First value of a query parameter (Shopee repeats keys for arrays). */
export function queryValue(query: Query, key: string): string | undefined {
  const value = query[key];
  return Array.isArray(value) ? value[0] : value;
}

const digits = /^\d+$/;

/**
 * Checks the common parameters of a public API call in the documented order: presence, timestamp
 * window (sandbox clock), partner, then the signature over the platform path (never the `/shopee` prefix).
 */
export function verifyPublic(rt: ShopeeRuntime, query: Query, path: string): ShopeeApp {
  const { partnerId, timestamp, sign } = commonParams(query);
  checkTimestamp(rt, Number(timestamp));
  const partner = findPartner(rt, partnerId);
  if (!partner) throw shopeeErrors.invalidPartnerOrShop();
  if (sign !== hmacHex(partner.partnerKey, publicBaseString(partnerId, path, timestamp)))
    throw shopeeErrors.wrongSign();
  return partner;
}

/** partner_id, timestamp and sign, present and well-formed, checked in the documented order. */
function commonParams(query: Query): { partnerId: string; timestamp: string; sign: string } {
  const partnerId = queryValue(query, 'partner_id');
  const timestamp = queryValue(query, 'timestamp');
  const sign = queryValue(query, 'sign');
  if (partnerId === undefined || partnerId === '') throw shopeeErrors.noPartnerId();
  if (timestamp === undefined || !digits.test(timestamp)) throw shopeeErrors.invalidTimestamp();
  if (sign === undefined || sign === '') throw shopeeErrors.noSign();
  return { partnerId, timestamp, sign };
}

function findPartner(rt: ShopeeRuntime, partnerId: string): ShopeeApp | undefined {
  return digits.test(partnerId) ? rt.store.apps.get(Number(partnerId)) : undefined;
}

function checkTimestamp(rt: ShopeeRuntime, timestamp: number): void {
  const now = rt.nowSeconds();
  if (now - timestamp > rt.config.timestampWindowSeconds) throw shopeeErrors.expiredTimestamp();
  if (timestamp - now > rt.config.futureTimestampToleranceSeconds) throw shopeeErrors.invalidTimestamp();
}

function verifyShop(rt: ShopeeRuntime, query: Query, path: string): { partner: ShopeeApp; shopId: number } {
  const { partnerId, timestamp, sign } = commonParams(query);
  const accessToken = queryValue(query, 'access_token');
  const shopId = queryValue(query, 'shop_id');
  if (accessToken === undefined || accessToken === '') throw shopeeErrors.noAccessToken();
  if (shopId === undefined || shopId === '') throw shopeeErrors.noShopId();
  checkTimestamp(rt, Number(timestamp));
  const partner = findPartner(rt, partnerId);
  if (!partner || !digits.test(shopId)) throw shopeeErrors.invalidPartnerOrShop();
  const expected = hmacHex(
    partner.partnerKey,
    shopBaseString(partnerId, path, timestamp, accessToken, shopId),
  );
  if (sign !== expected) throw shopeeErrors.wrongSign();
  const grant = rt.store.accessTokens.get(accessToken);
  if (!grant) throw shopeeErrors.invalidAccessToken();
  if (grant.partnerId !== partner.partnerId || grant.shopId !== Number(shopId))
    throw shopeeErrors.invalidPartnerOrShop();
  if (grant.expiresAt <= rt.nowMs()) throw shopeeErrors.expiredAccessToken();
  if (!rt.store.isLinked(partner.partnerId, grant.shopId)) throw shopeeErrors.invalidPartnerOrShop();
  return { partner, shopId: grant.shopId };
}

/** Per-shop (or per-partner) rate limit, then the partner's daily quota (day boundary 00:00 UTC+8). */
function throttle(rt: ShopeeRuntime, partner: ShopeeApp, shopId: number | undefined): void {
  const perSecond = rt.config.rateLimitPerSecond;
  if (perSecond > 0) {
    const key = shopId === undefined ? `shopee:partner:${partner.partnerId}` : `shopee:shop:${shopId}`;
    if (!rt.ctx.rateLimiter.take(key, perSecond)) throw shopeeErrors.rateLimit();
  }
  const quota = rt.config.dailyCallQuota;
  if (quota > 0) {
    const day = new Date(rt.nowMs() + 8 * 3_600_000).toISOString().slice(0, 10);
    let usage = rt.store.quota.get(partner.partnerId);
    if (!usage || usage.day !== day) {
      usage = { day, count: 0 };
      rt.store.quota.set(partner.partnerId, usage);
    }
    usage.count += 1;
    if (usage.count > quota) throw shopeeErrors.dailyLimit();
  }
}

export function sendShopeeError(
  rt: ShopeeRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
): FastifyReply {
  // Unreadable input raised inside a handler (a broken multipart stream) is the client's error_param.
  const unreadable = err instanceof ShopeeError ? undefined : clientInputError(err);
  const error =
    err instanceof ShopeeError
      ? err
      : unreadable !== undefined
        ? shopeeErrors.param(`Wrong parameters, detail: ${unreadable}`)
        : shopeeErrors.server();
  if (!(err instanceof ShopeeError) && unreadable === undefined) request.log.error(err);
  annotateCall(request, { errorCode: error.code, throttled: error.code === 'error_rate_limit' });
  return reply.code(rt.httpStatusOf(error.code)).send(errorBody(error.code, error.message));
}

interface ApiSpec<C> {
  method: 'GET' | 'POST';
  /** The platform path exactly as documented, e.g. `/api/v2/product/add_item`. */
  path: string;
  /** Auth APIs return their fields at the top level of the envelope instead of under `response`. */
  topLevel?: boolean;
  handler: (call: C) => unknown;
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

function route(rt: ShopeeRuntime, app: FastifyInstance, spec: ApiSpec<ShopCall>, kind: 'shop'): void;
function route(
  rt: ShopeeRuntime,
  app: FastifyInstance,
  spec: ApiSpec<PublicCall>,
  kind: 'public' | 'either',
): void;
function route(
  rt: ShopeeRuntime,
  app: FastifyInstance,
  spec: ApiSpec<ShopCall> | ApiSpec<PublicCall>,
  kind: 'shop' | 'public' | 'either',
): void {
  app.route({
    method: spec.method,
    url: spec.path,
    handler: async (request, reply) => {
      const query = request.query as Query;
      try {
        let result: unknown;
        if (kind === 'shop' || (kind === 'either' && queryValue(query, 'access_token') !== undefined)) {
          const { partner, shopId } = verifyShop(rt, query, spec.path);
          annotateCall(request, { shopId: String(shopId) });
          throttle(rt, partner, shopId);
          result = await (spec.handler as ApiSpec<ShopCall>['handler'])({
            request,
            query,
            body: bodyOf(request),
            partner,
            shopId,
          });
        } else {
          const partner = verifyPublic(rt, query, spec.path);
          throttle(rt, partner, undefined);
          result = await (spec.handler as ApiSpec<PublicCall>['handler'])({
            request,
            query,
            body: bodyOf(request),
            partner,
          });
        }
        return reply.send(successBody(result, spec.topLevel ?? false, requestId()));
      } catch (err) {
        return sendShopeeError(rt, request, reply, err);
      }
    },
  });
}

/** Registers a Shop API (partner_id, timestamp, access_token, shop_id, sign). */
export function shopApi(rt: ShopeeRuntime, app: FastifyInstance, spec: ApiSpec<ShopCall>): void {
  route(rt, app, spec, 'shop');
}

/** Registers a Public API (partner_id, timestamp, sign). */
export function publicApi(rt: ShopeeRuntime, app: FastifyInstance, spec: ApiSpec<PublicCall>): void {
  route(rt, app, spec, 'public');
}

/** Registers an API clients sign either way: as a Shop API when `access_token` is present, else as a Public API. */
export function publicOrShopApi(rt: ShopeeRuntime, app: FastifyInstance, spec: ApiSpec<PublicCall>): void {
  route(rt, app, spec, 'either');
}
