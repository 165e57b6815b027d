import { describe, expect, it } from 'vitest';
import { documentedWebhookSign, waitFor } from './client.js';
import { authorizedShop, productBody, type ShopSetup, sku, uploadImage } from './fixtures.js';
import { passAudit, startReceiver, type TiktokHarness, useAuthorizedShop } from './harness.js';

let h: TiktokHarness;
let s: ShopSetup;
let productId: string;

useAuthorizedShop(async (harness, shop) => {
  h = harness;
  s = shop;
  const image = await uploadImage(s.client);
  const created = await s.client.call('POST', '/product/202309/products', {
    body: productBody(
      image,
      [sku('KAIN-01', '250000', 40, [['Warna', 'Biru']]), sku('KAIN-02', '275000', 40, [['Warna', 'Merah']])],
      { listing_platforms: ['TIKTOK_SHOP', 'TOKOPEDIA'] },
    ),
    shopCipher: s.cipher,
  });
  productId = String(created.body.data.product_id);
  passAudit(h);
  const detail = await s.client.call('GET', `/product/202309/products/${productId}`, {
    shopCipher: s.cipher,
  });
  expect(detail.body.data.status).toBe('ACTIVATE');
});

interface WireOrder {
  id: string;
  status: string;
  commerce_platform?: string;
  create_time: number;
  payment: Record<string, string>;
  line_items: Array<{
    id: string;
    sku_id: string;
    seller_sku: string;
    product_id: string;
    sale_price: string;
    currency: string;
  }>;
}

const search = (query: Record<string, string>, body: object = {}) =>
  s.client.call('POST', '/order/202309/orders/search', { query, body, shopCipher: s.cipher });

describe('TikTok Shop orders', () => {
  it('is authenticated like every API (auth first)', async () => {
    const res = await s.client.call('POST', '/order/202309/orders/search', {
      query: { page_size: '10' },
      body: {},
      shopCipher: s.cipher,
      sign: 'a'.repeat(64),
    });
    expect(res.status).toBe(401);
  });

  it('scripted order: quantity 3 becomes three line items with seller_sku, money as strings, commerce_platform TOKOPEDIA', async () => {
    const at = h.ctx.clock.nowSeconds() - 600;
    const generated = h.platform.control.generateOrders({
      shop_id: s.shopId,
      orders: [
        { lines: [{ seller_sku: 'KAIN-02', quantity: 3 }], create_time: at, status: 'AWAITING_SHIPMENT' },
      ],
    }) as { orders: Array<{ id: string }> };
    const id = generated.orders[0]?.id ?? '';
    const detail = await s.client.call('GET', '/order/202309/orders', {
      query: { ids: id },
      shopCipher: s.cipher,
    });
    expect(detail.body.code).toBe(0);
    const [order] = detail.body.data.orders as WireOrder[];
    expect(order?.status).toBe('AWAITING_SHIPMENT');
    expect(order?.commerce_platform).toBe('TOKOPEDIA');
    expect(order?.create_time).toBe(at);
    expect(order?.line_items).toHaveLength(3);
    for (const line of order?.line_items ?? []) {
      expect(line).toMatchObject({
        seller_sku: 'KAIN-02',
        product_id: productId,
        sale_price: '275000',
        currency: 'IDR',
      });
    }
    expect(new Set(order?.line_items.map((line) => line.id)).size).toBe(3);
    expect(order?.payment).toMatchObject({
      currency: 'IDR',
      original_total_product_price: '825000',
      sub_total: '825000',
    });
    // Stock is taken by the sale.
    const state = h.platform.control.shopState(s.shopId) as {
      products: Array<{ skus: Array<{ seller_sku: string; stock: number }> }>;
    };
    expect(state.products[0]?.skus.find((x) => x.seller_sku === 'KAIN-02')?.stock).toBe(37);
  });

  it('inventory search shows stock taken by an order and returned by its cancellation', async () => {
    const stockOf = async () => {
      const res = await s.client.call('POST', '/product/202309/inventory/search', {
        body: { product_ids: [productId] },
        shopCipher: s.cipher,
      });
      expect(res.body.code, res.body.message).toBe(0);
      const [entry] = res.body.data.inventory as Array<{
        skus: Array<{ seller_sku: string; total_available_quantity: number }>;
      }>;
      return entry?.skus.find((x) => x.seller_sku === 'KAIN-01')?.total_available_quantity;
    };
    expect(await stockOf()).toBe(40);
    const generated = h.platform.control.generateOrders({
      shop_id: s.shopId,
      orders: [{ lines: [{ seller_sku: 'KAIN-01', quantity: 4 }] }],
    }) as { orders: Array<{ id: string }> };
    expect(await stockOf()).toBe(36);
    h.platform.control.updateOrder({ id: generated.orders[0]?.id, status: 'CANCELLED' });
    expect(await stockOf()).toBe(40);
  });

  it('seeded random orders page through search with page tokens; create_time range is half-open', async () => {
    const to = h.ctx.clock.nowSeconds();
    const from = to - 3 * 24 * 3600;
    const generated = h.platform.control.generateOrders({
      shop_id: s.shopId,
      seed: 42,
      count: 25,
      from,
      to,
    }) as {
      orders: Array<{ id: string; create_time: number }>;
    };
    expect(generated.orders).toHaveLength(25);
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const res = await search(
        { page_size: '10', sort_order: 'ASC', ...(token ? { page_token: token } : {}) },
        { create_time_ge: from },
      );
      expect(res.body.code, res.body.message).toBe(0);
      const orders = res.body.data.orders as WireOrder[];
      seen.push(...orders.map((o) => o.id));
      for (const order of orders) expect(order.line_items.length).toBeGreaterThan(0);
      token = String(res.body.data.next_page_token);
      pages += 1;
    } while (token !== '' && pages < 10);
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual(generated.orders.map((o) => o.id).sort());

    const pivot = generated.orders[0]?.create_time ?? 0;
    const before = await search({ page_size: '100' }, { create_time_lt: pivot });
    const expected = generated.orders.filter((o) => o.create_time < pivot).length;
    expect(before.body.data.total_count).toBe(expected);
    const fromPivot = await search({ page_size: '100' }, { create_time_ge: pivot });
    expect(Number(fromPivot.body.data.total_count) + expected).toBe(25);
  });

  it('the same seed generates the same orders', async () => {
    const to = 1_767_225_600;
    const generate = async () => {
      const generated = h.platform.control.generateOrders({
        shop_id: s.shopId,
        seed: 'lebaran',
        count: 5,
        from: to - 86_400,
        to,
      }) as {
        orders: Array<{ id: string }>;
      };
      const ids = generated.orders.map((o) => o.id).join(',');
      const detail = await s.client.call('GET', '/order/202309/orders', {
        query: { ids },
        shopCipher: s.cipher,
      });
      return (detail.body.data.orders as WireOrder[]).map((o) => ({
        id: o.id,
        create_time: o.create_time,
        skus: o.line_items.map((line) => line.seller_sku),
      }));
    };
    const first = await generate();
    h.platform.control.reset();
    h.ctx.rateLimiter.reset();
    s = await authorizedShop(h);
    const image = await uploadImage(s.client);
    await s.client.call('POST', '/product/202309/products', {
      body: productBody(
        image,
        [
          sku('KAIN-01', '250000', 40, [['Warna', 'Biru']]),
          sku('KAIN-02', '275000', 40, [['Warna', 'Merah']]),
        ],
        { listing_platforms: ['TIKTOK_SHOP', 'TOKOPEDIA'] },
      ),
      shopCipher: s.cipher,
    });
    passAudit(h);
    const second = await generate();
    expect(second).toEqual(first);
    expect(first.flatMap((o) => o.skus).length).toBeGreaterThanOrEqual(5);
  });

  it('page_size must be 1..100 and detail takes at most 50 ids', async () => {
    expect((await search({ page_size: '0' })).body.code).toBe(36009004);
    expect((await search({ page_size: '101' })).body.code).toBe(36009004);
    const ids = Array.from({ length: 51 }, (_, i) => String(576486316948490001n + BigInt(i))).join(',');
    const tooMany = await s.client.call('GET', '/order/202309/orders', {
      query: { ids },
      shopCipher: s.cipher,
    });
    expect(tooMany.body.code).toBe(36009004);
    expect(tooMany.body.message).toMatch(/50/);
    // Ids that are not this seller's orders fail the request (21008111); 50 real ones pass.
    const fifty = ids.split(',').slice(0, 50).join(',');
    expect(
      (await s.client.call('GET', '/order/202309/orders', { query: { ids: fifty }, shopCipher: s.cipher }))
        .body.code,
    ).toBe(21008111);
    const generated = h.platform.control.generateOrders({ shop_id: s.shopId, seed: 50, count: 50 }) as {
      orders: Array<{ id: string }>;
    };
    const own = generated.orders.map((o) => o.id).join(',');
    const detail = await s.client.call('GET', '/order/202309/orders', {
      query: { ids: own },
      shopCipher: s.cipher,
    });
    expect(detail.body.code).toBe(0);
    expect((detail.body.data.orders as unknown[]).length).toBe(50);
  });
});

describe('TikTok Shop rate limit', () => {
  it('a burst above the configured rate gets HTTP 429 + 36009002; calls under the rate pass', async () => {
    h.platform.control.configure({ rate_limit_per_second: 5 });
    const under = await Promise.all(Array.from({ length: 5 }, () => search({ page_size: '10' })));
    expect(under.map((r) => r.body.code)).toEqual([0, 0, 0, 0, 0]);

    const path = `/product/202309/products/${productId}`;
    const burst = await Promise.all(
      Array.from({ length: 30 }, () => s.client.call('GET', path, { shopCipher: s.cipher })),
    );
    const throttled = burst.filter((r) => r.status === 429);
    // Fixed one-second windows: a burst can straddle two windows, so at most 10 of 30 pass.
    expect(throttled.length).toBeGreaterThanOrEqual(20);
    for (const r of throttled) expect(r.body.code).toBe(36009002);
    expect(burst.filter((r) => r.status === 200 && r.body.code === 0).length).toBe(30 - throttled.length);

    // The limit is per (app, shop): another shop of another app is not affected.
    const other = await authorizedShop(h);
    const otherRes = await other.client.call('POST', '/order/202309/orders/search', {
      query: { page_size: '10' },
      body: {},
      shopCipher: other.cipher,
    });
    expect(otherRes.body.code).toBe(0);
  });
});

describe('TikTok Shop webhooks', () => {
  it('ORDER_STATUS_CHANGE is signed HMAC(app_secret, app_key + body) and retried at +2 min of sandbox clock', async () => {
    const receiver = await startReceiver([500]);
    try {
      h.platform.control.configure({ app_key: s.appKey, webhook_url: receiver.url });
      const generated = h.platform.control.generateOrders({
        shop_id: s.shopId,
        orders: [{ lines: [{ seller_sku: 'KAIN-01', quantity: 1 }], status: 'UNPAID' }],
      }) as { orders: Array<{ id: string }> };
      const orderId = generated.orders[0]?.id;
      const first = await waitFor(() => receiver.received[0]);
      expect(first.headers.authorization).toBe(documentedWebhookSign(s.appKey, s.appSecret, first.body));
      const envelope = JSON.parse(first.body) as {
        type: number;
        shop_id: string;
        tts_notification_id: string;
        data: Record<string, unknown>;
      };
      expect(envelope).toMatchObject({ type: 1, shop_id: s.shopId });
      expect(envelope.data).toMatchObject({
        order_id: orderId,
        order_status: 'UNPAID',
        is_on_hold_order: false,
      });

      // The next attempt is scheduled exactly +2 min of sandbox clock after the failed one.
      const pending = await waitFor(() =>
        h.ctx.webhooks
          .list('tiktok-shop')
          .find((d) => d.attempts.length === 1 && d.nextAttemptAt !== undefined),
      );
      expect(pending.attempts[0]?.status).toBe(500);
      // (The sandbox clock also runs in real time, so allow for the duration of the failed POST.)
      const gap = (pending.nextAttemptAt ?? 0) - (pending.attempts[0]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(2 * 60_000);
      expect(gap).toBeLessThan(2 * 60_000 + 2_000);
      expect(receiver.received).toHaveLength(1);
      h.ctx.clock.advance(2 * 60_000);
      const retry = await waitFor(() => receiver.received[1]);
      expect(retry.body).toBe(first.body);
      expect(retry.headers.authorization).toBe(first.headers.authorization);
      await waitFor(() => h.ctx.webhooks.list('tiktok-shop').find((d) => d.state === 'delivered'));

      h.platform.control.updateOrder({ id: orderId, status: 'AWAITING_SHIPMENT' });
      const third = await waitFor(() => receiver.received[2]);
      expect(JSON.parse(third.body)).toMatchObject({
        type: 1,
        data: { order_id: orderId, order_status: 'AWAITING_SHIPMENT' },
      });
      expect(third.headers.authorization).toBe(documentedWebhookSign(s.appKey, s.appSecret, third.body));
    } finally {
      await receiver.close();
    }
  });
});
