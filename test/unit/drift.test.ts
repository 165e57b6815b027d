/** The read-back's drift rules: what a shop shows against what we last pushed. */
import { describe, expect, it } from 'vitest';
import type { RemoteListingState } from '../../src/channels/types.js';
import { findDrift } from '../../src/domain/drift.js';

const pushed = [
  { remoteModelId: 'm1', remoteSku: 'TAS-M', price: 165_000, stock: 8 },
  { remoteModelId: 'm2', remoteSku: 'TAS-H', price: 192_500, stock: 5 },
];

function remote(overrides: Partial<RemoteListingState> = {}): RemoteListingState {
  return {
    remoteItemId: 'i1',
    remoteVariantIds: { a: 'm1', b: 'm2' },
    status: 'live',
    variants: [
      { remoteVariantId: 'm1', sku: 'TAS-M', priceIdr: 165_000, stock: 8 },
      { remoteVariantId: 'm2', sku: 'TAS-H', priceIdr: 192_500, stock: 5 },
    ],
    ...overrides,
  };
}

describe('findDrift', () => {
  it('finds nothing when the shop shows what we pushed (in review counts as live)', () => {
    expect(findDrift(remote(), pushed)).toEqual({ drifts: [], variants: [] });
    expect(findDrift(remote({ status: 'in_review' }), pushed).drifts).toEqual([]);
  });

  it('names the price and stock that differ, per variant, with what the shop shows', () => {
    const shown = remote({
      variants: [
        { remoteVariantId: 'm1', sku: 'TAS-M', priceIdr: 99_000, stock: 8 },
        { remoteVariantId: 'm2', sku: 'TAS-H', priceIdr: 192_500, stock: 0 },
      ],
    });
    expect(findDrift(shown, pushed)).toEqual({
      drifts: ['price', 'stock'],
      variants: [
        { index: 0, price: 99_000 },
        { index: 1, stock: 0 },
      ],
    });
  });

  it('an item taken down, gone, or missing a model is drift of its own kind', () => {
    expect(findDrift(remote({ status: 'inactive' }), pushed).drifts).toEqual(['status']);
    expect(findDrift(remote({ status: 'deleted' }), pushed).drifts).toEqual(['missing']);
    expect(findDrift(null, pushed).drifts).toEqual(['missing']);
    const oneModel = remote({
      variants: [{ remoteVariantId: 'm1', sku: 'TAS-M', priceIdr: 165_000, stock: 8 }],
    });
    expect(findDrift(oneModel, pushed).drifts).toEqual(['variants']);
  });

  it('matches a model by SKU when its remote id was never recorded', () => {
    const noIds = pushed.map((p) => ({ ...p, remoteModelId: null }));
    expect(findDrift(remote(), noIds).drifts).toEqual([]);
  });
});
