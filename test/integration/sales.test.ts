/**
 * The sales views (issue 9 §5) against the real Postgres: summary and CSV export from the rollups,
 * clipped to the caller's scope (kelurahan ⊂ kecamatan = Σ kelurahan, city = Σ all), grouped as
 * asked, with a completeness section that names a shop whose pulls fail, and the unmatched-lines
 * list. Data goes in through `ingestOrders`, as a pull would write it.
 */
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalOrder, Channel } from '../../src/channels/types.js';
import type { Principal } from '../../src/domain/scope.js';
import { type IngestConnection, ingestOrders } from '../../src/services/order-ingest.js';
import { makeConnection } from '../factories/connections.js';
import { CITY, KECAMATAN, KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, variantInput } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
const FROM = '2026-11-01';
const TO = '2026-11-07';
const LONG_AGO = new Date('2026-10-01T00:00:00Z');

interface Shop {
  crafterId: string;
  connection: IngestConnection;
}
let ciater: Shop;
let ciaterToko: Shop;
let rawabuntu: Shop;
let pakulonan: Shop;
let failing: Shop;
const who: Record<string, Principal> = {};

async function makeShop(
  kelurahanCode: string,
  channel: Channel = 'shopee',
  crafterId?: string,
): Promise<Shop> {
  const db = api.database.db;
  const id = crafterId ?? (await makeCrafter(db, { kelurahanCode })).id;
  const connectionId = await makeConnection(db, api.config.credentialsKeyring, id, {
    channel,
    createdAt: LONG_AGO,
  });
  return { crafterId: id, connection: { connectionId, channel, crafterId: id } };
}

let seq = 0;
/** An order placed at `day` 10:00 WIB with lines [sku, qty, price]. */
function order(
  day: string,
  lines: Array<[string, number, number]>,
  status: CanonicalOrder['status'] = 'completed',
) {
  seq += 1;
  const at = new Date(`${day}T03:00:00Z`);
  return {
    externalOrderId: `S-${seq}`,
    status,
    createdAt: at,
    paidAt: at,
    updatedAt: at,
    lines: lines.map(([sku, quantity, unitPriceIdr], i) => ({
      lineKey: `${i}`,
      sellerSku: sku,
      quantity,
      unitPriceIdr,
    })),
  } satisfies CanonicalOrder;
}

async function ingest(shop: Shop, orders: CanonicalOrder[]) {
  await api.database.db.transaction((tx) => ingestOrders(tx, shop.connection, orders));
}

/** A run of the orders stream of a connection. */
async function pullRun(shop: Shop, from: string, to: string, status: 'succeeded' | 'failed') {
  await api.database.db.execute(sql`
    insert into channel_pull_runs (connection_id, stream, reason, window_from, window_to, status, finished_at)
    values (${shop.connection.connectionId}, 'orders', 'schedule', ${from}::timestamptz, ${to}::timestamptz, ${status}, now())`);
}

beforeAll(async () => {
  api = await startTestApi('sales_views');
  const db = api.database.db;
  ciater = await makeShop(KELURAHAN.ciater);
  ciaterToko = await makeShop(KELURAHAN.ciater, 'tiktok_shop', ciater.crafterId);
  rawabuntu = await makeShop(KELURAHAN.rawabuntu, 'tiktok_shop');
  pakulonan = await makeShop(KELURAHAN.pakulonan);
  failing = await makeShop(KELURAHAN.pakulonan, 'tiktok_shop');

  await ingest(ciater, [
    order('2026-11-01', [['X-1', 2, 100_000]]),
    order('2026-11-03', [
      ['X-1', 1, 100_000],
      ['X-2', 1, 50_000],
    ]),
    order('2026-11-03', [['X-2', 3, 50_000]], 'cancelled'),
    order('2026-10-31', [['X-1', 5, 100_000]]), // before the range
  ]);
  await ingest(ciaterToko, [order('2026-11-02', [['X-1', 1, 110_000]])]);
  await ingest(rawabuntu, [
    order('2026-11-02', [['R-1', 4, 20_000]]),
    order('2026-11-07', [['R-1', 1, 20_000]]),
    order('2026-11-08', [['R-1', 9, 20_000]]), // after the range
  ]);
  await ingest(pakulonan, [order('2026-11-05', [['P-1', 1, 75_000]])]);

  // Every shop pulled the whole range successfully, except `failing`, whose pulls all failed.
  for (const shop of [ciater, ciaterToko, rawabuntu, pakulonan]) {
    await pullRun(shop, '2026-10-31T17:00:00Z', '2026-11-04T00:00:00Z', 'succeeded');
    await pullRun(shop, '2026-11-03T23:00:00Z', '2026-11-08T00:00:00Z', 'succeeded');
  }
  await pullRun(failing, '2026-10-31T17:00:00Z', '2026-11-08T00:00:00Z', 'failed');

  const [crafterUser, kelAdmin, kecAdmin, cityAdmin, operator, otherCrafter] = await Promise.all([
    makeUser(db, 'crafter', { crafterId: ciater.crafterId }),
    makeUser(db, 'admin', { regionCode: KELURAHAN.ciater }),
    makeUser(db, 'admin', { regionCode: KECAMATAN.serpong }),
    makeUser(db, 'admin', { regionCode: CITY }),
    makeUser(db, 'operator'),
    makeUser(db, 'crafter', { crafterId: rawabuntu.crafterId }),
  ]);
  Object.assign(who, { crafterUser, kelAdmin, kecAdmin, cityAdmin, operator, otherCrafter });
});
afterAll(async () => {
  await api?.close();
});

async function summary(principal: Principal, query: string) {
  const res = await api.app.inject({
    method: 'GET',
    url: `/v1/sales/summary?${query}`,
    headers: api.auth(principal),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('GET /v1/sales/summary', () => {
  it('needs a token', async () => {
    const res = await api.app.inject({ method: 'GET', url: `/v1/sales/summary?from=${FROM}&to=${TO}` });
    expect(res.statusCode).toBe(401);
  });

  it('counts paid orders on their Jakarta day: gross, net after cancellations, units and orders', async () => {
    const body = await summary(who.operator as Principal, `from=${FROM}&to=${TO}&groupBy=channel`);
    // ciater: 200k + 150k + cancelled 150k (gross only); toko 110k; rawabuntu 80k + 20k; pakulonan 75k.
    expect(body.totals).toEqual({ grossIdr: 785_000, netIdr: 635_000, units: 11, orders: 7 });
    expect(body.rows).toEqual([
      { channel: 'shopee', grossIdr: 575_000, netIdr: 425_000, units: 5, orders: 4 },
      { channel: 'tiktok_shop', grossIdr: 210_000, netIdr: 210_000, units: 6, orders: 3 },
    ]);
  });

  it('an order placed at 23:30 WIB counts on that Jakarta day, not the UTC one', async () => {
    const shop = await makeShop(KELURAHAN.rawabuntu);
    const late = order('2026-11-04', [['L-1', 1, 1_000]]);
    late.createdAt = new Date('2026-11-04T16:30:00Z'); // 23:30 WIB on the 4th
    await ingest(shop, [late]);
    const body = await summary(
      who.operator as Principal,
      `from=2026-11-04&to=2026-11-05&groupBy=day,crafter`,
    );
    const mine = body.rows.filter((r: { crafterId: string }) => r.crafterId === shop.crafterId);
    expect(mine).toEqual([expect.objectContaining({ day: '2026-11-04', grossIdr: 1_000 })]);
  });

  it('clips to the scope: kelurahan ⊂ kecamatan = Σ its kelurahan, city = Σ all, crafter = own', async () => {
    const q = `from=${FROM}&to=${TO}&groupBy=kelurahan`;
    const city = await summary(who.cityAdmin as Principal, q);
    const kec = await summary(who.kecAdmin as Principal, q);
    const kel = await summary(who.kelAdmin as Principal, q);
    const own = await summary(who.crafterUser as Principal, `from=${FROM}&to=${TO}&groupBy=crafter`);

    expect(kel.rows.map((r: { kelurahanCode: string }) => r.kelurahanCode)).toEqual([KELURAHAN.ciater]);
    expect(kel.totals).toEqual({ grossIdr: 610_000, netIdr: 460_000, units: 5, orders: 4 });
    expect(own.rows.map((r: { crafterId: string }) => r.crafterId)).toEqual([ciater.crafterId]);
    expect(own.totals).toEqual(kel.totals);

    type Figures = { grossIdr: number; netIdr: number; units: number; orders: number };
    const sum = (rows: Array<Partial<Figures>>) =>
      rows.reduce<Figures>(
        (t, r) => ({
          grossIdr: t.grossIdr + (r.grossIdr ?? 0),
          netIdr: t.netIdr + (r.netIdr ?? 0),
          units: t.units + (r.units ?? 0),
          orders: t.orders + (r.orders ?? 0),
        }),
        { grossIdr: 0, netIdr: 0, units: 0, orders: 0 },
      );
    expect(
      kec.rows.every((r: { kelurahanCode: string }) => r.kelurahanCode.startsWith(`${KECAMATAN.serpong}.`)),
    ).toBe(true);
    expect(sum(kec.rows)).toEqual(kec.totals);
    const serpongInCity = city.rows.filter((r: { kelurahanCode: string }) =>
      r.kelurahanCode.startsWith(`${KECAMATAN.serpong}.`),
    );
    expect(sum(serpongInCity)).toEqual(kec.totals);
    expect(sum(city.rows)).toEqual(city.totals);

    const byKecamatan = await summary(who.cityAdmin as Principal, `from=${FROM}&to=${TO}&groupBy=kecamatan`);
    expect(sum(byKecamatan.rows)).toEqual(city.totals);
    expect(
      byKecamatan.rows.find((r: { kecamatanCode: string }) => r.kecamatanCode === KECAMATAN.serpong),
    ).toMatchObject({
      ...kec.totals,
      kecamatanName: expect.any(String),
    });
  });

  it('a region filter narrows within the scope, never widens it', async () => {
    const inKec = await summary(
      who.cityAdmin as Principal,
      `from=${FROM}&to=${TO}&region=${KECAMATAN.serpongUtara}`,
    );
    expect(inKec.totals).toEqual({ grossIdr: 75_000, netIdr: 75_000, units: 1, orders: 1 });
    const outside = await summary(
      who.kelAdmin as Principal,
      `from=${FROM}&to=${TO}&region=${KELURAHAN.pakulonan}`,
    );
    expect(outside.totals).toEqual({ grossIdr: 0, netIdr: 0, units: 0, orders: 0 });
    expect(outside.completeness.connections).toBe(0);
  });

  it('groups by several dimensions at once (week, month, channel, kecamatan)', async () => {
    const body = await summary(
      who.operator as Principal,
      `from=${FROM}&to=${TO}&groupBy=month,week,kecamatan,channel`,
    );
    for (const row of body.rows) {
      expect(row.month).toBe('2026-11');
      expect(['2026-10-26', '2026-11-02']).toContain(row.week);
    }
    const week1 = body.rows.filter((r: { week: string }) => r.week === '2026-10-26');
    // Only 1 November (a Sunday) falls in the week of 26 October: ciater's 2 × 100k.
    expect(week1).toEqual([
      expect.objectContaining({
        kecamatanCode: KECAMATAN.serpong,
        channel: 'shopee',
        grossIdr: 200_000,
        orders: 1,
      }),
    ]);
  });

  it('names a shop whose pulls failed as missing data for every day, and no other', async () => {
    const body = await summary(who.operator as Principal, `from=${FROM}&to=${TO}`);
    expect(body.completeness.complete).toBe(false);
    const missing = new Map(
      body.completeness.missing.map((m: { connectionId: string; days: string[] }) => [
        m.connectionId,
        m.days,
      ]),
    );
    expect(missing.get(failing.connection.connectionId)).toEqual([
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
      '2026-11-06',
      '2026-11-07',
    ]);
    for (const shop of [ciater, ciaterToko, rawabuntu, pakulonan]) {
      expect(missing.has(shop.connection.connectionId)).toBe(false);
    }
    // The failing shop's sales are not zero in the figures: they are absent, and named as such.
    const kec = await summary(
      who.operator as Principal,
      `from=${FROM}&to=${TO}&region=${KECAMATAN.serpongUtara}`,
    );
    expect(kec.completeness.missing.map((m: { connectionId: string }) => m.connectionId)).toContain(
      failing.connection.connectionId,
    );
  });

  it('a gap between succeeded windows makes exactly the days it touches missing', async () => {
    const shop = await makeShop(KELURAHAN.ciater);
    await pullRun(shop, '2026-10-31T17:00:00Z', '2026-11-03T12:00:00Z', 'succeeded'); // to 19:00 WIB on the 3rd
    await pullRun(shop, '2026-11-03T12:00:00Z', '2026-11-05T00:00:00Z', 'failed');
    await pullRun(shop, '2026-11-04T17:00:00Z', '2026-11-09T00:00:00Z', 'succeeded'); // from the 5th
    const body = await summary(who.operator as Principal, `from=${FROM}&to=${TO}`);
    const entry = body.completeness.missing.find(
      (m: { connectionId: string }) => m.connectionId === shop.connection.connectionId,
    );
    expect(entry?.days).toEqual(['2026-11-03', '2026-11-04']);
  });

  it('days before a connection existed are not missing', async () => {
    const db = api.database.db;
    const crafter = await makeCrafter(db, { kelurahanCode: KELURAHAN.ciater });
    const connectionId = await makeConnection(db, api.config.credentialsKeyring, crafter.id, {
      createdAt: new Date('2026-11-05T05:00:00Z'),
    });
    const shop = {
      crafterId: crafter.id,
      connection: { connectionId, channel: 'shopee' as const, crafterId: crafter.id },
    };
    await pullRun(shop, '2026-11-05T05:00:00Z', '2026-11-08T00:00:00Z', 'succeeded');
    const body = await summary(who.operator as Principal, `from=${FROM}&to=${TO}`);
    expect(body.completeness.missing.map((m: { connectionId: string }) => m.connectionId)).not.toContain(
      connectionId,
    );
  });

  it('an order with several products counts once per product, per category and in every total', async () => {
    const db = api.database.db;
    const shop = await makeShop(KELURAHAN.pakulonan);
    const bag = await makeProduct(db, shop.crafterId, {
      category: 'crafts',
      variants: [variantInput({ stock: 9 })],
    });
    const mat = await makeProduct(db, shop.crafterId, {
      category: 'crafts',
      variants: [variantInput({ stock: 9 })],
    });
    const shirt = await makeProduct(db, shop.crafterId, {
      category: 'fashion',
      variants: [variantInput({ stock: 9 })],
    });
    const sku = (p: typeof bag) => (p.variants[0] as unknown as { sku: string }).sku;
    await ingest(shop, [
      order('2026-11-06', [
        [sku(bag), 1, 10_000],
        [sku(mat), 2, 20_000],
        [sku(shirt), 1, 30_000],
      ]),
      order('2026-11-06', [[sku(bag), 1, 10_000]]),
    ]);
    const q = `from=2026-11-06&to=2026-11-06&region=${KELURAHAN.pakulonan}`;
    type Row = { crafterId?: string; productId?: string; category?: string; orders: number };
    const mine = (rows: Row[]) =>
      rows.filter(
        (r) => r.crafterId === shop.crafterId || [bag.id, mat.id, shirt.id].includes(r.productId ?? ''),
      );
    const byProduct = await summary(who.operator as Principal, `${q}&groupBy=product`);
    expect(Object.fromEntries(mine(byProduct.rows).map((r) => [r.productId, r.orders]))).toEqual({
      [bag.id]: 2,
      [mat.id]: 1,
      [shirt.id]: 1,
    });
    const byCategory = await summary(who.operator as Principal, `${q}&groupBy=category,crafter`);
    expect(Object.fromEntries(mine(byCategory.rows).map((r) => [r.category, r.orders]))).toEqual({
      crafts: 2,
      fashion: 1,
    });
    const byCrafter = await summary(who.operator as Principal, `${q}&groupBy=crafter`);
    expect(mine(byCrafter.rows)).toEqual([
      expect.objectContaining({ grossIdr: 90_000, netIdr: 90_000, units: 5, orders: 2 }),
    ]);
  });

  it.each([
    ['from=2026-11-01', 'to'],
    ['from=2026-02-30&to=2026-03-01', 'from'],
    ['from=01-11-2026&to=2026-11-02', 'from'],
    ['from=0000-01-01&to=0000-01-02', 'from'],
    ['from=2026-11-05&to=2026-11-01', 'to'],
    ['from=2025-01-01&to=2026-11-01', 'to'],
    ['from=2026-11-01&to=2026-11-02&groupBy=day,shop', 'groupBy'],
    ['from=2026-11-01&to=2026-11-02&groupBy=day,day', 'groupBy'],
    ['from=2026-11-01&to=2026-11-02&region=banten', 'region'],
    ['from=2026-11-01&to=2026-11-02&region=36.74.99', 'region'],
    ['from=2026-11-01&to=2026-11-02&colour=red', ''],
  ])('%s → 400 problem naming %s', async (query, field) => {
    for (const url of ['/v1/sales/summary', '/v1/sales/export.csv']) {
      const res = await api.app.inject({
        method: 'GET',
        url: `${url}?${query}`,
        headers: api.auth(who.operator as Principal),
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('validation_failed');
      if (field) expect(JSON.stringify(res.json().errors ?? [])).toContain(field);
    }
  });
});

describe('GET /v1/sales/export.csv', () => {
  it('streams the same rows as the summary, with the same filters and scope', async () => {
    for (const [principal, query] of [
      [who.operator, `from=${FROM}&to=${TO}&groupBy=kecamatan,channel,day`],
      [who.kecAdmin, `from=${FROM}&to=${TO}&groupBy=crafter,kelurahan`],
      [who.crafterUser, `from=${FROM}&to=${TO}`],
    ] as const) {
      const body = await summary(principal as Principal, query);
      const res = await api.app.inject({
        method: 'GET',
        url: `/v1/sales/export.csv?${query}`,
        headers: api.auth(principal as Principal),
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/csv');
      const records = parse(res.body, { columns: true }) as Array<Record<string, string>>;
      const fromSummary = body.rows.map((r: Record<string, unknown>) => ({
        ...Object.fromEntries(
          Object.entries(r)
            .filter(([k]) => !['grossIdr', 'netIdr', 'units', 'orders'].includes(k))
            .map(([k, v]) => [
              k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
              v === null ? '' : String(v),
            ]),
        ),
        gross_idr: String(r.grossIdr),
        net_idr: String(r.netIdr),
        units: String(r.units),
        orders: String(r.orders),
      }));
      expect(records).toEqual(fromSummary);
      expect(Number(res.headers['x-sales-missing-days'])).toBe(
        body.completeness.missing.reduce((n: number, m: { days: string[] }) => n + m.days.length, 0),
      );
    }
  });

  it('guards names a spreadsheet would run as formulas', async () => {
    const db = api.database.db;
    const crafter = await makeCrafter(db, {
      kelurahanCode: KELURAHAN.ciater,
      businessName: '=HYPERLINK("x")',
    });
    const shop = await makeShop(KELURAHAN.ciater, 'shopee', crafter.id);
    await ingest(shop, [order('2026-11-06', [['F-1', 1, 1_000]])]);
    const res = await api.app.inject({
      method: 'GET',
      url: `/v1/sales/export.csv?from=${FROM}&to=${TO}&groupBy=crafter`,
      headers: api.auth(who.operator as Principal),
    });
    const records = parse(res.body, { columns: true }) as Array<Record<string, string>>;
    expect(records.find((r) => r.crafter_id === crafter.id)?.crafter_name).toBe(`'=HYPERLINK("x")`);
  });
});

describe('GET /v1/orders/unmatched-lines', () => {
  it('lists lines whose SKU matched nothing, to their crafter and region only', async () => {
    const own = await api.app.inject({
      method: 'GET',
      url: '/v1/orders/unmatched-lines?limit=200',
      headers: api.auth(who.crafterUser as Principal),
    });
    expect(own.statusCode).toBe(200);
    const skus = own
      .json()
      .items.map((l: { sellerSku: string; crafterId: string }) => [l.crafterId, l.sellerSku]);
    expect(skus.length).toBeGreaterThan(0);
    expect(new Set(skus.map(([c]: string[]) => c))).toEqual(new Set([ciater.crafterId]));
    expect(new Set(skus.map(([, s]: string[]) => s))).toEqual(new Set(['X-1', 'X-2']));

    const other = await api.app.inject({
      method: 'GET',
      url: '/v1/orders/unmatched-lines?limit=200',
      headers: api.auth(who.otherCrafter as Principal),
    });
    expect(other.json().items.every((l: { crafterId: string }) => l.crafterId === rawabuntu.crafterId)).toBe(
      true,
    );

    const page1 = await api.app.inject({
      method: 'GET',
      url: '/v1/orders/unmatched-lines?limit=2',
      headers: api.auth(who.operator as Principal),
    });
    const page2 = await api.app.inject({
      method: 'GET',
      url: `/v1/orders/unmatched-lines?limit=2&cursor=${page1.json().nextCursor}`,
      headers: api.auth(who.operator as Principal),
    });
    const ids = [...page1.json().items, ...page2.json().items].map((l: { id: string }) => l.id);
    expect(new Set(ids).size).toBe(4);
  });
});
