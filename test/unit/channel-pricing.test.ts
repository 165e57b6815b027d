import { describe, expect, it } from 'vitest';
import {
  channelPrice,
  channelStock,
  effectivePriceRule,
  effectiveStockBuffer,
} from '../../src/domain/channel-pricing.js';

describe('channelPrice', () => {
  it('leaves the price alone without a rule', () => {
    expect(channelPrice(150_000, { kind: 'none', value: 0, roundingStepIdr: 1 })).toBe(150_000);
  });
  it('adds a percent markup (basis points), rounding up to whole rupiah', () => {
    expect(channelPrice(150_000, { kind: 'percent', value: 1250, roundingStepIdr: 1 })).toBe(168_750);
    expect(channelPrice(999, { kind: 'percent', value: 333, roundingStepIdr: 1 })).toBe(1_033); // 1032.27 → 1033
  });
  it('adds a fixed amount, then rounds up to the step', () => {
    expect(channelPrice(150_000, { kind: 'fixed', value: 2_500, roundingStepIdr: 1_000 })).toBe(153_000);
    expect(channelPrice(150_000, { kind: 'percent', value: 1000, roundingStepIdr: 500 })).toBe(165_000);
    expect(channelPrice(150_001, { kind: 'none', value: 0, roundingStepIdr: 500 })).toBe(150_500);
  });
});

describe('channelStock', () => {
  it('holds back a share (rounded so the channel never gets more), caps at the maximum, never negative', () => {
    expect(channelStock(10, { percent: 0, maxUnits: null })).toBe(10);
    expect(channelStock(10, { percent: 15, maxUnits: null })).toBe(8); // 1.5 held → 2
    expect(channelStock(10, { percent: 0, maxUnits: 3 })).toBe(3);
    expect(channelStock(100, { percent: 10, maxUnits: 50 })).toBe(50);
    expect(channelStock(1, { percent: 10, maxUnits: null })).toBe(0);
    expect(channelStock(-2, { percent: 0, maxUnits: null })).toBe(0);
  });
});

describe('listing overrides', () => {
  const shop = { kind: 'percent' as const, value: 1000, roundingStepIdr: 100 };
  it('use the shop’s values where the listing has none', () => {
    expect(effectivePriceRule(shop, { kind: null, value: null, roundingStepIdr: null })).toEqual(shop);
    expect(effectivePriceRule(shop, { kind: 'fixed', value: 500, roundingStepIdr: null })).toEqual({
      kind: 'fixed',
      value: 500,
      roundingStepIdr: 100,
    });
    expect(effectiveStockBuffer({ percent: 10, maxUnits: 5 }, { percent: null, maxUnits: 20 })).toEqual({
      percent: 10,
      maxUnits: 20,
    });
  });
});
