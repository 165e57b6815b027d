/**
 * Storing pulled orders exactly once, with their stock movements and the daily sales rollups, in the
 * caller's transaction. CONTRACT for the inward-sync work (issue 9); the implementation replaces the
 * body below.
 */
import type { CanonicalOrder, Channel } from '../channels/types.js';
import type { Tx } from '../db/client.js';

/** The connection the orders came from (read by the pull job before it opens the transaction). */
export interface IngestConnection {
  connectionId: string;
  channel: Channel;
  crafterId: string;
}

export interface IngestSummary {
  fetched: number;
  /** Orders seen for the first time. */
  inserted: number;
  /** Orders whose status or lines changed. */
  updated: number;
  /** Orders identical to what was stored (replays). */
  unchanged: number;
  /** Lines whose seller SKU matches none of the crafter's variants (kept, listed for the crafter). */
  unmatchedLines: number;
}

/**
 * Upserts orders and lines by (connection, external order id, line key); applies status changes in
 * place, never backwards (sync-pitfalls); writes sale/cancellation/return stock movements; keeps the
 * daily rollups current. Replaying the same orders changes nothing.
 */
export async function ingestOrders(
  _tx: Tx,
  _connection: IngestConnection,
  _orders: CanonicalOrder[],
): Promise<IngestSummary> {
  throw new Error('ingestOrders is not built yet');
}

/**
 * Recomputes the daily rollups of the given Jakarta days (`YYYY-MM-DD`, inclusive) from the stored
 * lines, for the nightly rebuild of days touched by late changes. Running it twice changes nothing.
 */
export async function rebuildSalesRollups(
  _tx: Tx,
  _days: { from: string; to: string; connectionId?: string },
): Promise<{ days: number; rows: number }> {
  throw new Error('rebuildSalesRollups is not built yet');
}
