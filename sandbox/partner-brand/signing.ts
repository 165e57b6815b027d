/**
 * Partner-brand request signature (docs/partner-brand-api.yaml, "Signing"):
 *
 *   X-Partner-Signature = lower-hex HMAC-SHA256(secret,
 *     `${timestamp}\n${METHOD}\n${path + query}\n${sha256hex(rawBody)}`)
 *
 * `path + query` is the request target exactly as sent below the base URL (e.g.
 * `/v1/sales-reports?from=...&to=...`); an empty body hashes as the empty string.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A string is hashed as its UTF-8 bytes; a Buffer as the exact bytes received. */
export function sha256Hex(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export function canonicalString(
  timestamp: string,
  method: string,
  target: string,
  rawBody: string | Buffer,
): string {
  return `${timestamp}\n${method.toUpperCase()}\n${target}\n${sha256Hex(rawBody)}`;
}

export function signPartnerRequest(
  secret: string,
  timestamp: string,
  method: string,
  target: string,
  rawBody: string | Buffer,
): string {
  return createHmac('sha256', secret)
    .update(canonicalString(timestamp, method, target, rawBody), 'utf8')
    .digest('hex');
}

export function signatureMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
