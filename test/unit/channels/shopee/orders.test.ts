import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createShopeeAdapter, createShopeeLostPushClient } from '../../../../src/channels/shopee/index.js';
import { shopeeCanonicalOrder, shopeeOrderLines } from '../../../../src/channels/shopee/mappers/orders.js';
import type { OrderPage, PullCursor } from '../../../../src/channels/types.js';

const base = 'http://shopee.test';
const ctx = { connectionId: 'c1', externalShopId: '600001', accessToken: 'shop-access-token' };
const config = { baseUrl: base, partnerId: 2001887, partnerKey: 'test_partner_key', timeoutMs: 500 };
const adapter = createShopeeAdapter(config, {
  imageCache: { get: async () => undefined, put: async () => {} },
  imagePolicy: { maxBytes: 1_000_000, timeoutMs: 500, allowedPrivateOrigins: [] },
});

const DAY = 86_400;
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const ok = (response: unknown) => ({ request_id: 'r', error: '', message: '', response });

/** A get_order_detail order in the documented shape (v2.order.get_order_detail sample). */
function detail(sn: string, over: Record<string, unknown> = {}) {
  return {
    order_sn: sn,
    region: 'ID',
    currency: 'IDR',
    cod: false,
    order_status: 'READY_TO_SHIP',
    create_time: T0 + 3600,
    update_time: T0 + 7200,
    days_to_ship: 2,
    ship_by_date: T0 + 3 * DAY,
    message_to_seller: '',
    pay_time: T0 + 3700,
    total_amount: 260_000,
    item_list: [
      {
        item_id: 800001,
        item_name: 'Batik Tulis Ciater',
        item_sku: 'BTK',
        model_id: 10001,
        model_name: 'M',
        model_sku: 'BTK-M',
        model_quantity_purchased: 2,
        model_original_price: 130_000,
        model_discounted_price: 125_000,
        order_item_id: 1,
      },
    ],
    ...over,
  };
}

/** Pulls every page of a window, as a pull job would. */
async function pullAll(from: number, to: number): Promise<{ pages: OrderPage[]; sns: string[] }> {
  const pages: OrderPage[] = [];
  let cursor: PullCursor | null = null;
  do {
    const page = await adapter.pullOrders(
      ctx,
      { from: new Date(from * 1000), to: new Date(to * 1000) },
      cursor,
    );
    pages.push(page);
    cursor = page.next;
  } while (cursor);
  return { pages, sns: pages.flatMap((p) => p.orders.map((o) => o.externalOrderId)) };
}

describe('Shopee pullOrders', () => {
  it('lists by update_time in windows of at most 15 days (split), pages with cursor, details in batches of 50', async () => {
    const api = nock(base);
    const seen: Array<{ from: number; to: number; cursor?: string }> = [];
    const sns = Array.from({ length: 120 }, (_, i) => `2601${String(i).padStart(8, '0')}`);
    api
      .get('/api/v2/order/get_order_list')
      .query(true)
      .times(3)
      .reply((uri) => {
        const q = new URL(uri, base).searchParams;
        expect(q.get('time_range_field')).toBe('update_time');
        expect(q.get('page_size')).toBe('100');
        expect(q.get('shop_id')).toBe('600001');
        const from = Number(q.get('time_from'));
        const to = Number(q.get('time_to'));
        expect(to - from).toBeLessThanOrEqual(15 * DAY);
        const cursor = q.get('cursor') ?? undefined;
        seen.push({ from, to, ...(cursor ? { cursor } : {}) });
        // The first slice has 120 orders (two pages); the second slice none.
        if (from !== T0) return [200, ok({ more: false, next_cursor: '', order_list: [] })];
        return cursor === undefined
          ? [
              200,
              ok({
                more: true,
                next_cursor: 'c100',
                order_list: sns.slice(0, 100).map((order_sn) => ({ order_sn })),
              }),
            ]
          : [
              200,
              ok({
                more: false,
                next_cursor: '',
                order_list: sns.slice(100).map((order_sn) => ({ order_sn })),
              }),
            ];
      });
    const batches: string[][] = [];
    api
      .get('/api/v2/order/get_order_detail')
      .query(true)
      .times(3)
      .reply((uri) => {
        const q = new URL(uri, base).searchParams;
        const batch = (q.get('order_sn_list') ?? '').split(',');
        expect(q.get('response_optional_fields')?.split(',')).toEqual(
          expect.arrayContaining(['item_list', 'pay_time']),
        );
        batches.push(batch);
        return [200, ok({ order_list: batch.map((sn) => detail(sn)) })];
      });

    // 20 days: one 15-day slice and one of 5 days.
    const { pages, sns: pulled } = await pullAll(T0, T0 + 20 * DAY);
    expect(pulled).toEqual(sns);
    expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
    expect(seen).toEqual([
      { from: T0, to: T0 + 15 * DAY - 1 },
      { from: T0, to: T0 + 15 * DAY - 1, cursor: 'c100' },
      { from: T0 + 15 * DAY, to: T0 + 20 * DAY - 1 },
    ]);
    // Page 1 resumes inside the first slice; page 2 moves on to the second slice.
    expect(pages[0]?.next).toEqual({ sliceFrom: T0, cursor: 'c100' });
    expect(pages[1]?.next).toEqual({ sliceFrom: T0 + 15 * DAY, cursor: '' });
    expect(pages.at(-1)?.next).toBeNull();
  });

  it('resumes a crashed pull from its stored cursor without re-listing earlier pages', async () => {
    nock(base)
      .get('/api/v2/order/get_order_list')
      .query((q) => q.cursor === 'c100' && q.time_from === String(T0))
      .reply(200, ok({ more: false, next_cursor: '', order_list: [{ order_sn: 'SN1' }] }));
    nock(base)
      .get('/api/v2/order/get_order_detail')
      .query((q) => q.order_sn_list === 'SN1')
      .reply(200, ok({ order_list: [detail('SN1')] }));
    const page = await adapter.pullOrders(
      ctx,
      { from: new Date(T0 * 1000), to: new Date((T0 + 3 * DAY) * 1000) },
      { sliceFrom: T0, cursor: 'c100' },
    );
    expect(page.orders.map((o) => o.externalOrderId)).toEqual(['SN1']);
    expect(page.next).toBeNull();
  });

  it('a stored cursor Shopee no longer takes restarts its slice instead of failing the pull for good', async () => {
    nock(base)
      .get('/api/v2/order/get_order_list')
      .query((q) => q.cursor === 'stale')
      .reply(200, {
        request_id: 'r',
        error: 'error_param',
        message: 'Wrong parameters, detail: cursor is invalid.',
      });
    nock(base)
      .get('/api/v2/order/get_order_list')
      .query((q) => q.cursor === undefined && q.time_from === String(T0))
      .reply(200, ok({ more: false, next_cursor: '', order_list: [{ order_sn: 'SN1' }] }));
    nock(base)
      .get('/api/v2/order/get_order_detail')
      .query(true)
      .reply(200, ok({ order_list: [detail('SN1')] }));
    const page = await adapter.pullOrders(
      ctx,
      { from: new Date(T0 * 1000), to: new Date((T0 + DAY) * 1000) },
      { sliceFrom: T0, cursor: 'stale' },
    );
    expect(page.orders.map((o) => o.externalOrderId)).toEqual(['SN1']);
  });

  it('throttling (error_rate_limit) is a throttle to wait out, not a failure', async () => {
    nock(base)
      .get('/api/v2/order/get_order_list')
      .query(true)
      .reply(200, { request_id: 'r', error: 'error_rate_limit', message: 'Too many requests.' });
    await expect(
      adapter.pullOrders(ctx, { from: new Date(T0 * 1000), to: new Date((T0 + DAY) * 1000) }, null),
    ).rejects.toMatchObject({ kind: 'throttled', platformCode: 'error_rate_limit' });
  });

  it('maps an order to canonical terms: pay time, integer prices, SKU of the model', () => {
    const order = shopeeCanonicalOrder(detail('SN1'));
    expect(order).toEqual({
      externalOrderId: 'SN1',
      status: 'awaiting_shipment',
      createdAt: new Date((T0 + 3600) * 1000),
      paidAt: new Date((T0 + 3700) * 1000),
      updatedAt: new Date((T0 + 7200) * 1000),
      lines: [
        {
          lineKey: '800001:10001',
          sellerSku: 'BTK-M',
          remoteItemId: '800001',
          remoteVariantId: '10001',
          title: 'Batik Tulis Ciater',
          quantity: 2,
          unitPriceIdr: 125_000,
        },
      ],
    });
  });

  it.each([
    ['UNPAID', 'unpaid'],
    ['READY_TO_SHIP', 'awaiting_shipment'],
    ['PROCESSED', 'awaiting_shipment'],
    ['RETRY_SHIP', 'awaiting_shipment'],
    ['INVOICE_PENDING', 'awaiting_shipment'],
    // A buyer's cancellation request: the seller may refuse it, so it is not cancelled yet.
    ['IN_CANCEL', 'awaiting_shipment'],
    ['SHIPPED', 'shipped'],
    ['TO_CONFIRM_RECEIVE', 'shipped'],
    ['COMPLETED', 'completed'],
    ['CANCELLED', 'cancelled'],
    ['TO_RETURN', 'returned'],
  ])('maps status %s to %s', (shopee, canonical) => {
    expect(shopeeCanonicalOrder(detail('SN', { order_status: shopee })).status).toBe(canonical);
  });

  it('an unpaid order has no pay time; a status Shopee adds later still maps by payment', () => {
    const unpaid = shopeeCanonicalOrder(detail('SN', { order_status: 'UNPAID', pay_time: 0 }));
    expect(unpaid.paidAt).toBeUndefined();
    expect(shopeeCanonicalOrder(detail('SN', { order_status: 'SOMETHING_NEW' })).status).toBe(
      'awaiting_shipment',
    );
    expect(shopeeCanonicalOrder(detail('SN', { order_status: 'SOMETHING_NEW', pay_time: 0 })).status).toBe(
      'unpaid',
    );
  });

  it('folds repeated entries of one model into one line; keeps a second price apart; item SKU when no model', () => {
    const lines = shopeeOrderLines([
      {
        item_id: 1,
        model_id: 11,
        model_sku: 'A-M',
        item_sku: 'A',
        model_quantity_purchased: 1,
        model_discounted_price: 100_000,
      },
      {
        item_id: 1,
        model_id: 11,
        model_sku: 'A-M',
        item_sku: 'A',
        model_quantity_purchased: 2,
        model_discounted_price: 100_000,
      },
      {
        item_id: 2,
        model_id: 0,
        model_sku: '',
        item_sku: 'TAS',
        model_quantity_purchased: 1,
        model_discounted_price: 50_000,
      },
      {
        item_id: 3,
        model_id: 31,
        model_sku: 'C-L',
        model_quantity_purchased: 1,
        model_discounted_price: 70_000,
      },
      {
        item_id: 3,
        model_id: 31,
        model_sku: 'C-L',
        model_quantity_purchased: 1,
        model_discounted_price: 0,
        cancelled_qty: 1,
      },
    ]);
    expect(
      lines.map((l) => [l.lineKey, l.sellerSku, l.quantity, l.unitPriceIdr, l.cancelledQuantity]),
    ).toEqual([
      ['1:11', 'A-M', 3, 100_000, undefined],
      ['2:0', 'TAS', 1, 50_000, undefined],
      ['3:31:70000', 'C-L', 1, 70_000, undefined],
      ['3:31:0', 'C-L', 1, 0, 1],
    ]);
  });

  it('refuses a detail page without items rather than storing empty orders', async () => {
    nock(base)
      .get('/api/v2/order/get_order_list')
      .query(true)
      .reply(200, ok({ more: false, next_cursor: '', order_list: [{ order_sn: 'SN1' }] }));
    nock(base)
      .get('/api/v2/order/get_order_detail')
      .query(true)
      .reply(200, ok({ order_list: [{ ...detail('SN1'), item_list: undefined }] }));
    await expect(
      adapter.pullOrders(ctx, { from: new Date(T0 * 1000), to: new Date((T0 + DAY) * 1000) }, null),
    ).rejects.toMatchObject({ kind: 'retryable' });
  });
});

describe('Shopee lost pushes', () => {
  const lost = createShopeeLostPushClient(config);

  it('reads lost pushes (data as a string of the whole push or of its inner data) and confirms them', async () => {
    nock(base)
      .get('/api/v2/push/get_lost_push_message')
      .query((q) => q.partner_id === '2001887' && typeof q.sign === 'string' && q.shop_id === undefined)
      .reply(
        200,
        ok({
          push_message_list: [
            {
              shop_id: 600001,
              code: 3,
              timestamp: T0,
              data: JSON.stringify({
                data: { ordersn: 'SN1', status: 'CANCELLED' },
                shop_id: 600001,
                code: 3,
              }),
            },
            { shop_id: 600002, code: 3, timestamp: T0 + 1, data: '{"ordersn":"SN2","status":"SHIPPED"}' },
          ],
          has_next_page: false,
          last_message_id: 42,
        }),
      );
    const page = await lost.getLostPushMessages();
    expect(page).toEqual({
      messages: [
        { shopId: '600001', code: 3, timestamp: T0, data: { ordersn: 'SN1', status: 'CANCELLED' } },
        { shopId: '600002', code: 3, timestamp: T0 + 1, data: { ordersn: 'SN2', status: 'SHIPPED' } },
      ],
      hasNextPage: false,
      lastMessageId: 42,
    });
    nock(base)
      .post('/api/v2/push/confirm_consumed_lost_push_message', { last_message_id: 42 })
      .query(true)
      .reply(200, ok({}));
    await lost.confirmConsumed(42);
  });
});
