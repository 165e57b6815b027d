/**
 * What the stock values of a catalogue write mean (pure). Stock moves by ledger movements only, so a
 * write that names stock becomes count movements; the rule below is what keeps a sale that arrived
 * between the crafter's read and save from being undone.
 *
 * - The writer names the product's `stockRevision` it read (the API returns it with the product, the
 *   CSV export writes it): each value is the crafter's intended change relative to what they saw,
 *   applied on top of whatever moved since. Saw 7, typed 5, a sale took one meanwhile: 6 − 2 = 4.
 *   A value as read (saw 7, sent 7) changes nothing, however stale it is.
 * - The writer names no revision: a value that differs from the current on-hand is set exactly, but
 *   only if nothing has moved the product's stock since its current version was written (the writer's
 *   If-Match proves it read the product after that); otherwise we cannot know what the writer saw,
 *   and the value is refused as stale (never applied blindly).
 */

export interface StoredStock {
  id: string;
  sku: string;
  stock: number;
}

export interface WantedStock {
  sku: string;
  stock?: number | undefined;
}

export type StockBasis =
  /** On-hand of each stored variant (by id) at the stock revision the writer read. */
  | { kind: 'revision'; seen: ReadonlyMap<string, number> }
  /** No revision given: whether stock moved since the product's current version was written. */
  | { kind: 'none'; movedSinceVersion: boolean };

export interface StockPlan {
  /** Count movements of stored variants (non-zero deltas only). */
  deltas: { variantId: string; sku: string; delta: number; wanted: number; seen: number }[];
  /** Opening stock of variants the write creates. */
  initial: { sku: string; stock: number }[];
  /** Values refused: they differ from the on-hand, and stock moved since the writer could have read it. */
  stale: { sku: string; current: number; wanted: number }[];
}

export function planStock(
  stored: readonly StoredStock[],
  wanted: readonly WantedStock[],
  basis: StockBasis,
): StockPlan {
  const bySku = new Map(stored.map((v) => [v.sku, v]));
  const plan: StockPlan = { deltas: [], initial: [], stale: [] };
  for (const w of wanted) {
    const current = bySku.get(w.sku);
    if (!current) {
      if ((w.stock ?? 0) !== 0) plan.initial.push({ sku: w.sku, stock: w.stock ?? 0 });
      continue;
    }
    if (w.stock === undefined) continue;
    if (basis.kind === 'revision') {
      const seen = basis.seen.get(current.id) ?? current.stock;
      const delta = w.stock - seen;
      if (delta !== 0) plan.deltas.push({ variantId: current.id, sku: w.sku, delta, wanted: w.stock, seen });
    } else if (w.stock !== current.stock) {
      if (basis.movedSinceVersion) {
        plan.stale.push({ sku: w.sku, current: current.stock, wanted: w.stock });
      } else {
        plan.deltas.push({
          variantId: current.id,
          sku: w.sku,
          delta: w.stock - current.stock,
          wanted: w.stock,
          seen: current.stock,
        });
      }
    }
  }
  return plan;
}

export function stockPlanIsEmpty(plan: StockPlan): boolean {
  return plan.deltas.length === 0 && plan.initial.length === 0;
}
