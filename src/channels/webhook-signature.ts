/**
 * Shared pieces of webhook verification: reading one header, and comparing a hex HMAC in constant time
 * (a byte-by-byte early exit would tell a forger how much of the signature was right).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RawWebhook } from './types.js';

export function headerValue(request: RawWebhook, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : undefined;
  }
  return undefined;
}

/** Whether `given` is the lower-case hex HMAC-SHA256 of `message` under `key` (case-insensitive hex). */
export function hmacHexMatches(key: string, message: Buffer, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = createHmac('sha256', key).update(message).digest();
  const trimmed = given.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) return false;
  return timingSafeEqual(expected, Buffer.from(trimmed, 'hex'));
}

/** The body as a JSON object, or undefined when it is not one. */
export function jsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
