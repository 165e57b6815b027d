/**
 * A shop whose pulls fail is missing data, not zero sales, with the real processes: the sandbox
 * answers Shopee's order list with server errors from before our first pull, while the crafter's
 * Tokopedia shop pulls normally. Both shops sold today. The summary then has no Shopee figures and
 * names the Shopee connection and its days in `completeness.missing`; once the platform recovers and a
 * pull succeeds, the same days show the platform's own figures and nothing is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuePulls } from '../../src/queues/pulls.js';
import { KELURAHAN } from '../factories/index.js';
import {
  type Figures,
  type InwardCrafter,
  type InwardStack,
  jakartaDay,
  pickFigures as pick,
  type SalesSummary as Summary,
  sandboxSum,
  startInwardStack,
} from './inward-stack.js';
import { scanForSecrets, until } from './outward-stack.js';

let stack: InwardStack;
let crafter: InwardCrafter;
const today = jakartaDay(Date.now());
const from = jakartaDay(Date.now() - 2 * 86_400_000);
const ORDER_LIST = { platform: 'shopee', endpoint: '/api/v2/order/get_order_list', errorRate: 1 };

beforeAll(async () => {
  stack = await startInwardStack('inward_completeness', {
    kelurahan: [KELURAHAN.rawabuntu],
    pausePulls: true,
  });
  crafter = stack.crafters[0] as InwardCrafter;
  const p = await stack.liveProduct(
    crafter,
    [crafter.shopee.id, crafter.tiktok.id],
    [{ warna: 'coklat', priceIdr: 65_000, stock: 50 }],
  );
  const sku = p.variants[0]?.sku ?? '';
  await stack.sandboxPost('/shopee/orders', {
    shopId: Number(crafter.shopee.externalShopId),
    orders: [
      { status: 'READY_TO_SHIP', lines: [{ sku, quantity: 2 }] },
      { status: 'COMPLETED', lines: [{ sku, quantity: 1 }] },
    ],
  });
  await stack.sandboxPost('/tiktok-shop/orders', {
    shop_id: crafter.tiktok.externalShopId,
    orders: [{ status: 'AWAITING_SHIPMENT', lines: [{ seller_sku: sku, quantity: 1 }] }],
  });
  // Shopee's order list fails from before our first pull.
  const res = await fetch(`${stack.control}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([ORDER_LIST]),
  });
  expect(res.status).toBe(200);
  await stack.resumePulls();
}, 240_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

const summary = (range: { from: string; to: string }) =>
  stack.city.json<Summary>('GET', `/v1/sales/summary?from=${range.from}&to=${range.to}&groupBy=channel`);
const truth = (platform: 'shopee' | 'tiktok-shop', shopId: string) =>
  sandboxSum(stack, platform, shopId, from, today);

describe('completeness (real processes, failing pulls)', () => {
  it('a shop whose pulls fail is named with its days as missing data, not shown as zero sales', {
    timeout: 120_000,
  }, async () => {
    const [shopeeRun, tiktokRun] = await stack
      .pull([crafter.shopee.id, crafter.tiktok.id], 120_000, { orFailedAttempt: true })
      .then((runs) => [
        runs.find((r) => r.connection_id === crafter.shopee.id),
        runs.find((r) => r.connection_id === crafter.tiktok.id),
      ]);
    // Failed, or failing with retries left: either way no successful pull covers the shop's days.
    expect(shopeeRun?.status).not.toBe('succeeded');
    expect(shopeeRun?.error).toBeTruthy();
    expect(tiktokRun?.status).toBe('succeeded');
    // The platform did sell: the figures are missing, not zero.
    expect((await truth('shopee', crafter.shopee.externalShopId)).orders).toBe(2);

    const s = await summary({ from, to: today });
    expect(s.rows.map((r) => r.channel)).toEqual(['tiktok_shop']);
    expect(pick(s.rows[0] as Figures)).toEqual(await truth('tiktok-shop', crafter.tiktok.externalShopId));
    expect(s.completeness.complete).toBe(false);
    expect(s.completeness.missing.map((m) => [m.connectionId, m.channel, m.crafterId])).toEqual([
      [crafter.shopee.id, 'shopee', crafter.id],
    ]);
    expect(s.completeness.missing[0]?.days).toContain(today);
  });

  it('no token or key in logs, Redis, the database or API responses after failed pulls', {
    timeout: 120_000,
  }, async () => {
    // The failing run's error is stored (and logged) while the shop is failing.
    const failed = (await stack.pullRuns(crafter.shopee.id)).filter((r) => r.error !== null);
    expect(failed.length).toBeGreaterThan(0);
    const scan = await scanForSecrets(stack);
    expect(scan.secrets).toBeGreaterThanOrEqual(4 + 2);
    expect(scan.leaks).toEqual([]);
    for (const size of Object.values(scan.places)) expect(size).toBeGreaterThan(1_000);
  });

  it('once a pull succeeds, the same days carry the platform’s figures and nothing is missing', {
    timeout: 120_000,
  }, async () => {
    await fetch(`${stack.control}/faults`, { method: 'DELETE' });
    // The failing pull's next attempt (or a new pull, if it gave up) now succeeds.
    await queuePulls(stack.pullQueue, [crafter.shopee.id], 'manual');
    const runs = await until(
      'a successful Shopee pull',
      async () => (await stack.pullRuns(crafter.shopee.id)).find((r) => r.status === 'succeeded'),
      90_000,
      250,
    );
    expect(runs.status).toBe('succeeded');
    const s = await summary({ from: today, to: today });
    expect(s.completeness).toMatchObject({ complete: true, missing: [] });
    const shopee = s.rows.find((r) => r.channel === 'shopee');
    expect(shopee && pick(shopee)).toEqual(await truth('shopee', crafter.shopee.externalShopId));
  });
});
