/**
 * Redis loses everything during a storm of edits, with the real sandbox, API and worker processes
 * (on a redis-server of the test's own, so FLUSHALL touches nothing else): the queued pushes vanish,
 * the worker is killed and a new one started, and still every edit arrives: each shop ends with the
 * last edit of every product. The outbox and the reconciler re-derive the work from Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeNumberedProducts,
  type OutwardStack,
  scanForSecrets,
  startOutwardStack,
  until,
} from './outward-stack.js';

const PRODUCTS = 8;
const EDITS = 12;

let stack: OutwardStack;

beforeAll(async () => {
  stack = await startOutwardStack('outward_flush', { privateRedis: true });
}, 90_000);
afterAll(async () => {
  await stack?.close();
}, 30_000);

async function remotePrices(): Promise<{ shopee: Map<string, number>; tiktok: Map<string, number> }> {
  const shopee = await stack.sandboxGet<{
    items: Array<{
      itemSku: string;
      price: number | null;
      models: Array<{ modelSku: string; price: number }>;
    }>;
  }>(`/shopee/shops/${stack.shopee.externalShopId}/state`);
  const tiktok = await stack.sandboxGet<{
    products: Array<{ skus: Array<{ seller_sku: string; price: { amount: string } }> }>;
  }>(`/tiktok-shop/shops/${stack.tiktok.externalShopId}/state`);
  const shopeePrices = new Map<string, number>();
  for (const item of shopee.items) {
    for (const m of item.models) shopeePrices.set(m.modelSku, m.price);
    if (item.models.length === 0 && item.price !== null) shopeePrices.set(item.itemSku, item.price);
  }
  return {
    shopee: shopeePrices,
    tiktok: new Map(
      tiktok.products.flatMap((p) => p.skus.map((s) => [s.seller_sku, Number(s.price.amount)] as const)),
    ),
  };
}

describe('Redis flushed during a storm of edits (real processes)', () => {
  it('FLUSHALL mid-storm, the worker killed and restarted: every product ends at its last edit in both shops', {
    timeout: 150_000,
  }, async () => {
    const image = `${stack.control}/demo-images/flush-e2e.png`;
    const products = await makeNumberedProducts(stack, {
      count: PRODUCTS,
      skuPrefix: 'FLUSH',
      image,
      priceOf: () => 100_000,
    });
    for (const product of products) {
      await stack.json('POST', `/v1/products/${product.id}/listings`, {
        connectionIds: [stack.shopee.id, stack.tiktok.id],
      });
    }
    await until(
      'every product live in both shops',
      async () => {
        const now = await remotePrices();
        return products.every((p) => now.shopee.get(p.sku) === 100_000 && now.tiktok.get(p.sku) === 100_000);
      },
      60_000,
      200,
    );

    // The storm: every product edited EDITS times, round after round; Redis is flushed half-way and
    // again right after the last edit, so pushes queued for the last edits are lost too.
    const priceOf = (round: number, index: number) => 200_000 + round * 1_000 + index * 10;
    for (let round = 0; round < EDITS; round += 1) {
      await Promise.all(
        products.map(async (p, index) => {
          const res = await stack.call(
            'PATCH',
            `/v1/products/${p.id}`,
            {
              variants: [
                { sku: p.sku, options: {}, priceIdr: priceOf(round, index), stock: 5, weightGrams: 300 },
              ],
            },
            { 'if-match': `"${p.version}"` },
          );
          expect(res.status).toBe(200);
          p.version = ((await res.json()) as { version: number }).version;
        }),
      );
      if (round === EDITS / 2) expect(await stack.redis.flushall()).toBe('OK');
    }
    expect(await stack.redis.flushall()).toBe('OK');
    await stack.killWorkers();
    await stack.startWorker();

    const last = (index: number) => priceOf(EDITS - 1, index);
    await until(
      'the last edit of every product in both shops',
      async () => {
        const now = await remotePrices();
        return products.every(
          (p, index) => now.shopee.get(p.sku) === last(index) && now.tiktok.get(p.sku) === last(index),
        );
      },
      100_000,
      250,
    ).catch(async (err: Error) => {
      const now = await remotePrices();
      const behind = products
        .map((p, index) => ({
          sku: p.sku,
          want: last(index),
          shopee: now.shopee.get(p.sku),
          tiktok: now.tiktok.get(p.sku),
        }))
        .filter((r) => r.shopee !== r.want || r.tiktok !== r.want);
      throw new Error(`${err.message}; behind: ${JSON.stringify(behind)}`);
    });
    // And the listings say so, once the pushes still running (the reconciler's among them) are done.
    await until(
      'every listing live and in sync',
      async () => {
        for (const p of products) {
          const { items } = await stack.json<{ items: Array<{ inSync: boolean; state: string }> }>(
            'GET',
            `/v1/products/${p.id}/listings`,
          );
          if (!(items.length === 2 && items.every((l) => l.state === 'live' && l.inSync))) return false;
        }
        return true;
      },
      30_000,
      250,
    );
    // Nothing pushed after them moved a shop off the last edit.
    const final = await remotePrices();
    products.forEach((p, index) => {
      expect(final.shopee.get(p.sku)).toBe(last(index));
      expect(final.tiktok.get(p.sku)).toBe(last(index));
    });
    expect((await scanForSecrets(stack)).leaks).toEqual([]);
  });
});
