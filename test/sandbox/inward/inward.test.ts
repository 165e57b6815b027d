/**
 * What the inward-sync proofs need from the sandbox: its own sales totals by the canonical figure
 * definition, bulk order generation with cancellations and returns, per-unit cancellation on TikTok
 * Shop, and the demo trickle with platform-signed webhooks.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PlatformModule } from '../../../sandbox/core/contract.js';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import {
  createShopeeLostPushClient,
  createShopeeWebhookVerifier,
} from '../../../src/channels/shopee/index.js';
import { createTiktokShopWebhookVerifier } from '../../../src/channels/tiktok-shop/index.js';
import {
  addItemBody,
  advanceClock,
  authorizedClient,
  control,
  PAST_REVIEW_MS,
  tinyPng,
  waitFor,
} from '../shopee/client.js';
import { authorizedShop, productBody, type ShopSetup, sku, uploadImage } from '../tiktok-shop/fixtures.js';
import { startReceiver, type TiktokHarness } from '../tiktok-shop/harness.js';

type Rec = Record<string, unknown>;
interface TotalsRow {
  shopId: string;
  day: string;
  grossIdr: number;
  netIdr: number;
  units: number;
  orders: number;
}
interface Totals {
  totals: TotalsRow[];
  sum: Omit<TotalsRow, 'shopId' | 'day'>;
}

let sandbox: Sandbox;
let tiktok: TiktokHarness;

beforeAll(async () => {
  sandbox = await buildSandbox({ seed: 11, webhookTimeoutMs: 2_000 });
  await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
  const platform = sandbox.platforms.find((p) => p.name === 'tiktok-shop') as PlatformModule;
  const rootUrl = sandbox.ctx.baseUrl();
  tiktok = {
    baseUrl: `${rootUrl}${platform.prefix}`,
    rootUrl,
    ctx: sandbox.ctx,
    platform,
    close: async () => {},
  };
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await control(sandbox, 'POST', '/reset');
});

/** A Shopee shop with one live single-SKU item (price 250,000, the given stock). */
async function shopeeShop(shopId: number, partnerId: number, stock = 100) {
  const client = await authorizedClient(sandbox, {
    shopId,
    partnerId,
    partnerKey: `key-${partnerId}-secret`,
  });
  const upload = await client.uploadImage(tinyPng);
  const imageId = String((upload.body.response?.image_info as Rec | undefined)?.image_id);
  const added = await client.post(
    '/api/v2/product/add_item',
    addItemBody(imageId, { item_sku: `BTK-${shopId}`, seller_stock: [{ stock }] }),
  );
  expect(added.body.error, JSON.stringify(added.body)).toBe('');
  await advanceClock(sandbox, PAST_REVIEW_MS);
  return { client, sku: `BTK-${shopId}`, itemId: Number(added.body.response?.item_id) };
}

/** A TikTok (Tokopedia) shop with one live product of two SKUs (250,000 each, the given stock). */
async function tiktokShop(stock = 100): Promise<ShopSetup> {
  const shop = await authorizedShop(tiktok);
  const image = await uploadImage(shop.client);
  const created = await shop.client.call('POST', '/product/202309/products', {
    body: productBody(
      image,
      [
        sku('KAIN-01', '250000', stock, [['Warna', 'Biru']]),
        sku('KAIN-02', '250000', stock, [['Warna', 'Merah']]),
      ],
      { listing_platforms: ['TIKTOK_SHOP', 'TOKOPEDIA'] },
    ),
    shopCipher: shop.cipher,
  });
  expect(created.body.code, created.body.message).toBe(0);
  const delay = (tiktok.platform.control.configure({}) as { settings: { auditDelaySeconds: number } })
    .settings.auditDelaySeconds;
  await advanceClock(sandbox, delay * 1000 + 1000);
  return shop;
}

const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);

async function totals(platform: string, query = ''): Promise<Totals> {
  const res = await control(sandbox, 'GET', `/${platform}/sales-totals${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as Totals;
}

describe('sandbox sales totals (the truth end-to-end tests compare with)', () => {
  it('Shopee: paid orders count on their Jakarta day; cancelled and returned take all back; unpaid never counts', async () => {
    const shop = await shopeeShop(500001, 3001);
    const line = [{ sku: shop.sku, quantity: 1 }];
    const created = await control(sandbox, 'POST', '/shopee/orders', {
      shopId: 500001,
      orders: [
        // 23:59:59 in Jakarta on 1 January, and the next second, which is 2 January there.
        {
          createTime: at('2026-01-01T16:59:59Z'),
          status: 'READY_TO_SHIP',
          lines: [{ sku: shop.sku, quantity: 2 }],
        },
        { createTime: at('2026-01-01T17:00:00Z'), status: 'COMPLETED', lines: line },
        { createTime: at('2026-01-01T05:00:00Z'), status: 'UNPAID', lines: line },
        { createTime: at('2026-01-01T05:00:00Z'), status: 'CANCELLED', lines: line },
        {
          createTime: at('2026-01-01T05:00:00Z'),
          status: 'UNPAID',
          lines: line,
          statusChanges: [{ status: 'CANCELLED', at: at('2026-01-01T06:00:00Z') }],
        },
        { createTime: at('2026-01-01T05:00:00Z'), status: 'TO_RETURN', lines: line },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const truth = await totals('shopee');
    expect(truth.totals).toEqual([
      { shopId: '500001', day: '2026-01-01', grossIdr: 1_000_000, netIdr: 500_000, units: 2, orders: 3 },
      { shopId: '500001', day: '2026-01-02', grossIdr: 250_000, netIdr: 250_000, units: 1, orders: 1 },
    ]);
    // Filters: one shop, and a range of Jakarta days (inclusive).
    expect((await totals('shopee', '?from=2026-01-02&to=2026-01-31')).sum.orders).toBe(1);
    expect((await control(sandbox, 'GET', '/shopee/shops/500001/sales-totals')).body).toEqual(truth);
    expect((await control(sandbox, 'GET', '/shopee/sales-totals?from=yesterday')).status).toBe(400);
  });

  it('TikTok Shop: ON_HOLD and UNPAID count nothing; a unit cancelled on its own leaves the rest; its line shows CANCELLED', async () => {
    const shop = await tiktokShop(10);
    const created = tiktok.platform.control.generateOrders({
      shop_id: shop.shopId,
      orders: [
        { lines: [{ seller_sku: 'KAIN-01', quantity: 3 }], create_time: at('2026-01-05T03:00:00Z') },
        {
          lines: [{ seller_sku: 'KAIN-01', quantity: 1 }],
          create_time: at('2026-01-05T03:00:00Z'),
          status: 'ON_HOLD',
        },
        {
          lines: [{ seller_sku: 'KAIN-02', quantity: 1 }],
          create_time: at('2026-01-05T03:00:00Z'),
          status: 'UNPAID',
        },
        {
          lines: [{ seller_sku: 'KAIN-02', quantity: 1 }],
          create_time: at('2026-01-05T03:00:00Z'),
          status: 'CANCELLED',
        },
      ],
    }) as { orders: Array<{ id: string }> };
    const firstId = created.orders[0]?.id as string;
    const before = await shop.client.call('GET', '/order/202309/orders', {
      query: { ids: firstId },
      shopCipher: shop.cipher,
    });
    const units =
      (before.body.data.orders as Array<{ line_items: Array<{ id: string }> }>)[0]?.line_items ?? [];
    expect(units).toHaveLength(3);
    const stockBefore = skuStockOf(shop, 'KAIN-01');

    tiktok.platform.control.updateOrder({ id: firstId, cancel_line_ids: [units[1]?.id] });

    const after = await shop.client.call('GET', '/order/202309/orders', {
      query: { ids: firstId },
      shopCipher: shop.cipher,
    });
    const order = (
      after.body.data.orders as Array<{
        status: string;
        line_items: Array<{ id: string; display_status: string }>;
      }>
    )[0];
    expect(order?.status).toBe('AWAITING_SHIPMENT');
    expect(order?.line_items.map((l) => l.display_status)).toEqual([
      'AWAITING_SHIPMENT',
      'CANCELLED',
      'AWAITING_SHIPMENT',
    ]);
    expect(skuStockOf(shop, 'KAIN-01')).toBe(stockBefore + 1);
    // The cancelled order placed already cancelled never took its stock.
    expect(skuStockOf(shop, 'KAIN-02')).toBe(10 - 1);

    expect((await totals('tiktok-shop')).totals).toEqual([
      { shopId: shop.shopId, day: '2026-01-05', grossIdr: 1_000_000, netIdr: 500_000, units: 2, orders: 2 },
    ]);

    // Cancelling the remaining units cancels the order.
    tiktok.platform.control.updateOrder({ id: firstId, cancel_line_ids: [units[0]?.id, units[2]?.id] });
    const last = tiktok.platform.control.shopState(shop.shopId) as Rec;
    expect(last.order_count).toBe(4);
    expect((await totals('tiktok-shop')).sum).toEqual({
      grossIdr: 1_000_000,
      netIdr: 0,
      units: 0,
      orders: 2,
    });
  });

  it('generates 5,000 orders over 60 days across shops of both platforms, with cancellations and returns', async () => {
    const shopeeIds = [500011, 500012];
    for (const [n, id] of shopeeIds.entries()) await shopeeShop(id, 3011 + n, 100_000);
    const tts = [await tiktokShop(99_999), await tiktokShop(99_999)];
    const to = sandbox.ctx.clock.nowSeconds();
    const from = to - 60 * 86_400;
    for (const id of shopeeIds) {
      const res = await control(sandbox, 'POST', '/shopee/orders', {
        shopId: id,
        count: 1250,
        seed: id,
        from,
        to,
        webhooks: false,
        statuses: [
          'READY_TO_SHIP',
          'SHIPPED',
          'COMPLETED',
          'COMPLETED',
          'COMPLETED',
          'CANCELLED',
          'TO_RETURN',
          'UNPAID',
        ],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    for (const shop of tts) {
      tiktok.platform.control.generateOrders({
        shop_id: shop.shopId,
        seed: shop.shopId,
        count: 1250,
        from,
        to,
        webhooks: false,
        partial_cancel_rate: 0.1,
        statuses: [
          'AWAITING_SHIPMENT',
          'IN_TRANSIT',
          'COMPLETED',
          'COMPLETED',
          'CANCELLED',
          'ON_HOLD',
          'UNPAID',
        ],
      });
    }
    const shopee = await totals('shopee');
    const tik = await totals('tiktok-shop');
    // Every shop has sales on most of the 61 Jakarta days, and cancellations/returns show as net < gross.
    for (const id of [...shopeeIds.map(String), ...tts.map((s) => s.shopId)]) {
      const rows = [...shopee.totals, ...tik.totals].filter((r) => r.shopId === id);
      expect(rows.length).toBeGreaterThan(50);
      const orders = rows.reduce((n, r) => n + r.orders, 0);
      expect(orders).toBeGreaterThan(800);
      expect(orders).toBeLessThan(1250);
    }
    for (const t of [shopee, tik]) {
      expect(t.sum.netIdr).toBeLessThan(t.sum.grossIdr);
      expect(t.sum.orders).toBe(t.totals.reduce((n, r) => n + r.orders, 0));
    }
    // No webhooks for the bulk set-up (webhooks: false).
    expect(sandbox.ctx.webhooks.list()).toHaveLength(0);
  });
});

function skuStockOf(shop: ShopSetup, sellerSku: string): number {
  const state = tiktok.platform.control.shopState(shop.shopId) as {
    products: Array<{ skus: Array<{ seller_sku: string; stock: number }> }>;
  };
  return state.products.flatMap((p) => p.skus).find((s) => s.seller_sku === sellerSku)?.stock ?? -1;
}

describe('Shopee lost pushes', () => {
  it('a cancellation whose push the callback refused is returned by get_lost_push_message until confirmed', async () => {
    const receiver = await startReceiver([500, 500, 500, 500]);
    try {
      const shop = await shopeeShop(500031, 3031);
      await control(sandbox, 'POST', '/shopee/configure', {
        app: { partnerId: 3031, pushCallbackUrl: receiver.url },
      });
      const created = await control(sandbox, 'POST', '/shopee/orders', {
        shopId: 500031,
        orders: [{ status: 'READY_TO_SHIP', lines: [{ sku: shop.sku, quantity: 1 }] }],
      });
      const sn = (created.body.orders as Array<{ orderSn: string }>)[0]?.orderSn as string;
      await control(sandbox, 'POST', `/shopee/orders/${sn}/status`, { status: 'CANCELLED' });
      // Both pushes (placed, cancelled) were answered 500: they are lost until a retry succeeds.
      await waitFor(() => (receiver.received.length >= 2 ? true : undefined));

      const lost = createShopeeLostPushClient(
        { baseUrl: `${sandbox.ctx.baseUrl()}/shopee`, partnerId: 3031, partnerKey: 'key-3031-secret' },
        { now: () => new Date(sandbox.ctx.clock.nowMs()) },
      );
      const page = await waitFor(async () => {
        const p = await lost.getLostPushMessages();
        return p.messages.length === 2 ? p : undefined;
      });
      expect(page.messages.map((m) => [m.shopId, m.code, m.data?.ordersn, m.data?.status])).toEqual([
        ['500031', 3, sn, 'READY_TO_SHIP'],
        ['500031', 3, sn, 'CANCELLED'],
      ]);
      expect(page.hasNextPage).toBe(false);
      await lost.confirmConsumed(page.lastMessageId);
      expect((await lost.getLostPushMessages()).messages).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});

describe('sandbox demo trickle', () => {
  it('places orders from live stock on every interval, with signed webhooks, until stopped', async () => {
    const receiver = await startReceiver([]);
    try {
      const shopee = await shopeeShop(500021, 3021, 3);
      await control(sandbox, 'POST', '/shopee/configure', {
        app: { partnerId: 3021, pushCallbackUrl: receiver.url },
      });
      const tts = await tiktokShop(50);
      tiktok.platform.control.configure({ app_key: tts.appKey, webhook_url: receiver.url });

      const started = await control(sandbox, 'POST', '/trickle', {
        intervalSeconds: 0.2,
        seed: 5,
        shops: [
          { platform: 'shopee', shopId: '500021' },
          { platform: 'tiktok-shop', shopId: tts.shopId },
        ],
      });
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      expect(started.body.running).toBe(true);
      // The Shopee shop has 3 units: once they are sold its ticks are skipped, the TikTok shop goes on.
      const status = await waitFor(async () => {
        const s = (await control(sandbox, 'GET', '/trickle')).body as { placed: number; skipped: number };
        return s.skipped > 0 && s.placed >= 4 ? s : undefined;
      }, 15_000);
      expect(status.placed).toBeGreaterThanOrEqual(4);
      const stopped = await control(sandbox, 'DELETE', '/trickle');
      expect(stopped.body.running).toBe(false);

      const shopeeState = (await control(sandbox, 'GET', '/shopee/shops/500021/state')).body as {
        items: Array<{ stock: number }>;
        orders: unknown[];
      };
      expect(shopeeState.items[0]?.stock).toBe(0);
      expect(shopeeState.orders.length).toBeGreaterThan(0);
      expect(skuStockOf(tts, 'KAIN-01') + skuStockOf(tts, 'KAIN-02')).toBeLessThan(100);

      // Each order was pushed, signed as the platforms sign, so our own verifiers accept them.
      const verifyShopee = createShopeeWebhookVerifier('key-3021-secret');
      const verifyTiktok = createTiktokShopWebhookVerifier({ appKey: tts.appKey, appSecret: tts.appSecret });
      await waitFor(() => (receiver.received.length >= status.placed ? true : undefined), 5_000);
      const events = receiver.received.map(
        (hook) =>
          verifyShopee({ rawBody: Buffer.from(hook.body), headers: hook.headers, url: receiver.url }) ??
          verifyTiktok({ rawBody: Buffer.from(hook.body), headers: hook.headers, url: receiver.url }),
      );
      expect(events.every((e) => e !== null)).toBe(true);
      expect(new Set(events.map((e) => e?.externalShopId))).toEqual(new Set(['500021', tts.shopId]));
      expect(shopee.itemId).toBeGreaterThan(0);
    } finally {
      await control(sandbox, 'DELETE', '/trickle');
      await receiver.close();
    }
  });

  it('with a cancel rate, some ticks cancel an earlier order of the trickle: stock comes back, net falls below gross', async () => {
    const tts = await tiktokShop(50);
    await control(sandbox, 'POST', '/trickle', {
      intervalSeconds: 0.2,
      seed: 9,
      cancelRate: 0.5,
      shops: [{ platform: 'tiktok-shop', shopId: tts.shopId }],
    });
    try {
      const status = await waitFor(async () => {
        const s = (await control(sandbox, 'GET', '/trickle')).body as { placed: number; cancelled: number };
        return s.cancelled >= 2 ? s : undefined;
      }, 15_000);
      await control(sandbox, 'DELETE', '/trickle');
      const truth = await totals('tiktok-shop', `?shopId=${tts.shopId}`);
      expect(truth.sum.orders).toBe(
        ((await control(sandbox, 'GET', '/trickle')).body as { placed: number }).placed,
      );
      expect(truth.sum.netIdr).toBeLessThan(truth.sum.grossIdr);
      expect(status.placed).toBeGreaterThan(0);
      // Units sold and not cancelled are exactly what left the shop's stock.
      expect(100 - skuStockOf(tts, 'KAIN-01') - skuStockOf(tts, 'KAIN-02')).toBe(truth.sum.units);
    } finally {
      await control(sandbox, 'DELETE', '/trickle');
    }
  });

  it('refuses unknown platforms and shops and bad intervals', async () => {
    expect(
      (
        await control(sandbox, 'POST', '/trickle', {
          intervalSeconds: 1,
          shops: [{ platform: 'lazada', shopId: '1' }],
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await control(sandbox, 'POST', '/trickle', {
          intervalSeconds: 1,
          shops: [{ platform: 'shopee', shopId: '999' }],
        })
      ).status,
    ).toBe(400);
    expect((await control(sandbox, 'POST', '/trickle', { intervalSeconds: 0, shops: [] })).status).toBe(400);
    expect(((await control(sandbox, 'GET', '/trickle')).body as { running: boolean }).running).toBe(false);
  });
});
