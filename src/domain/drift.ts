/**
 * Drift (pure): what a channel shows for a listing against what we last pushed to it. The nightly
 * read-back repairs what this finds by pushing the listing again.
 */
import type { RemoteListingState } from '../channels/types.js';

/** What a listing's read-back found. */
export type Drift = 'price' | 'stock' | 'status' | 'missing' | 'variants';

/** Compares what the channel shows with what we last pushed (pure). */
export function findDrift(
  remote: RemoteListingState | null,
  pushed: ReadonlyArray<{
    remoteModelId: string | null;
    remoteSku: string | null;
    price: number | null;
    stock: number | null;
  }>,
): { drifts: Drift[]; variants: Array<{ index: number; price?: number; stock?: number }> } {
  if (!remote || remote.status === 'deleted') return { drifts: ['missing'], variants: [] };
  const drifts = new Set<Drift>();
  if (remote.status === 'inactive' || remote.status === 'refused') drifts.add('status');
  const variants: Array<{ index: number; price?: number; stock?: number }> = [];
  pushed.forEach((p, index) => {
    const found = remote.variants.find(
      (v) =>
        (p.remoteModelId !== null && v.remoteVariantId === p.remoteModelId) ||
        (p.remoteSku !== null && v.sku === p.remoteSku),
    );
    if (!found) {
      drifts.add('variants');
      return;
    }
    const change: { index: number; price?: number; stock?: number } = { index };
    if (p.price !== null && found.priceIdr !== p.price) {
      drifts.add('price');
      change.price = found.priceIdr;
    }
    if (p.stock !== null && found.stock !== p.stock) {
      drifts.add('stock');
      change.stock = found.stock;
    }
    if (change.price !== undefined || change.stock !== undefined) variants.push(change);
  });
  return { drifts: [...drifts], variants };
}
