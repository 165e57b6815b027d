/**
 * An unreliable marketplace, with the real sandbox, API and worker processes: both sandbox
 * platforms answer 20 % of calls with a 5xx, throttle 10 % and let 5 % time out (the socket held
 * past our HTTP timeout), while two-variant products are published to a Shopee and a Tokopedia shop
 * and edited twice. Everything converges to the last edit, with one remote item per SKU; no push
 * job fails for good because of a throttle, throttles spend no attempt, and each listing's push
 * history records its throttles as throttles.
 */
import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_QUEUE } from '../../src/queues/definitions.js';
import { makeProduct, uniqueSku } from '../factories/products.js';
import { listingStates, remoteShops } from './outward-remote.js';
import { type OutwardStack, scanForSecrets, startOutwardStack, until } from './outward-stack.js';

const PRODUCTS = 10;
// Our HTTP timeout is short so an injected timeout costs a second, not ten; the sandbox holds
// the socket longer than that, so it is our timeout that fires.
const HTTP_TIMEOUT_MS = 1_000;
const FAULTS = { errorRate: 0.2, throttleRate: 0.1, timeoutRate: 0.05, timeoutHoldMs: 4_000 };

let stack: OutwardStack;

beforeAll(async () => {
  stack = await startOutwardStack('outward_faults', {
    env: { CHANNEL_HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS) },
  });
}, 90_000);
afterAll(async () => {
  await stack?.close();
}, 30_000);

interface Product {
  id: string;
  version: number;
  title: string;
  variants: Array<{ sku: string; options: Record<string, string>; priceIdr: number; stock: number }>;
}

async function edit(p: Product, round: number, index: number): Promise<void> {
  const title = `Tas Anyaman Pandan Ciater ${index + 1} Edisi ${round}`;
  const variants = p.variants.map((v, i) => ({
    ...v,
    priceIdr: 150_000 + round * 10_000 + index * 100 + i,
    stock: 10 + round + i,
  }));
  const res = await stack.call(
    'PATCH',
    `/v1/products/${p.id}`,
    { title, variants: variants.map((v) => ({ ...v, weightGrams: 400 })) },
    { 'if-match': `"${p.version}"` },
  );
  expect(res.status, await res.clone().text()).toBe(200);
  p.version = ((await res.json()) as { version: number }).version;
  p.title = title;
  p.variants = variants;
}

describe('an unreliable marketplace: 20 % 5xx, 10 % throttles, 5 % timeouts (real processes)', () => {
  it('publishes and edits converge to the last edit, one remote item per SKU, no job failed by a throttle', {
    timeout: 240_000,
  }, async () => {
    await stack.sandboxRequest('PUT', '/faults', {
      rules: [
        { platform: 'shopee', ...FAULTS },
        { platform: 'tiktok-shop', ...FAULTS },
      ],
    });

    const image = `${stack.control}/demo-images/faults-e2e.png`;
    const products: Product[] = [];
    for (let i = 0; i < PRODUCTS; i += 1) {
      const made = await makeProduct(stack.database.db, stack.crafterId, {
        title: `Tas Anyaman Pandan Ciater ${i + 1}`,
        description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
        category: 'kerajinan/anyaman',
        imageUrls: [image],
        variants: ['merah', 'hijau'].map((warna, v) => ({
          sku: uniqueSku('FAULT'),
          options: { warna },
          priceIdr: 100_000 + i * 100 + v,
          stock: 5 + v,
          weightGrams: 400,
        })),
      });
      products.push({
        id: made.id,
        version: made.version,
        title: made.title,
        variants: made.variants.map((v) => ({
          sku: v.sku,
          options: v.options,
          priceIdr: v.priceIdr,
          stock: v.stock,
        })),
      });
    }
    await Promise.all(
      products.map((p) =>
        stack.json('POST', `/v1/products/${p.id}/listings`, {
          connectionIds: [stack.shopee.id, stack.tiktok.id],
        }),
      ),
    );
    // A first edit while the creates are under way, a second once every listing went live.
    await Promise.all(products.map((p, i) => edit(p, 1, i)));
    await until(
      'every listing live once',
      async () => {
        const rows = await listingStates(stack);
        return rows.filter((r) => r.state === 'live').reduce((n, r) => n + r.n, 0) === 2 * PRODUCTS;
      },
      150_000,
      250,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; listings ${JSON.stringify(await listingStates(stack))}`);
    });
    await Promise.all(products.map((p, i) => edit(p, 2, i)));

    /** SKUs whose shops do not show exactly one item with the last edit (title, price, stock). */
    const behind = (shops: Awaited<ReturnType<typeof remoteShops>>) =>
      products.flatMap((p) =>
        p.variants
          .filter(
            (v) =>
              ![shops.shopee.get(v.sku), shops.tiktok.get(v.sku)].every(
                (found) =>
                  found?.length === 1 &&
                  found[0]?.title === p.title &&
                  found[0]?.price === v.priceIdr &&
                  found[0]?.stock === v.stock,
              ),
          )
          .map((v) => ({
            want: [v.sku, p.title, v.priceIdr, v.stock],
            shopee: shops.shopee.get(v.sku),
            tiktok: shops.tiktok.get(v.sku),
          })),
      );
    await until(
      'the last edit of every product in both shops, every listing live and in sync',
      async () => {
        const rows = await listingStates(stack);
        const settled = rows.every((r) => r.state === 'live' && r.inSync);
        return settled && behind(await remoteShops(stack)).length === 0;
      },
      150_000,
      250,
    ).catch(async (err: Error) => {
      const late = behind(await remoteShops(stack));
      throw new Error(
        `${err.message}; listings ${JSON.stringify(await listingStates(stack))}; behind ${JSON.stringify(late.slice(0, 4))}`,
      );
    });
    await stack.sandboxRequest('DELETE', '/faults');

    // No duplicates: one remote item per SKU, and no item beyond our SKUs.
    const shops = await remoteShops(stack);
    const skus = products.flatMap((p) => p.variants.map((v) => v.sku));
    expect([...shops.shopee.keys()].sort()).toEqual([...skus].sort());
    expect([...shops.tiktok.keys()].sort()).toEqual([...skus].sort());
    expect(new Set([...shops.shopee.values()].map((l) => l[0]?.itemId)).size).toBe(PRODUCTS);
    expect(new Set([...shops.tiktok.values()].map((l) => l[0]?.itemId)).size).toBe(PRODUCTS);

    // The faults did happen: the test cannot pass on a quiet sandbox. 5xx on each platform; throttles
    // and timeouts (about 7.6 % and 4 % of calls, drawn after the 5xx) over both platforms together,
    // since one platform's few dozen calls may draw none of the rarer kinds.
    const injected: Record<string, Record<string, number>> = {};
    for (const platform of ['shopee', 'tiktok-shop']) {
      const { calls } = await stack.sandboxGet<{ calls: Array<{ fault?: string }> }>(
        `/calls?platform=${platform}&limit=100000`,
      );
      injected[platform] = { calls: calls.length };
      for (const c of calls) {
        if (c.fault) injected[platform][c.fault] = (injected[platform][c.fault] ?? 0) + 1;
      }
    }
    const total = (kind: string) => (injected.shopee?.[kind] ?? 0) + (injected['tiktok-shop']?.[kind] ?? 0);
    const figures = JSON.stringify(injected);
    expect(injected.shopee?.error, figures).toBeGreaterThan(0);
    expect(injected['tiktok-shop']?.error, figures).toBeGreaterThan(0);
    expect(total('throttle'), figures).toBeGreaterThan(0);
    expect(total('timeout'), figures).toBeGreaterThan(0);

    // The listings' history records throttles as throttles (not as failures), in plain words.
    const history = await stack.database.db.execute<{ channel: string; outcome: string; n: number }>(sql`
      select c.channel, a.outcome, count(*)::int as n from listing_push_attempts a
      join channel_listings l on l.id = a.listing_id join channel_connections c on c.id = l.connection_id
      group by 1, 2`);
    const count = (channel: string, outcome: string) =>
      history.find((h) => h.channel === channel && h.outcome === outcome)?.n ?? 0;
    expect(count('shopee', 'throttled') + count('tiktok_shop', 'throttled'), figures).toBeGreaterThan(0);
    for (const channel of ['shopee', 'tiktok_shop']) {
      expect(count(channel, 'permanent'), `${channel} permanent failures`).toBe(0);
    }
    const throttled = await stack.database.db.execute<{
      error_code: string;
      error: string;
      error_id: string;
    }>(sql`select error_code, error, error_id from listing_push_attempts where outcome = 'throttled'`);
    for (const t of throttled) {
      expect(t.error_code).toMatch(/error_rate_limit|36009002|429|shop_budget/);
      expect(t.error.length).toBeGreaterThan(10);
      expect(t.error_id.length).toBeGreaterThan(10);
    }
    // The API shows it in a listing's push history too.
    const [withThrottle] = await stack.database.db.execute<{ listing_id: string }>(
      sql`select listing_id from listing_push_attempts where outcome = 'throttled' limit 1`,
    );
    const detail = await stack.json<{ pushHistory: Array<{ outcome: string }> }>(
      'GET',
      `/v1/listings/${withThrottle?.listing_id}`,
    );
    expect(detail.pushHistory.some((a) => a.outcome === 'throttled')).toBe(true);

    // No push job failed for good, and throttles spent no attempt: the attempts BullMQ counted
    // (completion counts one) are no more than the retryable failures recorded.
    let spent = 0;
    const failed: string[] = [];
    for (const name of [PUSH_QUEUE.shopee, PUSH_QUEUE.tiktok_shop]) {
      const queue = new Queue(name, { connection: stack.redis, prefix: stack.prefix });
      for (const job of await queue.getJobs(['completed'], 0, -1)) spent += job.attemptsMade - 1;
      for (const job of await queue.getJobs(['failed'], 0, -1)) {
        spent += job.attemptsMade;
        failed.push(`${name} ${job.id}: ${job.failedReason}`);
      }
      await queue.close();
    }
    expect(failed).toEqual([]);
    const retryable = count('shopee', 'retryable') + count('tiktok_shop', 'retryable');
    const throttles = count('shopee', 'throttled') + count('tiktok_shop', 'throttled');
    expect(
      spent,
      `${spent} attempts spent, ${retryable} retryable failures, ${throttles} throttles`,
    ).toBeLessThanOrEqual(retryable);

    expect((await scanForSecrets(stack)).leaks).toEqual([]);
    // For the record (not asserted).
    console.info(
      `faults run: injected ${figures}; attempts ${JSON.stringify(history)}; BullMQ attempts spent ${spent}, retryable failures ${retryable}, throttles ${throttles}`,
    );
  });
});
