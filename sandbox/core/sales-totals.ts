/**
 * The sandbox's own sales figures ("truth" for end-to-end checks), by the one definition kriya-sync
 * uses (the doc comment above `CanonicalOrder` in src/channels/types.ts):
 * - an order counts once it is paid (a pay time, or a state past payment); one cancelled before payment
 *   never counts, and unpaid or held orders (TikTok ON_HOLD) count in no figure;
 * - it counts on the Asia/Jakarta day of its creation time;
 * - gross = Σ quantity × unit price of its lines; orders = the number of counted orders;
 * - net = gross minus the value of units cancelled or returned (a cancelled or returned order takes back
 *   all its lines, otherwise each line's own cancelled/returned units); units = net units.
 * Each platform states its orders in these terms from its own state; this module only adds them up.
 */

export interface TruthLine {
  quantity: number;
  unitPriceIdr: number;
  /** Units of this line cancelled or returned on their own. */
  takenBackQuantity: number;
}

export interface TruthOrder {
  shopId: string;
  /** Epoch ms of creation: decides the Jakarta day. */
  createdAtMs: number;
  /** Whether the order counts at all (paid, not unpaid or held). */
  counts: boolean;
  /** A cancelled or returned order: all of its lines are taken back. */
  takenBack: boolean;
  lines: TruthLine[];
}

export interface SalesTotalsRow {
  shopId: string;
  /** Asia/Jakarta day, `YYYY-MM-DD`. */
  day: string;
  grossIdr: number;
  netIdr: number;
  units: number;
  orders: number;
}

const JAKARTA_OFFSET_MS = 7 * 3_600_000;

/** Asia/Jakarta has been UTC+7 without daylight saving since 1964. */
export function jakartaDay(epochMs: number): string {
  return new Date(epochMs + JAKARTA_OFFSET_MS).toISOString().slice(0, 10);
}

export interface SalesTotalsQuery {
  shopId?: string;
  /** Jakarta days, inclusive. */
  from?: string;
  to?: string;
}

/** Totals per (shop, Jakarta day), sorted by shop then day, plus the sum over all rows. */
export function salesTotals(orders: Iterable<TruthOrder>, query: SalesTotalsQuery = {}) {
  const rows = new Map<string, SalesTotalsRow>();
  for (const order of orders) {
    if (!order.counts) continue;
    if (query.shopId !== undefined && order.shopId !== query.shopId) continue;
    const day = jakartaDay(order.createdAtMs);
    if (query.from !== undefined && day < query.from) continue;
    if (query.to !== undefined && day > query.to) continue;
    const key = `${order.shopId}|${day}`;
    const row = rows.get(key) ?? { shopId: order.shopId, day, grossIdr: 0, netIdr: 0, units: 0, orders: 0 };
    row.orders += 1;
    for (const line of order.lines) {
      row.grossIdr += line.quantity * line.unitPriceIdr;
      const kept = order.takenBack ? 0 : Math.max(0, line.quantity - line.takenBackQuantity);
      row.netIdr += kept * line.unitPriceIdr;
      row.units += kept;
    }
    rows.set(key, row);
  }
  const totals = [...rows.values()].sort((a, b) =>
    a.shopId === b.shopId ? (a.day < b.day ? -1 : 1) : a.shopId < b.shopId ? -1 : 1,
  );
  const sum = totals.reduce(
    (acc, r) => ({
      grossIdr: acc.grossIdr + r.grossIdr,
      netIdr: acc.netIdr + r.netIdr,
      units: acc.units + r.units,
      orders: acc.orders + r.orders,
    }),
    { grossIdr: 0, netIdr: 0, units: 0, orders: 0 },
  );
  return { totals, sum };
}
