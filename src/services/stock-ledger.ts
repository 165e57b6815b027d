/**
 * The stock ledger: stock moves only by recorded movements, and on-hand per variant is derived from
 * them. CONTRACT for the inward-sync work (issue 9); the implementation replaces the body below.
 */
import type { Tx } from '../db/client.js';

export const STOCK_MOVEMENT_KINDS = [
  'sale',
  'cancellation',
  'return',
  'count',
  'adjustment',
  'import',
] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];

export interface StockMovementInput {
  variantId: string;
  /** Signed change in units: a sale of 2 is -2, its cancellation +2. */
  delta: number;
  kind: StockMovementKind;
  /**
   * Makes the movement idempotent: a second movement with the same key is ignored (a replayed pull,
   * a retried job). Sales use `sale:<connectionId>:<externalOrderId>:<lineKey>`, and so on.
   */
  dedupeKey: string;
  /** The order line it comes from, when it comes from one. */
  orderLineId?: string;
  note?: string;
}

export interface StockMovementResult {
  variantId: string;
  /** False when the dedupe key had been recorded already (nothing changed). */
  applied: boolean;
  onHand: number;
  /** On-hand went below zero by this movement: the order is flagged and an alert raised. */
  oversold: boolean;
}

/**
 * Records movements inside the caller's transaction, updates on-hand, and writes the outbox rows
 * that push the new stock to every channel. Idempotent per `dedupeKey`.
 */
export async function recordStockMovements(
  _tx: Tx,
  _movements: StockMovementInput[],
): Promise<StockMovementResult[]> {
  throw new Error('recordStockMovements is not built yet');
}
