import { describe, expect, it } from 'vitest';
import { planStock } from '../../src/domain/stock.js';

const stored = [
  { id: 'v1', sku: 'A', stock: 6 },
  { id: 'v2', sku: 'B', stock: 0 },
];

describe('planStock', () => {
  it('with the revision read: each value is the change relative to what was seen, on top of what moved since', () => {
    // Seen 7 and 2; sales took A to 6 and B to 0 since. A counted 5: −2. B sent back as seen: no change.
    const seen = new Map([
      ['v1', 7],
      ['v2', 2],
    ]);
    const plan = planStock(
      stored,
      [
        { sku: 'A', stock: 5 },
        { sku: 'B', stock: 2 },
        { sku: 'C', stock: 4 },
      ],
      {
        kind: 'revision',
        seen,
      },
    );
    expect(plan.deltas).toEqual([{ variantId: 'v1', sku: 'A', delta: -2, wanted: 5, seen: 7 }]);
    expect(plan.initial).toEqual([{ sku: 'C', stock: 4 }]);
    expect(plan.stale).toEqual([]);
  });

  it('without a revision: exact while nothing moved since the version, refused as stale once something did', () => {
    const wanted = [
      { sku: 'A', stock: 9 },
      { sku: 'B', stock: 0 },
    ];
    expect(planStock(stored, wanted, { kind: 'none', movedSinceVersion: false }).deltas).toEqual([
      { variantId: 'v1', sku: 'A', delta: 3, wanted: 9, seen: 6 },
    ]);
    const moved = planStock(stored, wanted, { kind: 'none', movedSinceVersion: true });
    expect(moved.deltas).toEqual([]);
    expect(moved.stale).toEqual([{ sku: 'A', current: 6, wanted: 9 }]);
  });

  it('stock left out changes nothing, and a new variant without stock opens at 0 (no movement)', () => {
    const plan = planStock(stored, [{ sku: 'A' }, { sku: 'NEW' }], { kind: 'none', movedSinceVersion: true });
    expect(plan).toEqual({ deltas: [], initial: [], stale: [] });
  });
});
