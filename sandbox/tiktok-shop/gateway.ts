/**
 * The common request pipeline every signed TikTok Shop API call goes through, in the order the
 * platform reports problems: path and version, common parameters, app, timestamp window, signature,
 * access token, shop_cipher rules, rate limit; then the endpoint handler inside the envelope
 * `{ code, message, request_id, data }`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { annotateCall } from '../core/call-log.js';
import { invalidRequest, TtsCode, TtsError, throttled } from './errors.js';
import type { TtsRuntime } from './runtime.js';
import { signaturesEqual, signRequest } from './signing.js';
import type { TtsApp, TtsGrant, TtsShop } from './store.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface EndpointCall {
  rt: TtsRuntime;
  app: TtsApp;
  grant: TtsGrant;
  /** Present on shop-scoped endpoints. */
  shop: TtsShop | undefined;
  query: Record<string, string>;
  /** Path parameters from `{name}` segments. */
  params: Record<string, string>;
  /** Parsed JSON body (undefined when there is none or the request is multipart). */
  body: unknown;
  request: FastifyRequest;
}

export interface Endpoint {
  method: HttpMethod;
  /** First path segment, e.g. `product`. */
  module: string;
  /** Path after the version, e.g. `products/{product_id}/prices/update`. */
  pattern: string;
  /** Vendor API name, for logs and docs. */
  name: string;
  shopCipher: 'required' | 'forbidden';
  multipart?: boolean;
  handle(call: EndpointCall): unknown;
}

const TIMESTAMP_PAST_WINDOW_S = 5 * 60;
const TIMESTAMP_FUTURE_WINDOW_S = 30;
const VERSION = /^\d{6}$/;

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw invalidRequest(`Invalid request parameters. ${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function matchPattern(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith('{')) {
      if (segment === '') return undefined;
      params[part.slice(1, -1)] = decodeURIComponent(segment);
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}

interface Resolved {
  endpoint: Endpoint;
  params: Record<string, string>;
}

/** Finds the endpoint for a platform path; unknown path → 36009009, bad version → 36009014, wrong method → 36009010. */
export function resolveEndpoint(endpoints: readonly Endpoint[], method: string, path: string): Resolved {
  const [, module = '', version = '', ...rest] = path.split('/');
  const candidates = endpoints.flatMap((endpoint) => {
    if (endpoint.module !== module) return [];
    const params = matchPattern(endpoint.pattern, rest);
    return params ? [{ endpoint, params }] : [];
  });
  if (candidates.length === 0) throw new TtsError(TtsCode.invalidPath, 'Invalid path', 404);
  if (!VERSION.test(version)) throw new TtsError(TtsCode.invalidVersion, `Invalid version: ${version}`);
  const hit = candidates.find((candidate) => candidate.endpoint.method === method);
  if (!hit) throw new TtsError(TtsCode.invalidMethod, `Invalid method: ${method}`, 405);
  return hit;
}

function splitUrl(url: string, prefix: string): { path: string; query: Record<string, string> } {
  const at = url.indexOf('?');
  const rawPath = at === -1 ? url : url.slice(0, at);
  const path = rawPath.startsWith(prefix) ? rawPath.slice(prefix.length) || '/' : rawPath;
  const query: Record<string, string> = {};
  if (at !== -1) for (const [key, value] of new URLSearchParams(url.slice(at + 1))) query[key] = value;
  return { path, query };
}

function parseJsonBody(raw: string | undefined): unknown {
  if (raw === undefined || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw invalidRequest('Invalid request body: not valid JSON');
  }
}

function authenticate(
  rt: TtsRuntime,
  request: FastifyRequest,
  endpoint: Endpoint,
  path: string,
  query: Record<string, string>,
  rawBody: string | undefined,
) {
  const { app_key: appKey, sign, timestamp } = query;
  if (!appKey) throw invalidRequest('Invalid app_key: app_key is required');
  if (!sign) throw invalidRequest('Invalid sign: sign is required');
  if (!timestamp || !/^\d{10}$/.test(timestamp))
    throw invalidRequest('Invalid timestamp: timestamp is required in Unix seconds');
  const app = rt.state.apps[appKey];
  if (!app) throw invalidRequest('Invalid app_key');
  const now = rt.nowSeconds();
  const ts = Number(timestamp);
  if (ts < now - TIMESTAMP_PAST_WINDOW_S)
    throw invalidRequest('Invalid timestamp: the timestamp has expired');
  if (ts > now + TIMESTAMP_FUTURE_WINDOW_S)
    throw invalidRequest('Invalid timestamp: the timestamp is in the future');
  const expected = signRequest({
    appSecret: app.appSecret,
    path,
    query,
    rawBody: endpoint.multipart ? undefined : rawBody,
  });
  if (!signaturesEqual(expected, sign)) throw new TtsError(TtsCode.invalidSign, 'signature is invalid', 401);

  const header = request.headers['x-tts-access-token'];
  const token = Array.isArray(header) ? header[0] : header;
  const grant = token ? rt.state.accessTokens[token] : undefined;
  if (!token || !grant || grant.appKey !== app.appKey) throw invalidRequest('Invalid x-tts-access-token');
  if (grant.expiresAt <= now)
    throw new TtsError(TtsCode.accessTokenExpired, 'Access token is expired, please refresh it');

  let shop: TtsShop | undefined;
  const cipher = query.shop_cipher;
  if (endpoint.shopCipher === 'forbidden') {
    if (cipher !== undefined)
      throw invalidRequest('Unexpected identifier: shop_cipher is not allowed on this API');
  } else {
    if (!cipher) throw new TtsError(TtsCode.missingShopCipher, 'shop_cipher is required');
    shop = rt.store.shopByCipher(cipher);
    if (!shop || !grant.shopIds.includes(shop.id))
      throw invalidRequest('Invalid shop_cipher: shop is unknown or not authorized');
  }
  return { app, grant, shop };
}

export function sendEnvelope(
  rt: TtsRuntime,
  reply: FastifyReply,
  status: number,
  code: number,
  message: string,
  data: unknown,
) {
  annotateCall(reply.request, {
    errorCode: code === 0 ? '' : String(code),
    ...(code === TtsCode.rateLimited ? { throttled: true } : {}),
  });
  return reply
    .status(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify({ code, message, request_id: rt.requestId(), data }));
}

export function sendError(rt: TtsRuntime, reply: FastifyReply, error: unknown) {
  if (error instanceof TtsError)
    return sendEnvelope(rt, reply, error.httpStatus, error.code, error.message, error.data);
  // Not ours: the core's error handler answers unreadable input (a broken multipart stream, a bad
  // body) as the documented HTTP 200 + 36009004, and logs anything else as the sandbox bug it is.
  throw error;
}

/** Runs one signed API call end to end. */
export async function handleApiCall(
  rt: TtsRuntime,
  endpoints: readonly Endpoint[],
  request: FastifyRequest,
  reply: FastifyReply,
) {
  try {
    const { path, query } = splitUrl(request.url, rt.prefix);
    const { endpoint, params } = resolveEndpoint(endpoints, request.method, path);
    const isMultipart = request.headers['content-type']?.startsWith('multipart/form-data') ?? false;
    if (endpoint.multipart && !isMultipart)
      throw new TtsError(TtsCode.wrongContentType, 'Content-Type must be multipart/form-data');
    const rawBody = typeof request.body === 'string' ? request.body : undefined;
    if (!endpoint.multipart && rawBody && !request.headers['content-type']?.includes('application/json')) {
      throw new TtsError(TtsCode.wrongContentType, 'Content-Type must be application/json');
    }
    const { app, grant, shop } = authenticate(rt, request, endpoint, path, query, rawBody);
    if (shop) annotateCall(request, { shopId: shop.id });
    const limitKey = `${app.appKey}|${shop?.id ?? '-'}|${endpoint.method} ${endpoint.module}/${endpoint.pattern}`;
    if (!rt.ctx.rateLimiter.take(limitKey, rt.state.settings.rateLimitPerSecond)) throw throttled();
    rt.settleAudits();
    const body = endpoint.multipart ? undefined : parseJsonBody(rawBody);
    const data = await endpoint.handle({ rt, app, grant, shop, query, params, body, request });
    return sendEnvelope(rt, reply, 200, 0, 'Success', data ?? {});
  } catch (error) {
    return sendError(rt, reply, error);
  }
}
