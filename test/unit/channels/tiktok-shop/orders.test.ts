import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTiktokShopAdapter } from '../../../../src/channels/tiktok-shop/index.js';
import { tiktokCanonicalOrder } from '../../../../src/channels/tiktok-shop/mappers/orders.js';
import type { TiktokOrder } from '../../../../src/channels/tiktok-shop/types.js';

const base = 'http://tiktok.test';
const ctx = {
  connectionId: 'c2',
  externalShopId: '7001',
  shopCipher: 'ROW_cipher',
  accessToken: 'tts-token',
};
const adapter = createTiktokShopAdapter(
  { baseUrl: base, appKey: 'app', appSecret: 'secret', timeoutMs: 500 },
  {
    imageCache: { get: async () => undefined, put: async () => {} },
    imagePolicy: { maxBytes: 1_000_000, timeoutMs: 500, allowedPrivateOrigins: [] },
  },
);
const T0 = 1_767_225_600;
const window = { from: new Date(T0 * 1000), to: new Date((T0 + 86_400) * 1000) };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

/** One unit in the documented line_items shape (Get Order Detail 202309). */
function unit(id: string, sku: string, sellerSku: string, price: string, over: Record<string, unknown> = {}) {
  return {
    id,
    sku_id: sku,
    product_id: `P-${sku}`,
    product_name: 'Kain tenun',
    sku_name: 'Biru',
    seller_sku: sellerSku,
    original_price: '120000',
    sale_price: price,
    seller_discount: String(120000 - Number(price)),
    platform_discount: '0',
    currency: 'IDR',
    display_status: 'AWAITING_SHIPMENT',
    is_gift: false,
    sku_type: 'NORMAL',
    ...over,
  };
}

function order(id: string, over: Partial<TiktokOrder> & Record<string, unknown> = {}): TiktokOrder {
  return {
    id,
    status: 'AWAITING_SHIPMENT',
    create_time: T0 + 100,
    update_time: T0 + 200,
    paid_time: T0 + 150,
    line_items: [unit('L1', 'S1', 'KAIN-01', '100000'), unit('L2', 'S1', 'KAIN-01', '100000')],
    ...over,
  } as TiktokOrder;
}

const ok = (data: unknown) => ({ code: 0, message: 'Success', request_id: 'r', data });

describe('TikTok Shop pullOrders', () => {
  it('searches by update_time (half-open) with page tokens, oldest change first; resumes from the token', async () => {
    const bodies: unknown[] = [];
    nock(base)
      .post('/order/202309/orders/search', (body) => {
        bodies.push(body);
        return true;
      })
      .query(
        (q) =>
          q.page_size === '100' &&
          q.sort_field === 'update_time' &&
          q.sort_order === 'ASC' &&
          q.shop_cipher === 'ROW_cipher' &&
          q.page_token === undefined,
      )
      .reply(200, ok({ orders: [order('O1')], next_page_token: 'tok-2', total_count: 2 }));
    const first = await adapter.pullOrders(ctx, window, null);
    expect(first.orders.map((o) => o.externalOrderId)).toEqual(['O1']);
    expect(first.next).toEqual({ pageToken: 'tok-2' });
    expect(bodies).toEqual([{ update_time_ge: T0, update_time_lt: T0 + 86_400 }]);

    nock(base)
      .post('/order/202309/orders/search')
      .query((q) => q.page_token === 'tok-2')
      .reply(200, ok({ orders: [order('O2')], next_page_token: '', total_count: 2 }));
    const second = await adapter.pullOrders(ctx, window, first.next);
    expect(second.orders.map((o) => o.externalOrderId)).toEqual(['O2']);
    expect(second.next).toBeNull();
  });

  it('reads orders that come without line items through Get Order Detail, 50 ids per call', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `O${i}`);
    nock(base)
      .post('/order/202309/orders/search')
      .query(true)
      .reply(
        200,
        ok({ orders: ids.map((id) => ({ id, status: 'COMPLETED', create_time: T0 })), next_page_token: '' }),
      );
    const batches: string[][] = [];
    nock(base)
      .get('/order/202309/orders')
      .query(true)
      .times(2)
      .reply((uri) => {
        const batch = (new URL(uri, base).searchParams.get('ids') ?? '').split(',');
        batches.push(batch);
        return [200, ok({ orders: batch.map((id) => order(id, { status: 'COMPLETED' })) })];
      });
    const page = await adapter.pullOrders(ctx, window, null);
    expect(batches.map((b) => b.length)).toEqual([50, 10]);
    expect(page.orders).toHaveLength(60);
    expect(page.orders.every((o) => o.lines[0]?.quantity === 2)).toBe(true);
  });

  it('a stored page token TikTok no longer takes restarts the window; other 36009004 refusals still fail', async () => {
    nock(base)
      .post('/order/202309/orders/search')
      .query((q) => q.page_token === 'expired')
      .reply(200, { code: 36009004, message: 'Invalid page_token', request_id: 'r' });
    nock(base)
      .post('/order/202309/orders/search')
      .query((q) => q.page_token === undefined)
      .reply(200, ok({ orders: [order('O1')], next_page_token: '' }));
    const page = await adapter.pullOrders(ctx, window, { pageToken: 'expired' });
    expect(page.orders.map((o) => o.externalOrderId)).toEqual(['O1']);

    nock(base)
      .post('/order/202309/orders/search')
      .query(true)
      .reply(200, { code: 36009004, message: 'Invalid shop_cipher', request_id: 'r' });
    await expect(adapter.pullOrders(ctx, window, { pageToken: 'tok' })).rejects.toMatchObject({
      kind: 'permanent',
    });
  });

  it('a 429 with 36009002 is a throttle to wait out', async () => {
    nock(base)
      .post('/order/202309/orders/search')
      .query(true)
      .reply(429, { code: 36009002, message: 'Too many requests', request_id: 'r' });
    await expect(adapter.pullOrders(ctx, window, null)).rejects.toMatchObject({ kind: 'throttled' });
  });
});

describe('TikTok Shop orders in canonical terms', () => {
  it('folds one line item per unit into lines with quantities, by SKU; per-unit cancellations count apart', () => {
    const canonical = tiktokCanonicalOrder(
      order('O1', {
        line_items: [
          unit('L1', 'S1', 'KAIN-01', '100000'),
          unit('L2', 'S2', 'KAIN-02', '90000'),
          unit('L3', 'S1', 'KAIN-01', '100000'),
          unit('L4', 'S1', 'KAIN-01', '100000', { display_status: 'CANCELLED', cancel_user: 'BUYER' }),
          // The same SKU sold at another price (a flash-sale unit) stays its own line.
          unit('L5', 'S2', 'KAIN-02', '80000'),
        ],
      }),
    );
    expect(canonical.lines).toEqual([
      {
        lineKey: 'S1',
        sellerSku: 'KAIN-01',
        remoteItemId: 'P-S1',
        remoteVariantId: 'S1',
        title: 'Kain tenun',
        quantity: 3,
        unitPriceIdr: 100_000,
        cancelledQuantity: 1,
      },
      {
        lineKey: 'S2:90000',
        sellerSku: 'KAIN-02',
        remoteItemId: 'P-S2',
        remoteVariantId: 'S2',
        title: 'Kain tenun',
        quantity: 1,
        unitPriceIdr: 90_000,
      },
      {
        lineKey: 'S2:80000',
        sellerSku: 'KAIN-02',
        remoteItemId: 'P-S2',
        remoteVariantId: 'S2',
        title: 'Kain tenun',
        quantity: 1,
        unitPriceIdr: 80_000,
      },
    ]);
  });

  it('line keys do not depend on the order TikTok lists the units in', () => {
    const a = tiktokCanonicalOrder(
      order('O', { line_items: [unit('1', 'S1', 'A', '5'), unit('2', 'S2', 'B', '6')] }),
    );
    const b = tiktokCanonicalOrder(
      order('O', { line_items: [unit('2', 'S2', 'B', '6'), unit('1', 'S1', 'A', '5')] }),
    );
    expect(new Set(a.lines.map((l) => l.lineKey))).toEqual(new Set(b.lines.map((l) => l.lineKey)));
  });

  it.each([
    ['UNPAID', 'unpaid'],
    ['ON_HOLD', 'on_hold'],
    ['AWAITING_SHIPMENT', 'awaiting_shipment'],
    ['PARTIALLY_SHIPPING', 'awaiting_shipment'],
    ['AWAITING_COLLECTION', 'awaiting_shipment'],
    ['IN_TRANSIT', 'shipped'],
    ['DELIVERED', 'shipped'],
    ['COMPLETED', 'completed'],
    ['CANCELLED', 'cancelled'],
    ['CANCEL', 'cancelled'],
  ])('maps status %s to %s', (tiktok, canonical) => {
    expect(tiktokCanonicalOrder(order('O', { status: tiktok })).status).toBe(canonical);
  });

  it('an ON_HOLD order is paid but not a sale yet: no paidAt; once it moves on, TikTok’s paid_time applies', () => {
    expect(tiktokCanonicalOrder(order('O', { status: 'ON_HOLD' })).paidAt).toBeUndefined();
    expect(tiktokCanonicalOrder(order('O', { status: 'AWAITING_SHIPMENT' })).paidAt).toEqual(
      new Date((T0 + 150) * 1000),
    );
    // Cancelled by the buyer during the hold: it was paid, so it keeps its pay time.
    expect(tiktokCanonicalOrder(order('O', { status: 'CANCELLED' })).paidAt).toEqual(
      new Date((T0 + 150) * 1000),
    );
  });
});
