/**
 * Shopee push verification (reference §1.8; sync-pitfalls A): `Authorization` is the lower-case hex
 * HMAC-SHA256, keyed with the partner key, of `<callback URL as registered> + "|" + <raw body>`. The URL
 * must be the public one Shopee called, not what the app sees behind a proxy.
 */
import type { RawWebhook, WebhookEvent, WebhookVerifier } from '../types.js';
import { headerValue, hmacHexMatches, jsonObject } from '../webhook-signature.js';

export function createShopeeWebhookVerifier(partnerKey: string): WebhookVerifier {
  return (request: RawWebhook): WebhookEvent | null => {
    const message = Buffer.concat([Buffer.from(`${request.url}|`, 'utf8'), request.rawBody]);
    if (!hmacHexMatches(partnerKey, message, headerValue(request, 'authorization'))) return null;
    const body = jsonObject(request.rawBody);
    if (!body) return null;
    const shopId = body.shop_id;
    const code = body.code;
    if (typeof code !== 'number' && typeof code !== 'string') return null;
    // Partner-level pushes (and the test push sent when the callback is saved) name no shop.
    const externalShopId =
      typeof shopId === 'number' || (typeof shopId === 'string' && /^\d+$/.test(shopId))
        ? String(shopId)
        : '';
    return { externalShopId, kind: String(code) };
  };
}
