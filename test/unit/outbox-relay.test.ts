import { describe, expect, it } from 'vitest';
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
    // The catalogue-sync job, and one push per listing on its channel's queue.
    expect(routesOf('product.changed')).toHaveLength(2);
    expect(routesOf('product.deleted')).toHaveLength(2);
    expect(routesOf('listing.push_requested')).toHaveLength(1);
    expect(routesOf('listing.delist_requested')).toHaveLength(1);
    expect(routesOf('crafter.changed')).toEqual([]);
    expect(routesOf('toString')).toEqual([]);
  });

  const ctx = { db: {} as Database };
  it('turn a product change into one job deduplicated per product, and refuse a payload that is not ids and versions', async () => {
    const productId = '5f0c7a4e-1b7e-4d1a-9f3e-0a6c2b9d8e71';
    const crafterId = '0b7f2f0e-93a4-4b55-8a0e-5d1c4f6a2b3c';
    const [route] = routesOf('product.deleted');
    const jobs = await route!(
      {
        id: 1,
        topic: 'product.deleted',
        aggregateId: productId,
        payload: { productId, crafterId, version: 3 },
      },
      ctx,
    );
    expect(jobs).toEqual([
      {
        queue: 'catalogue-sync',
        name: 'product.deleted',
        data: { productId, crafterId, version: 3, deleted: true },
        opts: { deduplication: { id: `product:${productId}`, keepLastIfActive: true } },
      },
    ]);
    expect(() =>
      route!(
        { id: 2, topic: 'product.deleted', aggregateId: 'x', payload: { productId, token: 'secret' } },
        ctx,
      ),
    ).toThrow();
  });
});
