/**
 * Test-side sales figures, shared by the suites that compare our pulled orders with the sandbox's
 * own totals. Computed here from `CanonicalOrder`s by the definition above `CanonicalOrder`
 * (src/channels/types.ts), independently of src/services: the comparison proves our adapters and
 * the sandbox agree. The sandbox keeps its own computation (sandbox/core/sales-totals.ts).
 */
import type { CanonicalOrder } from '../../src/channels/types.js';

/** One shop's figures of one Jakarta day, in the shape of the sandbox's `/…/totals` rows. */
export interface FiguresRow {
  shopId: string;
  day: string;
  grossIdr: number;
  netIdr: number;
  units: number;
  orders: number;
}

const PAST_PAYMENT = new Set(['awaiting_shipment', 'shipped', 'completed', 'returned']);

/** The figures of the orders per Jakarta day (created day), sorted by day. */
export function figuresByDay(orders: CanonicalOrder[], shopId: string): FiguresRow[] {
  const days = new Map<string, FiguresRow>();
  for (const o of orders) {
    if (o.status === 'unpaid' || o.status === 'on_hold') continue;
    if (!(o.paidAt || PAST_PAYMENT.has(o.status))) continue;
    const day = new Date(o.createdAt.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
    const row = days.get(day) ?? { shopId, day, grossIdr: 0, netIdr: 0, units: 0, orders: 0 };
    row.orders += 1;
    for (const l of o.lines) {
      row.grossIdr += l.quantity * l.unitPriceIdr;
      const back =
        o.status === 'cancelled' || o.status === 'returned'
          ? l.quantity
          : Math.min(l.quantity, (l.cancelledQuantity ?? 0) + (l.returnedQuantity ?? 0));
      row.netIdr += (l.quantity - back) * l.unitPriceIdr;
      row.units += l.quantity - back;
    }
    days.set(day, row);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/** Shopee order statuses the scale suites script in the sandbox (COMPLETED twice: most orders end so). */
export const SHOPEE_STATUS_MIX = [
  'READY_TO_SHIP',
  'PROCESSED',
  'SHIPPED',
  'COMPLETED',
  'COMPLETED',
  'IN_CANCEL',
  'CANCELLED',
  'TO_RETURN',
  'UNPAID',
];

/** TikTok Shop (Tokopedia) order statuses the scale suites script in the sandbox. */
export const TIKTOK_STATUS_MIX = [
  'AWAITING_SHIPMENT',
  'IN_TRANSIT',
  'DELIVERED',
  'COMPLETED',
  'CANCELLED',
  'ON_HOLD',
  'UNPAID',
];
