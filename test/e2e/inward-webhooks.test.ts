/**
 * Inward sync end to end, with the real sandbox, API and worker processes: Tokopedia (TikTok Shop)
 * sales placed in the sandbox send their signed webhooks to our API, which queues pulls the worker
 * runs; the sales summary then equals the sandbox's own totals. Replaying every webhook changes no
 * figure, a forged one is a 401 that queues nothing, and a cancellation comes back through its webhook
 * in the figures and the stock.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PULL_JOB, QUEUE } from '../../src/queues/definitions.js';
import { makeProduct, uniqueSku } from '../factories/products.js';
import { type OutwardStack, startOutwardStack, until } from './outward-stack.js';

let stack: OutwardStack;
let pullQueue: Queue;
let shopId: string;
let skus: [string, string];
let productId: string;

interface Summary {
  totals: { grossIdr: number; netIdr: number; units: number; orders: number };
  completeness: { complete: boolean };
}
interface PullRun {
  status: string;
  reason: string;
}
interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  state: string;
}

const today = () => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);

const summary = () =>
  stack.json<Summary>('GET', `/v1/sales/summary?from=${today()}&to=${today()}`).then((s) => s.totals);

/** The sandbox's own figures of the shop today, by the same definition as our summary. */
async function sandboxTotals() {
  const res = await stack.sandboxGet<{
    sum: { grossIdr: number; netIdr: number; units: number; orders: number };
  }>(`/tiktok-shop/shops/${shopId}/sales-totals?from=${today()}&to=${today()}`);
  return res.sum;
}

const runs = () =>
  stack
    .json<{ items: PullRun[] }>('GET', `/v1/connections/${stack.tiktok.id}/pull-runs?limit=200`)
    .then((r) => r.items);

/** Pull jobs waiting, delayed or running (the queue also holds the schedules' next scans). */
async function pendingPulls(): Promise<number> {
  const jobs = await pullQueue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
  return jobs.filter((j) => j.name === PULL_JOB).length;
}

/** No pull waits or runs, and every run of the shop has finished. */
async function settled(): Promise<boolean> {
  if ((await pendingPulls()) > 0) return false;
  return (await runs()).every((r) => r.status !== 'running');
}

async function stockOf(sku: string): Promise<number> {
  const product = await stack.json<{ variants: Array<{ sku: string; stock: number }> }>(
    'GET',
    `/v1/products/${productId}`,
  );
  return product.variants.find((v) => v.sku === sku)?.stock ?? Number.NaN;
}

beforeAll(async () => {
  stack = await startOutwardStack('inward_webhooks');
  pullQueue = new Queue(QUEUE.pullOrders, { connection: stack.redis, prefix: stack.prefix });
  shopId = stack.tiktok.externalShopId;
  // The platform's webhooks go to our API, signed with the app secret over app key + body.
  await stack.sandboxPost('/tiktok-shop/configure', { webhook_url: `${stack.api}/v1/webhooks/tiktok-shop` });
  const product = await makeProduct(stack.database.db, stack.crafterId, {
    title: 'Tas Anyaman Pandan Motif Ciater Handmade',
    description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
    category: 'kerajinan/anyaman',
    imageUrls: [`${stack.control}/demo-images/tas-inward.png`],
    variants: [
      { sku: uniqueSku('IN'), options: { warna: 'merah' }, priceIdr: 150_000, stock: 10, weightGrams: 400 },
      { sku: uniqueSku('IN'), options: { warna: 'hijau' }, priceIdr: 175_000, stock: 7, weightGrams: 400 },
    ],
  });
  productId = product.id;
  skus = product.variants.map((v) => v.sku) as [string, string];
  await stack.json('POST', `/v1/products/${productId}/listings`, { connectionIds: [stack.tiktok.id] });
  await until(
    'the listing live in the Tokopedia shop',
    async () => {
      const { items } = await stack.json<{ items: Array<{ state: string }> }>(
        'GET',
        `/v1/products/${productId}/listings`,
      );
      return items[0]?.state === 'live';
    },
    40_000,
    200,
  );
}, 120_000);

afterAll(async () => {
  await pullQueue?.close();
  await stack?.close();
}, 30_000);

describe('inward sync through webhooks (real processes)', () => {
  it('sales placed in the sandbox reach the summary through their webhooks, equal to the sandbox totals', {
    timeout: 60_000,
  }, async () => {
    const [a, b] = skus;
    await stack.sandboxPost('/tiktok-shop/orders', {
      shop_id: shopId,
      orders: [
        { lines: [{ seller_sku: a, quantity: 2 }], status: 'AWAITING_SHIPMENT' },
        { lines: [{ seller_sku: b, quantity: 1 }], status: 'AWAITING_SHIPMENT' },
        {
          lines: [
            { seller_sku: a, quantity: 1 },
            { seller_sku: b, quantity: 1 },
          ],
          status: 'AWAITING_SHIPMENT',
        },
      ],
    });
    const truth = await sandboxTotals();
    expect(truth.orders).toBe(3);
    await until('the summary to equal the sandbox', async () => {
      const ours = await summary();
      return ours.orders === truth.orders && ours.grossIdr === truth.grossIdr ? ours : undefined;
    });
    await until('the pulls to settle', settled);
    expect(await summary()).toEqual(truth);
    expect((await runs()).some((r) => r.reason === 'webhook' && r.status === 'succeeded')).toBe(true);
    // The sales took stock: 10 - 3 and 7 - 2.
    expect([await stockOf(a), await stockOf(b)]).toEqual([7, 5]);
  });

  it('replaying every webhook the platform sent changes no figure and no stock', {
    timeout: 60_000,
  }, async () => {
    const before = await summary();
    const stockBefore = [await stockOf(skus[0]), await stockOf(skus[1])];
    const { deliveries } = await stack.sandboxGet<{ deliveries: Delivery[] }>(
      '/webhooks?platform=tiktok-shop',
    );
    const ours = deliveries.filter((d) => d.url.startsWith(stack.api));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    for (let round = 0; round < 2; round += 1) {
      for (const d of ours) {
        const res = await fetch(d.url, { method: 'POST', headers: d.headers, body: d.body });
        expect(res.status).toBe(200);
        await res.body?.cancel();
      }
    }
    await until('the replayed pulls to settle', settled);
    expect(await summary()).toEqual(before);
    expect([await stockOf(skus[0]), await stockOf(skus[1])]).toEqual(stockBefore);
  });

  it('a forged webhook is a 401 and queues no pull', async () => {
    await until('no pull waiting', settled);
    const runsBefore = (await runs()).length;
    const body = JSON.stringify({ type: 1, shop_id: shopId, timestamp: 1, data: { order_id: '1' } });
    const res = await fetch(`${stack.api}/v1/webhooks/tiktok-shop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'a'.repeat(64) },
      body,
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('webhook_signature_invalid');
    expect(await pendingPulls()).toBe(0);
    expect((await runs()).length).toBe(runsBefore);
  });

  it('an order cancelled in the sandbox comes back through its webhook: net, units and stock', {
    timeout: 60_000,
  }, async () => {
    const [a] = skus;
    const made = await stack.sandboxPost<{ orders: Array<{ id: string }> }>('/tiktok-shop/orders', {
      shop_id: shopId,
      orders: [{ lines: [{ seller_sku: a, quantity: 2 }], status: 'AWAITING_SHIPMENT' }],
    });
    const orderId = made.orders[0]?.id as string;
    await until('the new sale in the summary', async () =>
      (await summary()).orders === 4 ? true : undefined,
    );
    await until('the pulls to settle', settled);
    expect(await stockOf(a)).toBe(5);
    await stack.sandboxPost(`/tiktok-shop/orders/${orderId}/status`, { status: 'CANCELLED' });
    const truth = await sandboxTotals();
    await until('the cancellation in the summary', async () => {
      const ours = await summary();
      return ours.netIdr === truth.netIdr ? ours : undefined;
    });
    await until('the pulls to settle', settled);
    expect(await summary()).toEqual(truth);
    expect(await stockOf(a)).toBe(7);
  });
});
