import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { partnerSignature } from '../../../../src/channels/partner-brand/client.js';
import {
  createPartnerBrandAdapter,
  parsePartnerSalesCsv,
} from '../../../../src/channels/partner-brand/index.js';

const endpoint = 'http://partner.test/api';
const ctx = { connectionId: 'c3', externalShopId: 'ikea', apiKey: 'pk_1', apiSecret: 'ps_1', endpoint };
const adapter = createPartnerBrandAdapter({ timeoutMs: 500 });

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const line = (id: string, soldAt: string) => ({
  report_line_id: id,
  sku: 'TAS-01',
  quantity: 2,
  unit_price_idr: 150_000,
  sold_at: soldAt,
  outlet: 'KMG-01',
});

/** Report line rl_1 (2 × TAS-01 at Rp 150,000, sold 2026-01-03T10:15Z) as an order, by API or by CSV. */
const RL_1_ORDER = {
  externalOrderId: 'rl_1',
  status: 'completed',
  createdAt: new Date('2026-01-03T10:15:00Z'),
  paidAt: new Date('2026-01-03T10:15:00Z'),
  updatedAt: new Date('2026-01-03T10:15:00Z'),
  lines: [{ lineKey: 'TAS-01', sellerSku: 'TAS-01', quantity: 2, unitPriceIdr: 150_000 }],
};

describe('partner-brand pullOrders', () => {
  it('reads sales reports in periods of at most 31 days with cursor paging, signed; one order per line', async () => {
    const targets: string[] = [];
    nock(endpoint)
      .get('/v1/sales-reports')
      .query(true)
      .times(3)
      .reply(function (uri) {
        const target = uri.replace(/^\/api/, '');
        targets.push(target);
        const h = this.req.headers;
        expect(h['x-partner-signature']).toBe(
          partnerSignature('ps_1', String(h['x-partner-timestamp']), 'GET', target, ''),
        );
        const q = new URL(uri, endpoint).searchParams;
        const days = (Date.parse(q.get('to') ?? '') - Date.parse(q.get('from') ?? '')) / 86_400_000;
        expect(days).toBeLessThanOrEqual(31);
        if (q.get('from') === '2026-01-01T00:00:00.000Z') {
          return q.get('cursor')
            ? [200, { lines: [line('rl_2', '2026-01-20T10:00:00Z')], next_cursor: null }]
            : [200, { lines: [line('rl_1', '2026-01-03T10:15:00Z')], next_cursor: 'next-1' }];
        }
        return [200, { lines: [line('rl_3', '2026-02-05T01:00:00Z')], next_cursor: null }];
      });
    const window = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-02-10T00:00:00Z') };
    const pages = [];
    let cursor = null;
    do {
      const page = await adapter.pullOrders(ctx, window, cursor);
      pages.push(page);
      cursor = page.next;
    } while (cursor);
    expect(pages.flatMap((p) => p.orders.map((o) => o.externalOrderId))).toEqual(['rl_1', 'rl_2', 'rl_3']);
    expect(targets[1]).toContain('cursor=next-1');
    expect(pages[0]?.orders[0]).toEqual(RL_1_ORDER);
  });

  it('a stored cursor the partner no longer takes (invalid_cursor) reads the period again from its start', async () => {
    nock(endpoint)
      .get('/v1/sales-reports')
      .query((q) => q.cursor === 'old')
      .reply(400, { error: { code: 'invalid_cursor', message: 'cursor is not valid for this request' } });
    nock(endpoint)
      .get('/v1/sales-reports')
      .query((q) => q.cursor === undefined)
      .reply(200, { lines: [line('rl_1', '2026-01-03T10:15:00Z')], next_cursor: null });
    const from = new Date('2026-01-01T00:00:00Z');
    const page = await adapter.pullOrders(
      ctx,
      { from, to: new Date('2026-01-05T00:00:00Z') },
      {
        sliceFrom: from.getTime(),
        cursor: 'old',
      },
    );
    expect(page.orders.map((o) => o.externalOrderId)).toEqual(['rl_1']);
    expect(page.next).toBeNull();
  });

  it('a 429 rate_limited waits for Retry-After', async () => {
    nock(endpoint)
      .get('/v1/sales-reports')
      .query(true)
      .reply(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '3' });
    await expect(
      adapter.pullOrders(ctx, { from: new Date('2026-01-01'), to: new Date('2026-01-02') }, null),
    ).rejects.toMatchObject({ kind: 'throttled', waitMs: 3000 });
  });
});

describe('parsePartnerSalesCsv', () => {
  const header = 'report_line_id,sku,quantity,unit_price_idr,sold_at,outlet';

  it('reads the partner’s CSV into the same orders as the API (columns in any order, BOM, CRLF)', () => {
    const csv = `\uFEFFsku,report_line_id,quantity,unit_price_idr,sold_at,outlet\r\nTAS-01,rl_1,2,150000,2026-01-03T10:15:00Z,KMG-01\r\n`;
    const result = parsePartnerSalesCsv(csv);
    expect(result).toEqual({
      orders: [RL_1_ORDER],
    });
  });

  it('all or nothing: one bad row and the file gives only its row-level errors', () => {
    const csv = [
      header,
      'rl_1,TAS-01,2,150000,2026-01-03T10:15:00Z,KMG-01',
      'rl_2,TAS 01,0,15.000,yesterday,KMG-01',
      'rl_1,TAS-02,1,1000,2026-01-03T10:15:00+07:00,KMG-01',
      'rl_4,TAS-02,1',
    ].join('\n');
    const result = parsePartnerSalesCsv(csv);
    expect('orders' in result).toBe(false);
    const errors = 'errors' in result ? result.errors : [];
    expect(errors.map((e) => [e.row, e.field])).toEqual([
      [3, 'sku'],
      [3, 'quantity'],
      [3, 'unit_price_idr'],
      [3, 'sold_at'],
      [4, 'report_line_id'],
      [5, undefined],
    ]);
    expect(errors[4]?.message.en).toContain('row 2');
    expect(errors.every((e) => e.message.en.length > 0 && e.message.id.length > 0)).toBe(true);
  });

  it('names missing or doubled columns, and an empty file, on row 1', () => {
    const missing = parsePartnerSalesCsv(
      'report_line_id,sku,quantity,sold_at,outlet,sku\nrl_1,A,1,2026-01-01T00:00:00Z,X,A\n',
    );
    expect('errors' in missing && missing.errors.map((e) => [e.row, e.field])).toEqual([
      [1, 'sku'],
      [1, 'unit_price_idr'],
    ]);
    const empty = parsePartnerSalesCsv('');
    expect('errors' in empty && empty.errors[0]?.row).toBe(1);
    const broken = parsePartnerSalesCsv(`${header}\n"rl_1,TAS-01,1,1,2026-01-01T00:00:00Z,X\n`);
    expect('errors' in broken).toBe(true);
  });

  it('a header-only file is valid and imports nothing', () => {
    expect(parsePartnerSalesCsv(`${header}\r\n`)).toEqual({ orders: [] });
  });
});
