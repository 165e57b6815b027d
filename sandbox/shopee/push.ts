import type { ShopeeRuntime } from './runtime.js';
import { pushAuthorization } from './signing.js';
import type { PushMessage, ShopeeApp, ShopeeOrder } from './store.js';

export const ORDER_STATUS_PUSH = 3;

/**
 * Stores a push for every partner linked to the shop and, where a callback URL is configured, sends it
 * signed with `Authorization` = HMAC(partner_key, url + "|" + body). Every push is kept so the lost-push
 * APIs can return the ones that were never acknowledged.
 */
export function emitOrderStatusPush(rt: ShopeeRuntime, order: ShopeeOrder): void {
  const timestamp = rt.nowSeconds();
  // Field order as in Shopee's own samples; the body bytes are signed, so they must never be re-serialised.
  const body = JSON.stringify({
    data: {
      items: [],
      ordersn: order.orderSn,
      status: order.status,
      completed_scenario: '',
      update_time: order.updateTime,
    },
    shop_id: order.shopId,
    code: ORDER_STATUS_PUSH,
    timestamp,
  });
  for (const app of rt.store.partnersOf(order.shopId))
    push(rt, app, order.shopId, ORDER_STATUS_PUSH, body, timestamp);
}

function push(
  rt: ShopeeRuntime,
  app: ShopeeApp,
  shopId: number,
  code: number,
  body: string,
  timestamp: number,
): void {
  rt.store.sequence.push += 1;
  const message: PushMessage = {
    messageId: rt.store.sequence.push,
    partnerId: app.partnerId,
    shopId,
    code,
    timestamp,
    body,
    delivery: 'none',
    consumed: false,
  };
  rt.store.pushes.push(message);
  if (rt.store.pushes.length > 20_000) prunePushes(rt);
  const url = app.pushCallbackUrl;
  if (url === undefined || !app.pushCodes.includes(code)) return;
  message.delivery = 'sending';
  rt.ctx.webhooks
    .send(
      {
        platform: 'shopee',
        url,
        headers: {
          'content-type': 'application/json',
          authorization: pushAuthorization(app.partnerKey, url, body),
        },
        body,
      },
      {
        retryDelaysMs: rt.config.pushRetryDelaysMs,
        // Documented acknowledgement: HTTP 2xx with an empty body.
        isAck: (status, text) => status >= 200 && status < 300 && text.trim() === '',
      },
    )
    .then(
      (record) => {
        message.delivery = record.state === 'delivered' ? 'acked' : record.id;
      },
      () => {
        message.delivery = 'none';
      },
    );
}

/** Forgets pushes that can never be returned again: acknowledged, consumed, or older than the retention. */
function prunePushes(rt: ShopeeRuntime): void {
  const since = rt.nowSeconds() - rt.config.lostPushRetentionSeconds;
  rt.store.pushes = rt.store.pushes.filter(
    (p) => p.timestamp >= since && !p.consumed && (p.delivery === 'sending' || isLostPush(rt, p)),
  );
}

/**
 * A push is lost when it was never sent (no callback) or its latest attempt was not acknowledged.
 * `delivery` is `none`, `sending` (first attempt in flight), `acked`, or the id of a delivery still retrying.
 */
export function isLostPush(rt: ShopeeRuntime, message: PushMessage): boolean {
  if (message.consumed || message.delivery === 'acked' || message.delivery === 'sending') return false;
  if (message.delivery === 'none') return true;
  const record = rt.ctx.webhooks.get(message.delivery);
  // Forgotten by the sender or lost in a restart: nobody confirmed it, so the client must fetch it.
  if (!record) return true;
  if (record.state === 'delivered') {
    message.delivery = 'acked';
    return false;
  }
  return record.attempts.length > 0;
}
