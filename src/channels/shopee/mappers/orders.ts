/**
 * Shopee orders → canonical orders (pure). Source: Shopee Open Platform v2 `v2.order.get_order_detail`
 * (reference §1.7) and sync-pitfalls A (opt-in fields, bundle prices, partial cancellations).
 */
import type { CanonicalOrder, CanonicalOrderLine, OrderStatus } from '../../types.js';
import type { ShopeeOrderDetail, ShopeeOrderItem } from '../types.js';

/**
 * Shopee's order statuses (v2 data definition) in canonical terms. Every documented value is listed,
 * so an unknown one is noticed (it maps to `awaiting_shipment` only if the order was paid; see below).
 * - IN_CANCEL is a cancellation *request* on a paid order: the seller may still refuse it, so the order
 *   is still a sale waiting to ship (sync-pitfalls: cancelled only once Shopee says CANCELLED).
 * - TO_RETURN is the buyer's return in progress: the only return signal the order API gives, so the
 *   order counts as returned; a refused return moves it back to COMPLETED (a backward move the ingest
 *   takes as the current state).
 * - INVOICE_PENDING (paid, waiting for the seller's invoice) and PENDING (paid, still being checked,
 *   only with `request_order_status_pending`) have not reached fulfilment: PENDING is held like TikTok's
 *   ON_HOLD, INVOICE_PENDING is paid and waits to ship.
 */
export const SHOPEE_ORDER_STATUS: Readonly<Record<string, OrderStatus>> = {
  UNPAID: 'unpaid',
  PENDING: 'on_hold',
  INVOICE_PENDING: 'awaiting_shipment',
  READY_TO_SHIP: 'awaiting_shipment',
  PROCESSED: 'awaiting_shipment',
  RETRY_SHIP: 'awaiting_shipment',
  IN_CANCEL: 'awaiting_shipment',
  SHIPPED: 'shipped',
  TO_CONFIRM_RECEIVE: 'shipped',
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  TO_RETURN: 'returned',
};

/** `get_order_detail` fields that come back only when named (the rest are defaults). */
export const SHOPEE_ORDER_DETAIL_FIELDS = ['item_list', 'pay_time', 'total_amount', 'cancel_by'] as const;

export function shopeeOrderStatus(status: string, paid: boolean): OrderStatus {
  return SHOPEE_ORDER_STATUS[status] ?? (paid ? 'awaiting_shipment' : 'unpaid');
}

const integer = (value: number | undefined): number => Math.round(value ?? 0);

/**
 * One line per (item, model); repeated entries of the same model (add-on deals, split packages) are
 * folded. Entries of one model at different prices stay separate lines keyed by price, so gross stays
 * Σ quantity × price exactly.
 */
export function shopeeOrderLines(items: readonly ShopeeOrderItem[]): CanonicalOrderLine[] {
  const byModel = new Map<string, ShopeeOrderItem[]>();
  for (const item of items) {
    const key = `${item.item_id}:${item.model_id ?? 0}`;
    byModel.set(key, [...(byModel.get(key) ?? []), item]);
  }
  const lines: CanonicalOrderLine[] = [];
  for (const [key, entries] of byModel) {
    const prices = new Set(entries.map((e) => integer(e.model_discounted_price)));
    for (const price of prices) {
      const same = entries.filter((e) => integer(e.model_discounted_price) === price);
      const first = same[0] as ShopeeOrderItem;
      const quantity = same.reduce((sum, e) => sum + (e.model_quantity_purchased ?? 0), 0);
      const cancelled = same.reduce((sum, e) => sum + (e.cancelled_qty ?? 0), 0);
      const line: CanonicalOrderLine = {
        lineKey: prices.size === 1 ? key : `${key}:${price}`,
        // The seller SKU to match is the model's, or the item's for an item without models.
        sellerSku: first.model_sku || first.item_sku || '',
        remoteItemId: String(first.item_id),
        remoteVariantId: String(first.model_id ?? 0),
        quantity,
        unitPriceIdr: price,
      };
      if (first.item_name) line.title = first.item_name;
      if (cancelled > 0) line.cancelledQuantity = Math.min(cancelled, quantity);
      lines.push(line);
    }
  }
  return lines;
}

export function shopeeCanonicalOrder(order: ShopeeOrderDetail): CanonicalOrder {
  const paid = (order.pay_time ?? 0) > 0;
  const status = shopeeOrderStatus(order.order_status, paid);
  const canonical: CanonicalOrder = {
    externalOrderId: order.order_sn,
    status,
    createdAt: new Date(order.create_time * 1000),
    updatedAt: new Date(order.update_time * 1000),
    lines: shopeeOrderLines(order.item_list ?? []),
  };
  // A held order is not a sale yet, whatever the payment; everything else keeps Shopee's pay time.
  if (paid && status !== 'on_hold') canonical.paidAt = new Date((order.pay_time as number) * 1000);
  return canonical;
}
