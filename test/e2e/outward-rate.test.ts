/**
 * Two worker processes share each shop's call budget, with the real sandbox, API and two worker
 * processes: the adapters declare 5 calls per second per shop (SHOPEE_CALLS_PER_SECOND,
 * TIKTOK_SHOP_CALLS_PER_SECOND), the sandbox enforces the same 5 per second, and a publish plus
 * an edit of many products, pushed by both workers at once, is answered without a single throttle.
 * Both workers did push (BullMQ records the process that ran each job).
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_QUEUE } from '../../src/queues/definitions.js';
import { listingStates, remoteShops } from './outward-remote.js';
import { makeNumberedProducts, type OutwardStack, startOutwardStack, until } from './outward-stack.js';

const RATE = 5;
const PRODUCTS = 36;

let stack: OutwardStack;

beforeAll(async () => {
  stack = await startOutwardStack('outward_rate', {
    env: { SHOPEE_CALLS_PER_SECOND: String(RATE), TIKTOK_SHOP_CALLS_PER_SECOND: String(RATE) },
  });
  await stack.startWorker();
  await stack.sandboxPost('/shopee/configure', { rateLimitPerSecond: RATE });
  await stack.sandboxPost('/tiktok-shop/configure', { rate_limit_per_second: RATE });
}, 120_000);
afterAll(async () => {
  await stack?.close();
}, 30_000);

describe('two workers and one shop budget (real processes)', () => {
  it(`two workers pushing ${PRODUCTS} publishes and edits never exceed ${RATE} calls/s per shop: no throttle at the sandbox`, {
    timeout: 180_000,
  }, async () => {
    const image = `${stack.control}/demo-images/rate-e2e.png`;
    const products = await makeNumberedProducts(stack, {
      count: PRODUCTS,
      skuPrefix: 'RATE',
      image,
      priceOf: (i) => 100_000 + i,
    });
    await Promise.all(
      products.map((p) =>
        stack.json('POST', `/v1/products/${p.id}/listings`, {
          connectionIds: [stack.shopee.id, stack.tiktok.id],
        }),
      ),
    );
    // Edits while the publish is still being pushed: more calls for the same budget.
    await until(
      'a first listing live',
      async () => (await listingStates(stack)).some((r) => r.state === 'live'),
      60_000,
      100,
    );
    await Promise.all(
      products.map(async (p, i) => {
        const price = 200_000 + i;
        const res = await stack.call(
          'PATCH',
          `/v1/products/${p.id}`,
          { variants: [{ sku: p.sku, options: {}, priceIdr: price, stock: 5, weightGrams: 300 }] },
          { 'if-match': `"${p.version}"` },
        );
        expect(res.status, await res.clone().text()).toBe(200);
        p.price = price;
      }),
    );

    await until(
      'every product at its edited price in both shops, every listing live and in sync',
      async () => {
        const rows = await listingStates(stack);
        if (!rows.every((r) => r.state === 'live' && r.inSync)) return false;
        const shops = await remoteShops(stack);
        return products.every(
          (p) =>
            shops.shopee.get(p.sku)?.length === 1 &&
            shops.shopee.get(p.sku)?.[0]?.price === p.price &&
            shops.tiktok.get(p.sku)?.length === 1 &&
            shops.tiktok.get(p.sku)?.[0]?.price === p.price,
        );
      },
      150_000,
      250,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; listings ${JSON.stringify(await listingStates(stack))}`);
    });

    // Not one throttle at the sandbox, on either platform, though the work was enough to press the
    // budget: at 5 calls/s each shop's calls spanned many of the sandbox's one-second windows.
    for (const platform of ['shopee', 'tiktok-shop']) {
      const { calls } = await stack.sandboxGet<{
        calls: Array<{ at: number; throttled?: boolean; status: number; shopId?: string }>;
      }>(`/calls?platform=${platform}&limit=100000`);
      const shopCalls = calls.filter((c) => c.shopId !== undefined);
      const perSecond = new Map<number, number>();
      for (const c of shopCalls) {
        const second = Math.floor(c.at / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      }
      const busiest = Math.max(0, ...perSecond.values());
      const figures = `${platform}: ${shopCalls.length} shop calls, at most ${busiest} in one second`;
      // Enough work to press the budget: a create per product (an edit made before its create ran
      // goes out with it), and whole seconds at (or one under) the rate.
      expect(shopCalls.length, figures).toBeGreaterThan(PRODUCTS);
      expect(busiest, figures).toBeGreaterThanOrEqual(RATE - 1);
      expect(
        calls.filter((c) => c.throttled || c.status === 429),
        figures,
      ).toEqual([]);
    }

    // Both worker processes pushed.
    const ranBy = new Map<string, number>();
    for (const name of [PUSH_QUEUE.shopee, PUSH_QUEUE.tiktok_shop]) {
      const queue = new Queue(name, { connection: stack.redis, prefix: stack.prefix });
      for (const job of await queue.getJobs(['completed'], 0, -1)) {
        const by = job.processedBy ?? 'unknown';
        ranBy.set(by, (ranBy.get(by) ?? 0) + 1);
      }
      await queue.close();
    }
    expect(
      [...ranBy.keys()].filter((k) => k !== 'unknown'),
      JSON.stringify([...ranBy]),
    ).toHaveLength(2);
  });
});
