import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type OrderStatus } from '../../src/channels/types.js';
import {
  forwardStatus,
  jakartaDay,
  jakartaDayStart,
  lineFigures,
  orderCounts,
} from '../../src/domain/sales.js';

describe('jakartaDay', () => {
  it('is the calendar day in UTC+7', () => {
    expect(jakartaDay(new Date('2026-11-04T16:59:59Z'))).toBe('2026-11-04');
    expect(jakartaDay(new Date('2026-11-04T17:00:00Z'))).toBe('2026-11-05');
    expect(jakartaDayStart('2026-11-05').toISOString()).toBe('2026-11-04T17:00:00.000Z');
  });
});

describe('forwardStatus', () => {
  it('never moves back, and a final status stays', () => {
    expect(forwardStatus('completed', 'awaiting_shipment')).toBe('completed');
    expect(forwardStatus('awaiting_shipment', 'shipped')).toBe('shipped');
    expect(forwardStatus('on_hold', 'cancelled')).toBe('cancelled');
    expect(forwardStatus('cancelled', 'returned')).toBe('returned');
    expect(forwardStatus('returned', 'cancelled')).toBe('returned');
    for (const a of ORDER_STATUSES)
      for (const b of ORDER_STATUSES) {
        // Applying b then a never differs from a then b: the order of arrival does not matter.
        expect(forwardStatus(forwardStatus('unpaid', a), b)).toBe(
          forwardStatus(forwardStatus('unpaid', b), a),
        );
      }
  });
});

describe('orderCounts', () => {
  it.each<[OrderStatus, boolean, boolean]>([
    ['unpaid', false, false],
    ['on_hold', false, false],
    ['cancelled', false, false],
    ['cancelled', true, true],
    ['awaiting_shipment', false, true],
    ['shipped', false, true],
    ['completed', false, true],
    ['returned', false, true],
  ])('%s, paid %s → %s', (status, paid, counts) => {
    expect(orderCounts(status, paid ? new Date() : undefined)).toBe(counts);
  });
});

describe('lineFigures', () => {
  const line = { quantity: 4, unitPriceIdr: 10_000, cancelledQuantity: 1, returnedQuantity: 1 };
  it('takes back the line’s own cancelled and returned units', () => {
    expect(lineFigures(line, 'completed', true)).toEqual({
      cancelledUnits: 1,
      returnedUnits: 1,
      grossIdr: 40_000,
      netIdr: 20_000,
      units: 2,
    });
  });
  it('a cancelled or returned order takes back every unit, split by what happened to them', () => {
    expect(lineFigures(line, 'cancelled', true)).toMatchObject({
      cancelledUnits: 3,
      returnedUnits: 1,
      netIdr: 0,
      units: 0,
    });
    expect(lineFigures(line, 'returned', true)).toMatchObject({
      cancelledUnits: 1,
      returnedUnits: 3,
      netIdr: 0,
      units: 0,
    });
  });
  it('an order that does not count contributes nothing', () => {
    expect(lineFigures(line, 'unpaid', false)).toMatchObject({ grossIdr: 0, netIdr: 0, units: 0 });
  });
  it('never takes back more than the quantity', () => {
    const over = { quantity: 2, unitPriceIdr: 5, cancelledQuantity: 5, returnedQuantity: 5 };
    expect(lineFigures(over, 'completed', true)).toMatchObject({
      cancelledUnits: 0,
      returnedUnits: 2,
      units: 0,
    });
  });
});
