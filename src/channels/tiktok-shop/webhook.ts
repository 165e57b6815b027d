/**
 * TikTok Shop webhook verification (reference §2.7; sync-pitfalls B): `Authorization` is the lower-case
 * hex HMAC-SHA256, keyed with the app secret, of `app_key + raw body`. The signature has no timestamp,
 * so replays verify; they only ever trigger a pull, which is idempotent.
 */
import type { RawWebhook, WebhookEvent, WebhookVerifier } from '../types.js';
import { headerValue, hmacHexMatches, jsonObject } from '../webhook-signature.js';

/** Envelope `type` → event name (reference §2.7 table), for logs and metrics. */
const EVENT_NAMES: Readonly<Record<number, string>> = {
  1: 'ORDER_STATUS_CHANGE',
  2: 'REVERSE_ORDER_STATUS_CHANGE',
  3: 'RECIPIENT_ADDRESS_UPDATE',
  4: 'PACKAGE_UPDATE',
  5: 'PRODUCT_STATUS_CHANGE',
  6: 'SELLER_DEAUTHORIZATION',
  7: 'UPCOMING_AUTHORIZATION_EXPIRATION',
  11: 'CANCELLATION_STATUS_CHANGE',
  12: 'RETURN_STATUS_CHANGE',
  15: 'PRODUCT_INFORMATION_CHANGE',
  16: 'PRODUCT_CREATION',
};

export function createTiktokShopWebhookVerifier(app: { appKey: string; appSecret: string }): WebhookVerifier {
  return (request: RawWebhook): WebhookEvent | null => {
    const message = Buffer.concat([Buffer.from(app.appKey, 'utf8'), request.rawBody]);
    if (!hmacHexMatches(app.appSecret, message, headerValue(request, 'authorization'))) return null;
    const body = jsonObject(request.rawBody);
    if (!body) return null;
    const shopId = body.shop_id;
    const type = body.type;
    if (typeof shopId !== 'string' && typeof shopId !== 'number') return null;
    if (typeof type !== 'number') return null;
    return { externalShopId: String(shopId), kind: EVENT_NAMES[type] ?? String(type) };
  };
}
