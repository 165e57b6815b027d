/**
 * Exactly-once publishing across a worker crash, with the real sandbox, API and worker processes:
 * while many single-variant products are being published to a Shopee and a Tokopedia (TikTok Shop)
 * shop, the worker is killed with SIGKILL and a new one started. Every product ends live exactly once
 * in each shop: one remote item per SKU, never two.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeNumberedProducts,
  type OutwardStack,
  scanForSecrets,
  startOutwardStack,
  until,
} from './outward-stack.js';

// Single-variant products (no Shopee tier wait). The adapters' declared budgets are raised to 40
// calls/s per shop (the defaults are 10 and 20; the sandbox allows 100 and 50), so the publish takes
// tens of seconds rather than minutes; the sandbox still refuses anything faster than its limits.
const PRODUCTS = 500;
const RATE = 40;

let stack: OutwardStack;

beforeAll(async () => {
  stack = await startOutwardStack('outward_crash', {
    env: { SHOPEE_CALLS_PER_SECOND: String(RATE), TIKTOK_SHOP_CALLS_PER_SECOND: String(RATE) },
  });
}, 90_000);
afterAll(async () => {
  await stack?.close();
}, 30_000);

async function liveCounts(): Promise<{ shopee: number; tiktok: number }> {
  const rows = await stack.database.db.execute<{ channel: string; n: number }>(sql`
    select c.channel, count(*)::int as n from channel_listings l
    join channel_connections c on c.id = l.connection_id
    where l.state = 'live' group by c.channel`);
  const of = (channel: string) => rows.find((r) => r.channel === channel)?.n ?? 0;
  return { shopee: of('shopee'), tiktok: of('tiktok_shop') };
}

/** Remote items per SKU in each sandbox shop. */
async function remoteSkus(): Promise<{ shopee: Map<string, number>; tiktok: Map<string, number> }> {
  const shopee = await stack.sandboxGet<{ items: Array<{ itemSku: string; status: string }> }>(
    `/shopee/shops/${stack.shopee.externalShopId}/state`,
  );
  const tiktok = await stack.sandboxGet<{
    products: Array<{ status: string; skus: Array<{ seller_sku: string }> }>;
  }>(`/tiktok-shop/shops/${stack.tiktok.externalShopId}/state`);
  const count = (skus: string[]) => {
    const map = new Map<string, number>();
    for (const sku of skus) map.set(sku, (map.get(sku) ?? 0) + 1);
    return map;
  };
  return {
    shopee: count(shopee.items.map((i) => i.itemSku)),
    tiktok: count(tiktok.products.flatMap((p) => p.skus.map((s) => s.seller_sku))),
  };
}

describe('worker killed during a publish (real processes)', () => {
  it(`${PRODUCTS} products published, the worker SIGKILLed mid-way and restarted: each live exactly once per shop`, {
    timeout: 420_000,
  }, async () => {
    const image = `${stack.control}/demo-images/crash-e2e.png`;
    const products = await makeNumberedProducts(stack, {
      count: PRODUCTS,
      skuPrefix: 'CRASH',
      image,
      priceOf: (i) => 100_000 + i * 100,
    });
    for (let i = 0; i < products.length; i += 25) {
      await Promise.all(
        products.slice(i, i + 25).map((p) =>
          stack.json('POST', `/v1/products/${p.id}/listings`, {
            connectionIds: [stack.shopee.id, stack.tiktok.id],
          }),
        ),
      );
    }

    // Mid-publish: some listings live on Shopee, not all.
    const atKill = await until(
      'a part of the publish done',
      async () => {
        const counts = await liveCounts();
        return counts.shopee >= PRODUCTS / 5 && counts;
      },
      120_000,
      50,
    );
    await stack.killWorkers();
    const afterKill = await liveCounts();
    expect(afterKill.shopee).toBeLessThan(PRODUCTS);
    await stack.startWorker();

    await until(
      'every listing live',
      async () => {
        const counts = await liveCounts();
        return counts.shopee === PRODUCTS && counts.tiktok === PRODUCTS;
      },
      240_000,
      500,
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}; at kill ${JSON.stringify(atKill)}, now ${JSON.stringify(await liveCounts())}`,
      );
    });

    const remote = await remoteSkus();
    for (const { sku } of products) {
      expect(remote.shopee.get(sku), `Shopee items with SKU ${sku}`).toBe(1);
      expect(remote.tiktok.get(sku), `Tokopedia products with SKU ${sku}`).toBe(1);
    }
    expect(remote.shopee.size).toBe(PRODUCTS);
    expect(remote.tiktok.size).toBe(PRODUCTS);
    // Each listing points at its own remote item.
    const [distinct] = await stack.database.db.execute<{ listings: number; items: number }>(sql`
      select count(*)::int as listings, count(distinct (connection_id, remote_item_id))::int as items
      from channel_listings where state = 'live'`);
    expect(distinct).toEqual({ listings: 2 * PRODUCTS, items: 2 * PRODUCTS });

    const scan = await scanForSecrets(stack);
    expect(scan.leaks).toEqual([]);
  });
});
