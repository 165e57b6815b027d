/**
 * Sales rules (pure): which way an order's status may move, whether an order counts, and what each
 * line contributes to the figures. The one definition of the figures is the doc comment above
 * `CanonicalOrder` (src/channels/types.ts); this module implements it and nothing else does.
 */
import type { OrderStatus } from '../channels/types.js';

const JAKARTA_OFFSET_MS = 7 * 3_600_000; // Asia/Jakarta is UTC+7 all year (no daylight saving)

/** The Jakarta calendar day (`YYYY-MM-DD`) of an instant. */
export function jakartaDay(at: Date): string {
  return new Date(at.getTime() + JAKARTA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant a Jakarta day starts (`YYYY-MM-DD` → its 00:00 WIB in UTC). */
export function jakartaDayStart(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) - JAKARTA_OFFSET_MS);
}

/**
 * How far along an order is. A status only ever moves to a higher rank: webhooks and overlapping
 * pulls arrive out of order (sync-pitfalls C), and a stale "awaiting_shipment" must not revive a
 * cancelled order. `cancelled` is final except for a `returned` (a return is the later event in an
 * order's life); ranks are strict, so the stored status never depends on the order of arrival.
 */
const STATUS_RANK: Record<OrderStatus, number> = {
  unpaid: 0,
  on_hold: 1,
  awaiting_shipment: 2,
  shipped: 3,
  completed: 4,
  cancelled: 5,
  returned: 6,
};

/** The status to keep when `incoming` arrives for an order stored as `stored`. */
export function forwardStatus(stored: OrderStatus, incoming: OrderStatus): OrderStatus {
  return STATUS_RANK[incoming] > STATUS_RANK[stored] ? incoming : stored;
}

const PAST_PAYMENT: ReadonlySet<OrderStatus> = new Set([
  'awaiting_shipment',
  'shipped',
  'completed',
  'returned',
]);

/** Whether an order counts: paid, or in a status past payment (an order cancelled unpaid never counts). */
export function orderCounts(status: OrderStatus, paidAt: Date | null | undefined): boolean {
  return paidAt != null || PAST_PAYMENT.has(status);
}

export interface LineQuantities {
  quantity: number;
  unitPriceIdr: number;
  /** Units the platform reports cancelled or returned on this line alone. */
  cancelledQuantity: number;
  returnedQuantity: number;
}

export interface LineFigures {
  /** Units taken back by cancellation and by return (a cancelled/returned order takes back all). */
  cancelledUnits: number;
  returnedUnits: number;
  grossIdr: number;
  netIdr: number;
  /** Net units. */
  units: number;
}

/** What one line contributes, given its order's status and whether the order counts. */
export function lineFigures(line: LineQuantities, status: OrderStatus, counted: boolean): LineFigures {
  const q = line.quantity;
  let returnedUnits = Math.min(line.returnedQuantity, q);
  let cancelledUnits = Math.min(line.cancelledQuantity, q - returnedUnits);
  if (status === 'cancelled') cancelledUnits = q - returnedUnits;
  else if (status === 'returned') returnedUnits = q - cancelledUnits;
  if (!counted) return { cancelledUnits, returnedUnits, grossIdr: 0, netIdr: 0, units: 0 };
  const units = q - cancelledUnits - returnedUnits;
  return {
    cancelledUnits,
    returnedUnits,
    grossIdr: q * line.unitPriceIdr,
    netIdr: units * line.unitPriceIdr,
    units,
  };
}

/** Sums of the figures. */
export interface SalesFigures {
  grossIdr: number;
  netIdr: number;
  units: number;
  orders: number;
}
