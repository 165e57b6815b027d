/**
 * TikTok Shop orders → canonical orders (pure). Source: TikTok Shop API reference, Get Order List /
 * Get Order Detail (order 202309/202507; reference §2.6) and sync-pitfalls B.
 */
import type { CanonicalOrder, CanonicalOrderLine, OrderStatus } from '../../types.js';
import type { TiktokOrder, TiktokOrderLineItem } from '../types.js';

/**
 * TikTok Shop order statuses in canonical terms. ON_HOLD is paid but still cancellable by the buyer
 * for an hour without the seller: not a sale yet (sync-pitfalls B). The order-status webhook spells
 * the cancelled state `CANCEL`; both spellings are read.
 */
export const TIKTOK_ORDER_STATUS: Readonly<Record<string, OrderStatus>> = {
  UNPAID: 'unpaid',
  ON_HOLD: 'on_hold',
  AWAITING_SHIPMENT: 'awaiting_shipment',
  PARTIALLY_SHIPPING: 'awaiting_shipment',
  AWAITING_COLLECTION: 'awaiting_shipment',
  IN_TRANSIT: 'shipped',
  DELIVERED: 'shipped',
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  CANCEL: 'cancelled',
};

export function tiktokOrderStatus(status: string, paid: boolean): OrderStatus {
  return TIKTOK_ORDER_STATUS[status] ?? (paid ? 'awaiting_shipment' : 'unpaid');
}

/** Decimal-string money → integer rupiah. */
const rupiah = (value: string | undefined): number => {
  const n = Number(value ?? '0');
  return Number.isFinite(n) ? Math.round(n) : 0;
};

/** What the buyer paid per unit after the seller's discount (the platform's discount is TikTok's cost). */
function unitPrice(item: TiktokOrderLineItem): number {
  if (item.sale_price !== undefined) return rupiah(item.sale_price);
  return rupiah(item.original_price) - rupiah(item.seller_discount);
}

/**
 * TikTok sends one line item per unit (no quantity field): units of one SKU at one price fold into a
 * canonical line whose quantity is their count. Line items cancelled on their own (`display_status`
 * CANCELLED) become the line's `cancelledQuantity`. The key is the SKU id (plus the price when one SKU
 * sold at two prices), stable across pulls whatever order TikTok lists the units in.
 */
export function tiktokOrderLines(items: readonly TiktokOrderLineItem[]): CanonicalOrderLine[] {
  const groups = new Map<string, TiktokOrderLineItem[]>();
  for (const item of items) {
    const sku = item.sku_id || item.seller_sku || item.id;
    const key = `${sku}\u0000${unitPrice(item)}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const pricesPerSku = new Map<string, number>();
  for (const key of groups.keys()) {
    const sku = key.split('\u0000')[0] as string;
    pricesPerSku.set(sku, (pricesPerSku.get(sku) ?? 0) + 1);
  }
  const lines: CanonicalOrderLine[] = [];
  for (const [key, units] of groups) {
    const [sku, price] = key.split('\u0000') as [string, string];
    const first = units[0] as TiktokOrderLineItem;
    const cancelled = units.filter((u) => u.display_status === 'CANCELLED').length;
    const line: CanonicalOrderLine = {
      lineKey: (pricesPerSku.get(sku) ?? 1) > 1 ? `${sku}:${price}` : sku,
      sellerSku: first.seller_sku ?? '',
      quantity: units.length,
      unitPriceIdr: Number(price),
    };
    if (first.product_id) line.remoteItemId = first.product_id;
    if (first.sku_id) line.remoteVariantId = first.sku_id;
    if (first.product_name) line.title = first.product_name;
    if (cancelled > 0) line.cancelledQuantity = cancelled;
    lines.push(line);
  }
  return lines;
}

export function tiktokCanonicalOrder(order: TiktokOrder): CanonicalOrder {
  const paid = (order.paid_time ?? 0) > 0;
  const status = tiktokOrderStatus(order.status, paid);
  const canonical: CanonicalOrder = {
    externalOrderId: order.id,
    status,
    createdAt: new Date(order.create_time * 1000),
    updatedAt: new Date((order.update_time ?? order.create_time) * 1000),
    lines: tiktokOrderLines(order.line_items ?? []),
  };
  // ON_HOLD orders are paid but not sales yet; once they move on, TikTok's paid_time applies.
  if (paid && status !== 'on_hold' && status !== 'unpaid') {
    canonical.paidAt = new Date((order.paid_time as number) * 1000);
  }
  return canonical;
}
