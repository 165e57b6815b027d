/**
 * What a channel shows for a variant: the price after the shop's price rule, and the stock after its
 * buffer (pure; a listing's overrides replace the connection's values field by field).
 */

export interface PriceRule {
  kind: 'none' | 'percent' | 'fixed';
  /** Basis points for `percent` (1250 = 12.5 %), rupiah for `fixed`. */
  value: number;
  /** The price is rounded UP to a multiple of this many rupiah (1 = no rounding). */
  roundingStepIdr: number;
}

export interface StockBuffer {
  /** Share of stock held back from the channel, in percent (rounded so the channel never gets more). */
  percent: number;
  /** At most this many units are published (null: no cap). */
  maxUnits: number | null;
}

/**
 * Markup, then rounding up to the step. Integer rupiah throughout: percent markups are computed in
 * basis points and rounded up, so a crafter never sells below the intended margin.
 */
export function channelPrice(basePriceIdr: number, rule: PriceRule): number {
  let price = basePriceIdr;
  if (rule.kind === 'percent') price = Math.ceil((basePriceIdr * (10_000 + rule.value)) / 10_000);
  else if (rule.kind === 'fixed') price = basePriceIdr + rule.value;
  const step = Math.max(1, rule.roundingStepIdr);
  return Math.ceil(price / step) * step;
}

/** Stock published to a channel: on-hand minus the held-back share (rounded up), capped at the maximum. */
export function channelStock(onHand: number, buffer: StockBuffer): number {
  const available = Math.max(0, onHand);
  const held = Math.ceil((available * buffer.percent) / 100);
  const shown = available - held;
  return buffer.maxUnits === null ? shown : Math.min(shown, buffer.maxUnits);
}

/** A listing's override of the connection's settings: a null field means "use the shop's". */
export function effectivePriceRule(
  shop: PriceRule,
  listing: { kind: PriceRule['kind'] | null; value: number | null; roundingStepIdr: number | null },
): PriceRule {
  return {
    kind: listing.kind ?? shop.kind,
    value: listing.kind !== null && listing.value !== null ? listing.value : shop.value,
    roundingStepIdr: listing.roundingStepIdr ?? shop.roundingStepIdr,
  };
}

export function effectiveStockBuffer(
  shop: StockBuffer,
  listing: { percent: number | null; maxUnits: number | null },
): StockBuffer {
  return { percent: listing.percent ?? shop.percent, maxUnits: listing.maxUnits ?? shop.maxUnits };
}
