/**
 * The alert feed (`GET /v1/alerts`, optional signed outbound webhook). CONTRACT for the inward-sync
 * work (issue 9); the implementation replaces the body below.
 */
import type { DbOrTx } from '../db/client.js';

export const ALERT_KINDS = [
  'connection_reauth_required',
  'pull_failing',
  'order_oversold',
  'listing_failed',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertInput {
  kind: AlertKind;
  /** The crafter it concerns: decides which admins see it (their region) and the crafter themself. */
  crafterId: string;
  /**
   * One open alert per key: raising it again while open updates it (count, last seen) instead of
   * adding another. e.g. `connection_reauth_required:<connectionId>`.
   */
  dedupeKey: string;
  message: { en: string; id: string };
  /** Ids of what it concerns (connectionId, listingId, orderId, variantId…). */
  subject?: Record<string, string>;
}

/** Raises (or refreshes) an alert in the caller's transaction. */
export async function raiseAlert(_db: DbOrTx, _alert: AlertInput): Promise<void> {
  throw new Error('raiseAlert is not built yet');
}

/** Resolves the open alert with this key, if any (a reconnected shop, a listing live again). */
export async function resolveAlert(_db: DbOrTx, _dedupeKey: string): Promise<void> {
  throw new Error('resolveAlert is not built yet');
}
