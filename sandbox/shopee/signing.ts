import { createHmac } from 'node:crypto';

/** Lower-case hex HMAC-SHA256 with the partner key, the only digest Shopee v2 uses. */
export function hmacHex(partnerKey: string, message: string): string {
  return createHmac('sha256', partnerKey).update(message).digest('hex');
}

/** Public API base string: partner_id + api_path + timestamp (no separators). */
export function publicBaseString(
  partnerId: number | string,
  path: string,
  timestamp: number | string,
): string {
  return `${partnerId}${path}${timestamp}`;
}

/** Shop API base string: partner_id + api_path + timestamp + access_token + shop_id. */
export function shopBaseString(
  partnerId: number | string,
  path: string,
  timestamp: number | string,
  accessToken: string,
  shopId: number | string,
): string {
  return `${partnerId}${path}${timestamp}${accessToken}${shopId}`;
}

/** Push `Authorization` header: HMAC over the full callback URL, a pipe, and the exact body bytes. */
export function pushAuthorization(partnerKey: string, callbackUrl: string, body: string): string {
  return hmacHex(partnerKey, `${callbackUrl}|${body}`);
}
