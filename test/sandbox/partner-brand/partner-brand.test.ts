import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CoreContext } from '../../../sandbox/core/context.js';
import type { PlatformModule } from '../../../sandbox/core/contract.js';
import { createPartnerBrandPlatform } from '../../../sandbox/partner-brand/index.js';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import { documentedPartnerSignature, PartnerTestClient, parseCsv } from './client.js';

let sandbox: Sandbox;
let ctx: CoreContext;
let platform: PlatformModule;
let baseUrl: string;
let client: PartnerTestClient;
let partnerId: string;

beforeAll(async () => {
  sandbox = await buildSandbox({ factories: [createPartnerBrandPlatform], seed: 3 });
  await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
  ctx = sandbox.ctx;
  const found = sandbox.platforms.find((p) => p.name === 'partner-brand');
  if (!found) throw new Error('partner-brand is not mounted');
  platform = found;
  baseUrl = `${ctx.baseUrl()}${platform.prefix}`;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  platform.control.reset();
  ctx.rateLimiter.reset();
  ctx.clock.restoreOffset(0);
  // Through the control API, as a test suite or demo would.
  const created = await fetch(`${ctx.baseUrl()}/__sandbox/partner-brand/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Toko Baju Kemang' }),
  });
  expect(created.status).toBe(201);
  const partner = (await created.json()) as { partner_id: string; key: string; secret: string };
  partnerId = partner.partner_id;
  platform.control.createShop({ partner_id: partnerId, code: 'KMG-01', name: 'Kemang', kind: 'outlet' });
  client = new PartnerTestClient(baseUrl, partner.key, partner.secret, () => ctx.clock.nowSeconds());
});

const putItem = (sku: string, body: object) => client.call('PUT', `/v1/assortment/items/${sku}`, { body });
const item = (title: string, price: number, quantity: number) => ({ title, price_idr: price, quantity });

describe('partner-brand authentication', () => {
  it('accepts the documented signature and rejects a wrong one with 401', async () => {
    expect((await client.call('GET', '/v1/assortment/items')).status).toBe(200);
    const bad = await client.call('GET', '/v1/assortment/items', { signature: 'ab'.repeat(32) });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: { code: 'invalid_signature', message: expect.any(String) } });
  });

  it('the signature covers the query and the raw body bytes', async () => {
    expect((await client.call('GET', '/v1/assortment/items?limit=5')).status).toBe(200);
    const ts = String(ctx.clock.nowSeconds());
    const withoutQuery = documentedPartnerSignature(client.secret, ts, 'GET', '/v1/assortment/items', '');
    const res0 = await client.call('GET', '/v1/assortment/items?limit=5', {
      timestamp: Number(ts),
      signature: withoutQuery,
    });
    expect(res0.status).toBe(401);
    const body = JSON.stringify(item('Kemeja Batik Tulis Ciater', 350_000, 4));
    const reordered = JSON.stringify({ quantity: 4, price_idr: 350_000, title: 'Kemeja Batik Tulis Ciater' });
    const res = await client.call('PUT', '/v1/assortment/items/KMJ-01', {
      body: reordered,
      signedBody: body,
    });
    expect(res.status).toBe(401);
    expect((res.json as { error: { code: string } }).error.code).toBe('invalid_signature');
  });

  it('rejects unknown keys, missing headers and timestamps outside ±5 min', async () => {
    const unknown = await client.call('GET', '/v1/assortment/items', { key: 'pk_unknown_key_123' });
    expect(unknown.status).toBe(401);
    expect((unknown.json as { error: { code: string } }).error.code).toBe('unknown_key');
    const missing = await fetch(`${baseUrl}/v1/assortment/items`);
    expect(missing.status).toBe(401);
    const now = ctx.clock.nowSeconds();
    const stale = await client.call('GET', '/v1/assortment/items', { timestamp: now - 302 });
    expect((stale.json as { error: { code: string } }).error.code).toBe('stale_timestamp');
    expect((await client.call('GET', '/v1/assortment/items', { timestamp: now + 302 })).status).toBe(401);
    expect((await client.call('GET', '/v1/assortment/items', { timestamp: now + 240 })).status).toBe(200);
  });

  it('throttles above the configured rate with 429 and Retry-After', async () => {
    platform.control.configure({ rate_limit_per_second: 3 });
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => client.call('GET', '/v1/assortment/items')),
    );
    const throttled = burst.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(14);
    for (const r of throttled) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect((r.json as { error: { code: string } }).error.code).toBe('rate_limited');
    }
  });
});

describe('partner-brand assortment', () => {
  it('upserts (201 then 200), lists with a cursor, removes (204, then 404)', async () => {
    expect((await putItem('TAS-01', item('Tas Anyaman Pandan', 150_000, 5))).status).toBe(201);
    const replaced = await putItem('TAS-01', {
      ...item('Tas Anyaman Pandan Besar', 185_000, 3),
      image_url: 'https://img.example.test/tas.png',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ item: { sku: 'TAS-01', price_idr: 185_000, quantity: 3 } });
    for (const sku of ['A-1', 'B-2', 'C-3', 'D-4'])
      expect((await putItem(sku, item(`Barang ${sku}`, 10_000, 1))).status).toBe(201);

    const skus: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await client.call(
        'GET',
        `/v1/assortment/items?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      const page = res.json as { items: Array<{ sku: string }>; next_cursor: string | null };
      skus.push(...page.items.map((i) => i.sku));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(skus).toEqual(['A-1', 'B-2', 'C-3', 'D-4', 'TAS-01']);
    expect(pages).toBe(3);

    const removed = await client.call('DELETE', '/v1/assortment/items/B-2');
    expect(removed.status).toBe(204);
    expect((await client.call('DELETE', '/v1/assortment/items/B-2')).status).toBe(404);
    const state = platform.control.shopState(partnerId) as { items: Array<{ sku: string }> };
    expect(state.items.map((i) => i.sku)).toEqual(['A-1', 'C-3', 'D-4', 'TAS-01']);
  });

  it('validates the item: integer rupiah, non-negative quantity, known fields', async () => {
    const fractional = await putItem('X-1', item('Piring Gerabah', 1500.5, 1));
    expect(fractional.status).toBe(400);
    expect((fractional.json as { error: { code: string } }).error.code).toBe('validation_failed');
    expect((await putItem('X-1', item('Piring Gerabah', 1500, -1))).status).toBe(400);
    expect((await putItem('X-1', { ...item('Piring Gerabah', 1500, 1), colour: 'red' })).status).toBe(400);
    // The target is signed as sent, i.e. percent-encoded.
    expect((await putItem('bad%20sku', item('Piring Gerabah', 1500, 1))).status).toBe(400);
  });
});

describe('partner-brand sales reports', () => {
  it('pages JSON lines by cursor; the CSV of the same period has the same lines', async () => {
    await putItem('KMJ-01', item('Kemeja Batik Tulis', 350_000, 100));
    await putItem('SYL-02', item('Syal Tenun Ikat', 120_000, 100));
    const to = ctx.clock.nowSeconds();
    const from = to - 5 * 86_400;
    const generated = platform.control.generateOrders({
      partner_id: partnerId,
      seed: 9,
      count: 23,
      from,
      to,
    }) as {
      lines: Array<{ report_line_id: string; quantity: number; sku: string }>;
    };
    platform.control.generateOrders({
      partner_id: partnerId,
      sales: [{ sku: 'KMJ-01', quantity: 2, sold_at: to - 60, outlet: 'KMG-01', unit_price_idr: 300_000 }],
    });
    const period = `from=${encodeURIComponent(new Date(from * 1000).toISOString())}&to=${encodeURIComponent(new Date((to + 1) * 1000).toISOString())}`;

    const lines: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await client.call(
        'GET',
        `/v1/sales-reports?${period}&limit=10${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status, res.text).toBe(200);
      const page = res.json as { lines: Array<Record<string, unknown>>; next_cursor: string | null };
      lines.push(...page.lines);
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(lines).toHaveLength(24);
    expect(new Set(lines.map((l) => l.report_line_id)).size).toBe(24);
    expect(lines.at(-1)).toMatchObject({
      sku: 'KMJ-01',
      quantity: 2,
      unit_price_idr: 300_000,
      outlet: 'KMG-01',
    });

    const csv = await client.call('GET', `/v1/sales-reports.csv?${period}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(csv.text);
    expect(header).toEqual(['report_line_id', 'sku', 'quantity', 'unit_price_idr', 'sold_at', 'outlet']);
    const fromCsv = rows.map((row) => ({
      report_line_id: row[0],
      sku: row[1],
      quantity: Number(row[2]),
      unit_price_idr: Number(row[3]),
      sold_at: row[4],
      outlet: row[5],
    }));
    expect(fromCsv).toEqual(lines);

    // Sales take units from the consigned quantity.
    const sold = generated.lines.filter((l) => l.sku === 'SYL-02').reduce((sum, l) => sum + l.quantity, 0);
    const state = platform.control.shopState(partnerId) as {
      items: Array<{ sku: string; quantity: number }>;
    };
    expect(state.items.find((i) => i.sku === 'SYL-02')?.quantity).toBe(100 - sold);
  });

  it('rejects a period that is inverted, too long, or a cursor from another period', async () => {
    const iso = (s: number) => encodeURIComponent(new Date(s * 1000).toISOString());
    const now = ctx.clock.nowSeconds();
    expect((await client.call('GET', `/v1/sales-reports?from=${iso(now)}&to=${iso(now - 10)}`)).status).toBe(
      400,
    );
    expect(
      (await client.call('GET', `/v1/sales-reports?from=${iso(now - 40 * 86_400)}&to=${iso(now)}`)).status,
    ).toBe(400);
    const foreign = Buffer.from(JSON.stringify({ s: 'sales:other:1:2', l: [1, 'rl_1'] })).toString(
      'base64url',
    );
    const res = await client.call(
      'GET',
      `/v1/sales-reports?from=${iso(now - 10)}&to=${iso(now)}&cursor=${foreign}`,
    );
    expect((res.json as { error: { code: string } }).error.code).toBe('invalid_cursor');
  });
});
