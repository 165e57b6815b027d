/**
 * One platform down does not slow the other, with the real sandbox, API and worker processes:
 * Shopee answers nothing for 60 s (every call held until our HTTP timeout), while products listed
 * in both shops are edited every few seconds. Each edit still reaches the Tokopedia (TikTok Shop)
 * shop within the bound: 2 s, plus the edit-coalescing window every push waits out first
 * (EDIT_COALESCE_MS), measured from the PATCH's answer to the sandbox shop showing the new price.
 * The Shopee circuit opens, and once Shopee is back every edit arrives there too.
 *
 * The bound is a deadline of the poll, not a measured timing: the test fails only when an edit has
 * not arrived by then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDIT_COALESCE_MS } from '../../src/queues/definitions.js';
import { listingStates, remoteShops } from './outward-remote.js';
import { makeNumberedProducts, type OutwardStack, startOutwardStack, until } from './outward-stack.js';

const PRODUCTS = 4;
const OUTAGE_MS = 60_000;
const VISIBLE_WITHIN_MS = 2_000 + EDIT_COALESCE_MS;

let stack: OutwardStack;

beforeAll(async () => {
  stack = await startOutwardStack('outward_outage');
}, 90_000);
afterAll(async () => {
  await stack?.close();
}, 30_000);

describe('one platform down (real processes)', () => {
  it('Shopee down for 60 s: every edit still reaches Tokopedia within 2 s (+ coalescing), and Shopee catches up after', {
    timeout: 180_000,
  }, async () => {
    const image = `${stack.control}/demo-images/outage-e2e.png`;
    const products = await makeNumberedProducts(stack, {
      count: PRODUCTS,
      skuPrefix: 'DOWN',
      image,
      priceOf: (i) => 100_000 + i,
    });
    for (const product of products) {
      await stack.json('POST', `/v1/products/${product.id}/listings`, {
        connectionIds: [stack.shopee.id, stack.tiktok.id],
      });
    }
    await until(
      'every listing live',
      async () => (await listingStates(stack)).every((r) => r.state === 'live' && r.inSync),
      60_000,
      200,
    );

    // Shopee stops answering: every call is held past our HTTP timeout.
    await stack.sandboxRequest('PUT', '/faults', {
      rules: [{ platform: 'shopee', timeoutRate: 1, timeoutHoldMs: OUTAGE_MS }],
    });
    const outageEnds = Date.now() + OUTAGE_MS;
    const lateness: number[] = [];
    let edit = 0;
    while (Date.now() < outageEnds) {
      const index = edit % PRODUCTS;
      const p = products[index] as (typeof products)[number];
      const price = 300_000 + edit * 100 + index;
      edit += 1;
      const res = await stack.call(
        'PATCH',
        `/v1/products/${p.id}`,
        { variants: [{ sku: p.sku, options: {}, priceIdr: price, stock: 5, weightGrams: 300 }] },
        { 'if-match': `"${p.version}"` },
      );
      expect(res.status, await res.clone().text()).toBe(200);
      const answered = Date.now();
      p.version = ((await res.json()) as { version: number }).version;
      p.price = price;
      await until(
        `edit ${edit} (${p.sku} at Rp${price}) on Tokopedia within ${VISIBLE_WITHIN_MS} ms while Shopee is down`,
        async () => (await remoteShops(stack)).tiktok.get(p.sku)?.[0]?.price === price,
        VISIBLE_WITHIN_MS,
        25,
      );
      lateness.push(Date.now() - answered);
      // About one edit every 3 s, so the outage sees edits from start to end.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    expect(edit).toBeGreaterThanOrEqual(10);

    // Shopee was down indeed: our calls timed out there, and its circuit opened.
    const { calls } = await stack.sandboxGet<{ calls: Array<{ fault?: string }> }>(
      '/calls?platform=shopee&limit=100000',
    );
    expect(calls.filter((c) => c.fault === 'timeout').length).toBeGreaterThan(0);
    expect(stack.logs.some((l) => /channel circuit opened/.test(l) && /shopee/.test(l))).toBe(true);

    // Shopee is back: every last edit arrives there too, and every listing is live and in sync.
    await stack.sandboxRequest('DELETE', '/faults');
    await until(
      'the last edit of every product on Shopee, every listing live and in sync',
      async () => {
        const rows = await listingStates(stack);
        if (!rows.every((r) => r.state === 'live' && r.inSync)) return false;
        const shops = await remoteShops(stack);
        return products.every(
          (p) =>
            shops.shopee.get(p.sku)?.length === 1 &&
            shops.shopee.get(p.sku)?.[0]?.price === p.price &&
            shops.tiktok.get(p.sku)?.[0]?.price === p.price,
        );
      },
      60_000,
      250,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; listings ${JSON.stringify(await listingStates(stack))}`);
    });
    // For the record (not asserted): how long each edit took to show on Tokopedia.
    console.info(`Tokopedia edit→visible during the Shopee outage (ms): ${lateness.join(', ')}`);
  });
});
