import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import {
  addItemBody,
  advanceClock,
  authorizedClient,
  control,
  PAST_REVIEW_MS,
  type ShopeeTestClient,
  tinyPng,
} from './client.js';

type Rec = Record<string, unknown>;
const list = (value: unknown): Rec[] => value as Rec[];
const DAY = 86_400;

describe('shopee orders', () => {
  let sandbox: Sandbox;
  let client: ShopeeTestClient;
  let itemId: number;

  async function shopWithBatik(target: Sandbox): Promise<{ client: ShopeeTestClient; itemId: number }> {
    const c = await authorizedClient(target);
    const upload = await c.uploadImage(tinyPng);
    const imageId = String((upload.body.response?.image_info as Rec | undefined)?.image_id);
    const id = Number(
      (await c.post('/api/v2/product/add_item', addItemBody(imageId))).body.response?.item_id,
    );
    // Past the review (REVIEWING → NORMAL) and the documented wait before variants.
    await advanceClock(target, PAST_REVIEW_MS);
    await c.post('/api/v2/product/init_tier_variation', {
      item_id: id,
      tier_variation: [{ name: 'Warna', option_list: [{ option: 'Biru' }, { option: 'Coklat' }] }],
      model: [
        { tier_index: [0], original_price: 250000, model_sku: 'BTK-BIRU', seller_stock: [{ stock: 100 }] },
        { tier_index: [1], original_price: 260000, model_sku: 'BTK-COKLAT', seller_stock: [{ stock: 100 }] },
      ],
    });
    return { client: c, itemId: id };
  }

  beforeEach(async () => {
    sandbox = await buildSandbox({ seed: 3 });
    ({ client, itemId } = await shopWithBatik(sandbox));
    expect(itemId).toBeGreaterThan(0);
  });
  afterEach(async () => {
    await sandbox.close();
  });

  async function allOrderSns(query: Rec): Promise<string[]> {
    const sns: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await client.get('/api/v2/order/get_order_list', {
        ...(query as Record<string, string>),
        page_size: 7,
        cursor,
      });
      expect(page.body.error, JSON.stringify(page.body)).toBe('');
      sns.push(...list(page.body.response?.order_list).map((o) => String(o.order_sn)));
      if (!page.body.response?.more) {
        expect(page.body.response?.next_cursor).toBe('');
        return sns;
      }
      cursor = String(page.body.response?.next_cursor);
    }
  }

  it('random orders (seeded) are listed with cursor paging and detailed with opt-in fields', async () => {
    const now = client.now();
    const generated = await control(sandbox, 'POST', '/shopee/orders', {
      shopId: client.shopId,
      count: 20,
      seed: 42,
      from: now - 3 * DAY,
      to: now,
    });
    expect(generated.status).toBe(201);
    const created = list(generated.body.orders).map((o) => String(o.orderSn));
    expect(new Set(created).size).toBe(20);

    const listed = await allOrderSns({
      time_range_field: 'create_time',
      time_from: now - 3 * DAY,
      time_to: now,
    });
    expect(listed.sort()).toEqual([...created].sort());

    const sn = created.slice(0, 3);
    const plain = await client.get('/api/v2/order/get_order_detail', { order_sn_list: sn.join(',') });
    const first = list(plain.body.response?.order_list)[0];
    expect(first).toMatchObject({ currency: 'IDR', region: 'ID' });
    expect(first).not.toHaveProperty('item_list');
    expect(first).not.toHaveProperty('total_amount');

    const full = await client.get('/api/v2/order/get_order_detail', {
      order_sn_list: sn.join(','),
      response_optional_fields: 'item_list,total_amount,buyer_username',
    });
    for (const order of list(full.body.response?.order_list)) {
      const lines = list(order.item_list);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(['BTK-BIRU', 'BTK-COKLAT']).toContain(line.model_sku);
        expect(line.item_sku).toBe('BTK-PRG-01');
        expect(Number.isInteger(line.model_quantity_purchased)).toBe(true);
      }
      const goods = lines.reduce(
        (sum, l) => sum + Number(l.model_discounted_price) * Number(l.model_quantity_purchased),
        0,
      );
      expect(Number(order.total_amount)).toBeGreaterThanOrEqual(goods);
      expect(Number.isInteger(order.total_amount)).toBe(true);
    }

    // The same seed and the same catalogue give the same orders in a fresh sandbox.
    const again = await buildSandbox({ seed: 999 });
    try {
      const other = await shopWithBatik(again);
      const a = await control(again, 'POST', '/shopee/orders', {
        shopId: other.client.shopId,
        count: 5,
        seed: 'repeat',
        from: now - DAY,
        to: now,
      });
      const b = await control(sandbox, 'POST', '/shopee/orders', {
        shopId: client.shopId,
        count: 5,
        seed: 'repeat',
        from: now - DAY,
        to: now,
      });
      expect(a.body.orders).toEqual(b.body.orders);
      const c = await control(sandbox, 'POST', '/shopee/orders', {
        shopId: client.shopId,
        count: 5,
        seed: 'different',
        from: now - DAY,
        to: now,
      });
      expect(c.body.orders).not.toEqual(b.body.orders);
    } finally {
      await again.close();
    }
  });

  it('rejects an order window over 15 days and page sizes outside 1..100', async () => {
    const now = client.now();
    const fifteen = await client.get('/api/v2/order/get_order_list', {
      time_range_field: 'create_time',
      time_from: now - 15 * DAY,
      time_to: now,
      page_size: 10,
    });
    expect(fifteen.body.error).toBe('');
    const over = await client.get('/api/v2/order/get_order_list', {
      time_range_field: 'create_time',
      time_from: now - 15 * DAY - 1,
      time_to: now,
      page_size: 10,
    });
    expect(over.body).toMatchObject({
      error: 'order.order_list_invalid_time',
      message: 'Start time must be earlier than end time and diff in 15days.',
    });
    const big = await client.get('/api/v2/order/get_order_list', {
      time_range_field: 'create_time',
      time_from: now - DAY,
      time_to: now,
      page_size: 101,
    });
    expect(big.body.error).toBe('error_param');
    const badField = await client.get('/api/v2/order/get_order_list', {
      time_range_field: 'pay_time',
      time_from: now - DAY,
      time_to: now,
      page_size: 10,
    });
    expect(badField.body.error).toBe('error_param');
  });

  it('get_order_detail takes at most 50 order_sn', async () => {
    const sns = Array.from({ length: 51 }, (_, i) => `2601010000${String(i).padStart(4, '0')}`);
    expect(
      (await client.get('/api/v2/order/get_order_detail', { order_sn_list: sns.join(',') })).body.error,
    ).toBe('error_param');
    expect(
      (await client.get('/api/v2/order/get_order_detail', { order_sn_list: sns.slice(0, 50).join(',') })).body
        .error,
    ).toBe('');
  });

  it('scripted orders resolve SKUs, take stock, and move through scripted status changes', async () => {
    const now = client.now();
    const scripted = await control(sandbox, 'POST', '/shopee/orders', {
      shopId: client.shopId,
      orders: [
        {
          orderSn: '261128SCRIPT01',
          createTime: now - 3600,
          status: 'UNPAID',
          lines: [{ sku: 'BTK-COKLAT', quantity: 2 }],
          statusChanges: [
            { status: 'READY_TO_SHIP', at: now - 1800 },
            { status: 'SHIPPED', at: now + 3600 },
          ],
        },
      ],
    });
    expect(scripted.status).toBe(201);
    const detail = async () =>
      list(
        (
          await client.get('/api/v2/order/get_order_detail', {
            order_sn_list: '261128SCRIPT01',
            response_optional_fields: 'item_list',
          })
        ).body.response?.order_list,
      )[0];
    const before = await detail();
    expect(before?.order_status).toBe('READY_TO_SHIP');
    expect(list(before?.item_list)[0]).toMatchObject({
      model_sku: 'BTK-COKLAT',
      model_quantity_purchased: 2,
      model_original_price: 260000,
    });

    const state = await control(sandbox, 'GET', `/shopee/shops/${client.shopId}/state`);
    const models = list(list(state.body.items)[0]?.models);
    expect(models.find((m) => m.modelSku === 'BTK-COKLAT')?.stock).toBe(98);

    await control(sandbox, 'POST', '/clock', { advanceMs: 3601_000 });
    expect((await detail())?.order_status).toBe('SHIPPED');

    const byUpdate = await allOrderSns({
      time_range_field: 'update_time',
      time_from: now,
      time_to: client.now(),
      order_status: 'SHIPPED',
    });
    expect(byUpdate).toEqual(['261128SCRIPT01']);

    const cancelled = await control(sandbox, 'POST', '/shopee/orders/261128SCRIPT01/status', {
      status: 'CANCELLED',
    });
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED' });
    const after = await control(sandbox, 'GET', `/shopee/shops/${client.shopId}/state`);
    expect(list(list(after.body.items)[0]?.models).find((m) => m.modelSku === 'BTK-COKLAT')?.stock).toBe(100);

    const unknownSku = await control(sandbox, 'POST', '/shopee/orders', {
      shopId: client.shopId,
      orders: [{ lines: [{ sku: 'NOPE' }] }],
    });
    expect(unknownSku.status).toBe(400);
    expect(String(unknownSku.body.message)).toMatch(/NOPE/);
  });
});
