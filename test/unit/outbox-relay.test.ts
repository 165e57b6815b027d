import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { Database } from '../../src/db/client.js';
import { nextRelayDelay } from '../../src/outbox/relay.js';
import { routesOf } from '../../src/outbox/routes.js';

describe('outbox relay pacing', () => {
  it('runs again at once while there is backlog, waits when idle, and backs off exponentially up to a cap while failing', () => {
    expect(nextRelayDelay({ failures: 0, claimed: 200 }, 500, 30_000)).toBe(0);
    expect(nextRelayDelay({ failures: 0, claimed: 0 }, 500, 30_000)).toBe(500);
    const waits = [1, 2, 3, 4, 5, 6, 7].map((failures) =>
      nextRelayDelay({ failures, claimed: 0 }, 500, 30_000),
    );
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});

describe('outbox routes', () => {
  it('route every topic the services write, and nothing else', () => {
    // One push per listing on its channel's queue, and nothing else: an edit, a deletion and a stock
    // movement of a product take the same route (one coalesced job per listing).
    for (const topic of ['product.changed', 'product.deleted', 'product.stock_changed']) {
      expect(routesOf(topic)).toEqual(routesOf('product.stock_changed'));
      expect(routesOf(topic)).toHaveLength(1);
    }
    expect(routesOf('listing.push_requested')).toHaveLength(1);
    expect(routesOf('listing.delist_requested')).toHaveLength(1);
    expect(routesOf('crafter.changed')).toEqual([]);
    expect(routesOf('toString')).toEqual([]);
  });

  it('refuse a product change whose payload has no product id, before reading anything', async () => {
    // No database here: a route that read before parsing would fail with another error than ZodError.
    const ctx = { db: {} as Database };
    for (const topic of ['product.changed', 'product.deleted'] as const) {
      const [route] = routesOf(topic);
      for (const payload of [{ productId: 'not-a-uuid', version: 3 }, { version: 3 }, null]) {
        await expect(
          Promise.resolve().then(() => route!({ id: 1, topic, aggregateId: 'x', payload }, ctx)),
        ).rejects.toBeInstanceOf(ZodError);
      }
    }
  });
});
