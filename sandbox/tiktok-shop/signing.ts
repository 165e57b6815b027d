/**
 * TikTok Shop request and webhook signatures (reference §2.3 and §2.7).
 *
 * Request: `app_secret + path + sorted(key + value for query params except sign and access_token)
 * + raw body (omitted for multipart) + app_secret`, HMAC-SHA256 keyed with `app_secret`, lower-case hex.
 * Webhook: HMAC-SHA256 keyed with `app_secret` over `app_key + raw body`, lower-case hex.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Query parameters that never take part in the signature. */
const UNSIGNED_QUERY_KEYS = new Set(['sign', 'access_token']);

export interface SignInput {
  appSecret: string;
  /** Platform path without host, query or sandbox prefix, e.g. `/product/202309/products`. */
  path: string;
  /** Query parameters as received (single values; repeated keys keep their last value). */
  query: Record<string, string>;
  /** Exact raw body bytes as text; `undefined` for multipart or bodiless requests. */
  rawBody?: string | undefined;
}

/** The string the HMAC is computed over (exposed for docs and debugging). */
export function stringToSign(input: SignInput): string {
  const keys = Object.keys(input.query)
    .filter((key) => !UNSIGNED_QUERY_KEYS.has(key))
    .sort();
  let base = input.path;
  for (const key of keys) base += `${key}${input.query[key] ?? ''}`;
  if (input.rawBody !== undefined) base += input.rawBody;
  return `${input.appSecret}${base}${input.appSecret}`;
}

export function signRequest(input: SignInput): string {
  return createHmac('sha256', input.appSecret).update(stringToSign(input), 'utf8').digest('hex');
}

/** Constant-time comparison of two hex signatures; any length mismatch is simply unequal. */
export function signaturesEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Authorization` header value of an outbound webhook. */
export function signWebhook(appKey: string, appSecret: string, rawBody: string): string {
  return createHmac('sha256', appSecret).update(`${appKey}${rawBody}`, 'utf8').digest('hex');
}
