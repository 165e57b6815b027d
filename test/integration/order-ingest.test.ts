/**
 * Orders and lines stored exactly once (issue 9 §3), against the real Postgres: replays, duplicate
 * lines, forward-only status, cancellations and returns in figures and stock, unmatched SKUs kept,
 * the kelurahan at the time of sale, and the rollups equal to a GROUP BY over the lines after a
 * seeded random sequence of ingests.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalOrder, CanonicalOrderLine, OrderStatus } from '../../src/channels/types.js';
import type { Database } from '../../src/db/client.js';
import { type IngestConnection, ingestOrders, rebuildSalesRollups } from '../../src/services/order-ingest.js';
import { makeConnection } from '../factories/connections.js';
import { KELURAHAN, makeCrafter } from '../factories/index.js';
import { makeProduct, uniqueSku, variantInput } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let db: Database;

beforeAll(async () => {
  api = await startTestApi('order_ingest');
  db = api.database.db;
});
afterAll(async () => {
  await api?.close();
});

async function shop(
  kelurahanCode: string = KELURAHAN.ciater,
  channel: IngestConnection['channel'] = 'shopee',
) {
  const crafter = await makeCrafter(db, { kelurahanCode });
  const connectionId = await makeConnection(db, api.config.credentialsKeyring, crafter.id, { channel });
  return { crafter, connection: { connectionId, channel, crafterId: crafter.id } satisfies IngestConnection };
}

const ingest = (connection: IngestConnection, orders: CanonicalOrder[]) =>
  db.transaction((tx) => ingestOrders(tx, connection, orders));

let orderSeq = 0;
function order(
  overrides: Omit<Partial<CanonicalOrder>, 'paidAt'> & {
    paidAt?: Date | undefined;
    lines: CanonicalOrderLine[];
  },
): CanonicalOrder {
  orderSeq += 1;
  const { paidAt, ...rest } = overrides;
  const o: CanonicalOrder = {
    externalOrderId: `ORD-${orderSeq}-${Math.random().toString(36).slice(2, 8)}`,
    status: 'awaiting_shipment',
    createdAt: new Date('2026-11-10T03:00:00Z'),
    updatedAt: new Date('2026-11-10T03:05:00Z'),
    ...rest,
  };
  const paid = 'paidAt' in overrides ? paidAt : new Date('2026-11-10T03:05:00Z');
  if (paid) o.paidAt = paid;
  return o;
}

const line = (
  sellerSku: string,
  quantity: number,
  unitPriceIdr: number,
  key = sellerSku,
): CanonicalOrderLine => ({
  lineKey: key,
  sellerSku,
  quantity,
  unitPriceIdr,
});

async function figuresOf(connectionId: string) {
  const [row] = (await db.execute(sql`
    select coalesce(sum(gross_idr), 0)::float8 as gross, coalesce(sum(net_idr), 0)::float8 as net,
           coalesce(sum(units), 0)::float8 as units, coalesce(sum(orders), 0)::float8 as orders
    from sales_daily_rollups where grain = 'order' and connection_id = ${connectionId}`)) as unknown as Array<{
    gross: number;
    net: number;
    units: number;
    orders: number;
  }>;
  return row;
}

async function stockOf(variantId: string): Promise<number> {
  const [row] = (await db.execute(
    sql`select stock from variants where id = ${variantId}`,
  )) as unknown as Array<{
    stock: number;
  }>;
  return Number(row?.stock);
}

async function countRows(table: 'orders' | 'order_lines', connectionId: string): Promise<number> {
  const [row] = (await db.execute(
    sql`select count(*)::int as n from ${sql.raw(table)} where connection_id = ${connectionId}`,
  )) as unknown as Array<{ n: number }>;
  return row?.n ?? -1;
}

describe('exactly once', () => {
  it('a replayed pull changes nothing: same rows, same figures, summary says unchanged', async () => {
    const { connection } = await shop();
    const orders = [
      order({ lines: [line('A-1', 2, 50_000), line('A-2', 1, 30_000)] }),
      order({ lines: [line('A-1', 1, 50_000)] }),
    ];
    const first = await ingest(connection, orders);
    expect(first).toMatchObject({ fetched: 2, inserted: 2, updated: 0, unchanged: 0 });
    const figures = await figuresOf(connection.connectionId);
    expect(figures).toEqual({ gross: 180_000, net: 180_000, units: 4, orders: 2 });

    const again = await ingest(connection, orders);
    expect(again).toMatchObject({ fetched: 2, inserted: 0, updated: 0, unchanged: 2 });
    expect(await figuresOf(connection.connectionId)).toEqual(figures);
    expect(await countRows('orders', connection.connectionId)).toBe(2);
    expect(await countRows('order_lines', connection.connectionId)).toBe(3);
  });

  it('the same order twice in one batch, and a line key twice in one order, count once', async () => {
    const { connection } = await shop();
    const o = order({ lines: [line('B-1', 1, 10_000), line('B-1', 1, 10_000)] });
    const summary = await ingest(connection, [o, { ...o }]);
    expect(summary.inserted).toBe(1);
    expect(await countRows('order_lines', connection.connectionId)).toBe(1);
    expect(await figuresOf(connection.connectionId)).toEqual({
      gross: 10_000,
      net: 10_000,
      units: 1,
      orders: 1,
    });
  });

  it('the database refuses a second row for the same order or line', async () => {
    const { connection } = await shop();
    const o = order({ lines: [line('C-1', 1, 10_000)] });
    await ingest(connection, [o]);
    await expect(
      db.execute(sql`
        insert into orders (connection_id, channel, crafter_id, external_order_id, status, placed_at,
                            platform_updated_at, sale_day, counted, kelurahan_code, kecamatan_code)
        select connection_id, channel, crafter_id, external_order_id, status, placed_at, platform_updated_at,
               sale_day, counted, kelurahan_code, kecamatan_code from orders where external_order_id = ${o.externalOrderId}`),
    ).rejects.toMatchObject({ cause: { constraint_name: 'orders_connection_external_idx' } });
    await expect(
      db.execute(sql`
        insert into order_lines (order_id, line_key, seller_sku, quantity, unit_price_idr, connection_id, channel,
                                 crafter_id, sale_day, kelurahan_code, kecamatan_code, counted, gross_idr, net_idr, units)
        select order_id, line_key, seller_sku, quantity, unit_price_idr, connection_id, channel, crafter_id, sale_day,
               kelurahan_code, kecamatan_code, counted, gross_idr, net_idr, units
        from order_lines where connection_id = ${connection.connectionId}`),
    ).rejects.toMatchObject({ cause: { constraint_name: 'order_lines_order_line_idx' } });
  });

  it('two pulls of the same new orders at once store them once', async () => {
    const { connection } = await shop();
    const orders = Array.from({ length: 20 }, (_, i) => order({ lines: [line(`D-${i}`, 1, 1_000)] }));
    const results = await Promise.all([ingest(connection, orders), ingest(connection, orders)]);
    expect(results[0].inserted + results[1].inserted).toBe(20);
    expect(await countRows('orders', connection.connectionId)).toBe(20);
    expect(await figuresOf(connection.connectionId)).toEqual({
      gross: 20_000,
      net: 20_000,
      units: 20,
      orders: 20,
    });
  });
});

describe('status', () => {
  it('moves forward only: a stale "awaiting_shipment" after "completed" is ignored', async () => {
    const { connection } = await shop();
    const o = order({ lines: [line('E-1', 1, 10_000)] });
    await ingest(connection, [{ ...o, status: 'completed', updatedAt: new Date('2026-11-12T00:00:00Z') }]);
    // Same update time (a webhook re-fetch of an older snapshot that the platform stamps alike) and a
    // newer one: neither moves the status back.
    const same = await ingest(connection, [
      { ...o, status: 'awaiting_shipment', updatedAt: new Date('2026-11-12T00:00:00Z') },
    ]);
    expect(same.updated).toBe(0);
    await ingest(connection, [{ ...o, status: 'shipped', updatedAt: new Date('2026-11-13T00:00:00Z') }]);
    const [row] = (await db.execute(
      sql`select status from orders where external_order_id = ${o.externalOrderId}`,
    )) as unknown as Array<{ status: OrderStatus }>;
    expect(row?.status).toBe('completed');
  });

  it('an older payload never un-cancels a line', async () => {
    const { connection } = await shop();
    const o = order({ lines: [{ ...line('F-1', 3, 10_000), cancelledQuantity: 1 }] });
    await ingest(connection, [{ ...o, updatedAt: new Date('2026-11-11T00:00:00Z') }]);
    await ingest(connection, [
      { ...o, lines: [line('F-1', 3, 10_000)], updatedAt: new Date('2026-11-11T00:00:00Z') },
    ]);
    expect(await figuresOf(connection.connectionId)).toEqual({
      gross: 30_000,
      net: 20_000,
      units: 2,
      orders: 1,
    });
  });

  it('unpaid and on-hold orders count in no figure until paid; cancelled unpaid never counts', async () => {
    const { connection } = await shop();
    const held = order({ status: 'on_hold', paidAt: undefined, lines: [line('G-1', 1, 10_000)] });
    const dropped = order({ status: 'unpaid', paidAt: undefined, lines: [line('G-2', 1, 20_000)] });
    await ingest(connection, [held, dropped]);
    expect(await figuresOf(connection.connectionId)).toEqual({ gross: 0, net: 0, units: 0, orders: 0 });
    await ingest(connection, [
      { ...held, status: 'awaiting_shipment', updatedAt: new Date('2026-11-10T05:00:00Z') },
      { ...dropped, status: 'cancelled', updatedAt: new Date('2026-11-10T05:00:00Z') },
    ]);
    expect(await figuresOf(connection.connectionId)).toEqual({
      gross: 10_000,
      net: 10_000,
      units: 1,
      orders: 1,
    });
  });

  it('a cancellation and a partial return take back net and units, not gross or the order count', async () => {
    const { connection } = await shop();
    const a = order({ lines: [line('H-1', 2, 10_000), line('H-2', 1, 5_000)] });
    const b = order({ lines: [line('H-1', 3, 10_000)] });
    await ingest(connection, [a, b]);
    const later = new Date('2026-11-15T00:00:00Z');
    await ingest(connection, [
      { ...a, status: 'cancelled', updatedAt: later },
      {
        ...b,
        status: 'completed',
        updatedAt: later,
        lines: [{ ...line('H-1', 3, 10_000), returnedQuantity: 1 }],
      },
    ]);
    expect(await figuresOf(connection.connectionId)).toEqual({
      gross: 55_000,
      net: 20_000,
      units: 2,
      orders: 2,
    });
  });
});

describe('matching and history', () => {
  it('keeps a line whose SKU matches no variant, and matches it once the crafter adds the SKU', async () => {
    const { crafter, connection } = await shop();
    const sku = uniqueSku('LATER');
    const o = order({ lines: [line(sku, 1, 25_000)] });
    const first = await ingest(connection, [o]);
    expect(first.unmatchedLines).toBe(1);
    const [stored] = (await db.execute(
      sql`select variant_id, seller_sku from order_lines where connection_id = ${connection.connectionId}`,
    )) as unknown as Array<{ variant_id: string | null; seller_sku: string }>;
    expect(stored).toEqual({ variant_id: null, seller_sku: sku });

    const product = await makeProduct(db, crafter.id, { variants: [variantInput({ sku, stock: 5 })] });
    const variantId = product.variants[0]?.id as string;
    const again = await ingest(connection, [o]);
    expect(again.unmatchedLines).toBe(0);
    const [matched] = (await db.execute(
      sql`select variant_id, product_id, category from order_lines where connection_id = ${connection.connectionId}`,
    )) as unknown as Array<Record<string, unknown>>;
    expect(matched).toEqual({ variant_id: variantId, product_id: product.id, category: product.category });
    expect(await stockOf(variantId)).toBe(4);
  });

  it('a line keeps the kelurahan of the sale when the crafter moves', async () => {
    const { crafter, connection } = await shop(KELURAHAN.ciater);
    const before = order({ lines: [line('K-1', 1, 10_000)] });
    await ingest(connection, [before]);
    await db.execute(
      sql`update crafters set kelurahan_code = ${KELURAHAN.pakulonan} where id = ${crafter.id}`,
    );
    const after = order({ lines: [line('K-1', 1, 10_000)] });
    await ingest(connection, [
      after,
      { ...before, status: 'completed', updatedAt: new Date('2026-11-20T00:00:00Z') },
    ]);
    const rows = (await db.execute(sql`
      select o.external_order_id, l.kelurahan_code, l.kecamatan_code
      from order_lines l join orders o on o.id = l.order_id where l.connection_id = ${connection.connectionId}`)) as unknown as Array<{
      external_order_id: string;
      kelurahan_code: string;
      kecamatan_code: string;
    }>;
    const byOrder = Object.fromEntries(
      rows.map((r) => [r.external_order_id, [r.kelurahan_code, r.kecamatan_code]]),
    );
    expect(byOrder[before.externalOrderId]).toEqual([KELURAHAN.ciater, '36.74.01']);
    expect(byOrder[after.externalOrderId]).toEqual([KELURAHAN.pakulonan, '36.74.02']);
  });
});

describe('stock', () => {
  it('a sale takes stock once; a cancellation and a return give it back once, however often replayed', async () => {
    const { crafter, connection } = await shop();
    const product = await makeProduct(db, crafter.id, {
      variants: [variantInput({ stock: 10 }), variantInput({ stock: 10 })],
    });
    const [v1, v2] = product.variants as unknown as [
      { id: string; sku: string },
      { id: string; sku: string },
    ];
    const a = order({ lines: [line(v1.sku, 3, 10_000)] });
    const b = order({ lines: [line(v2.sku, 2, 10_000)] });
    for (let i = 0; i < 2; i += 1) await ingest(connection, [a, b]);
    expect([await stockOf(v1.id), await stockOf(v2.id)]).toEqual([7, 8]);

    const t1 = new Date('2026-11-12T00:00:00Z');
    const t2 = new Date('2026-11-13T00:00:00Z');
    const cancelledA = { ...a, status: 'cancelled' as const, updatedAt: t1 };
    const returnedB = {
      ...b,
      status: 'completed' as const,
      updatedAt: t1,
      lines: [{ ...line(v2.sku, 2, 10_000), returnedQuantity: 1 }],
    };
    for (let i = 0; i < 2; i += 1) await ingest(connection, [cancelledA, returnedB]);
    // A flip-flop: the stale "awaiting_shipment" of A arrives with a newer time stamp, then "cancelled" again.
    await ingest(connection, [{ ...a, status: 'awaiting_shipment', updatedAt: t2 }]);
    await ingest(connection, [{ ...cancelledA, updatedAt: t2 }]);
    expect([await stockOf(v1.id), await stockOf(v2.id)]).toEqual([10, 9]);
    expect(await figuresOf(connection.connectionId)).toEqual({
      gross: 50_000,
      net: 10_000,
      units: 1,
      orders: 2,
    });
  });
});

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function seeded(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T,
  };
}

describe('rollups', () => {
  it('equal a GROUP BY over the lines, at every grain, after random ingests, updates and replays', async () => {
    const rnd = seeded(20261201);
    const shops = [
      await shop(KELURAHAN.ciater),
      await shop(KELURAHAN.rawabuntu, 'tiktok_shop'),
      await shop(KELURAHAN.pakulonan),
    ];
    const skusOf = new Map<string, string[]>();
    for (const { crafter, connection } of shops) {
      const p1 = await makeProduct(db, crafter.id, {
        category: 'crafts',
        variants: [variantInput({ stock: 500 }), variantInput({ stock: 500 })],
      });
      const p2 = await makeProduct(db, crafter.id, {
        category: 'fashion',
        variants: [variantInput({ stock: 500 })],
      });
      skusOf.set(
        connection.connectionId,
        [...p1.variants, ...p2.variants].map((v) => v.sku).concat(['NOT-OURS-1']),
      );
    }
    const statuses: OrderStatus[] = [
      'unpaid',
      'on_hold',
      'awaiting_shipment',
      'shipped',
      'completed',
      'cancelled',
      'returned',
    ];
    const known = new Map<string, CanonicalOrder[]>();
    let clock = Date.parse('2026-10-01T00:00:00Z');
    for (let round = 0; round < 12; round += 1) {
      for (const { connection } of shops) {
        const skus = skusOf.get(connection.connectionId) as string[];
        const mine = known.get(connection.connectionId) ?? [];
        const batch: CanonicalOrder[] = [];
        for (let i = 0; i < 8; i += 1) {
          clock += 3_600_000 * (1 + rnd.int(10));
          if (mine.length > 0 && rnd.next() < 0.45) {
            const prev = rnd.pick(mine);
            const lines = prev.lines.map((l) => {
              const q = l.quantity;
              const returned = rnd.next() < 0.2 ? rnd.int(q + 1) : (l.returnedQuantity ?? 0);
              const cancelled =
                rnd.next() < 0.2
                  ? rnd.int(q - returned + 1)
                  : Math.min(l.cancelledQuantity ?? 0, q - returned);
              return { ...l, cancelledQuantity: cancelled, returnedQuantity: returned };
            });
            const changed: CanonicalOrder = {
              ...prev,
              status: rnd.pick(statuses),
              updatedAt: new Date(rnd.next() < 0.15 ? prev.updatedAt.getTime() - 1000 : clock),
              lines,
            };
            if (!changed.paidAt && rnd.next() < 0.5) changed.paidAt = new Date(clock);
            batch.push(changed);
            mine[mine.indexOf(prev)] = changed;
          } else {
            const n = 1 + rnd.int(3);
            const lines = Array.from({ length: n }, (_, k) => ({
              ...line(rnd.pick(skus), 1 + rnd.int(4), 1_000 * (1 + rnd.int(90)), `L${k}`),
            }));
            const created = order({
              status: rnd.pick(statuses),
              createdAt: new Date(clock - rnd.int(3) * 86_400_000),
              paidAt: rnd.next() < 0.6 ? new Date(clock) : undefined,
              updatedAt: new Date(clock),
              lines,
            });
            batch.push(created);
            mine.push(created);
          }
        }
        known.set(connection.connectionId, mine);
        await ingest(connection, batch);
        if (rnd.next() < 0.3) await ingest(connection, batch); // a replay
      }
    }

    const fromLines = async () =>
      (await db.execute(sql`
        with l as (select * from order_lines where counted)
        select 'order' as grain, sale_day::text as day, connection_id, crafter_id, kelurahan_code, null::text as category,
               null::uuid as product_id, sum(gross_idr)::float8 as gross, sum(net_idr)::float8 as net,
               sum(units)::float8 as units, count(distinct order_id)::float8 as orders
        from l group by 1, 2, 3, 4, 5
        union all
        select 'category', sale_day::text, connection_id, crafter_id, kelurahan_code, category, null::uuid,
               sum(gross_idr), sum(net_idr), sum(units), count(distinct order_id)
        from l group by 1, 2, 3, 4, 5, 6
        union all
        select 'product', sale_day::text, connection_id, crafter_id, kelurahan_code, category, product_id,
               sum(gross_idr), sum(net_idr), sum(units), count(distinct order_id)
        from l group by 1, 2, 3, 4, 5, 6, 7
        order by 1, 2, 3, 4, 5, 6, 7`)) as unknown as unknown[];
    const fromRollups = async () =>
      (await db.execute(sql`
        select grain::text, day::text, connection_id, crafter_id, kelurahan_code, category, product_id,
               gross_idr::float8 as gross, net_idr::float8 as net, units::float8 as units, orders::float8 as orders
        from sales_daily_rollups order by 1, 2, 3, 4, 5, 6, 7`)) as unknown as unknown[];

    const expected = await fromLines();
    expect(expected.length).toBeGreaterThan(50);
    expect(await fromRollups()).toEqual(expected);

    // Each line's figures follow the definition from its own quantities and its order's state.
    const [bad] = (await db.execute(sql`
      select count(*)::int as n from order_lines l join orders o on o.id = l.order_id
      where l.counted <> o.counted
         or l.gross_idr <> case when o.counted then l.quantity * l.unit_price_idr else 0 end
         or l.units <> case when not o.counted then 0
                            when o.status in ('cancelled', 'returned') then 0
                            else l.quantity - l.cancelled_quantity - l.returned_quantity end
         or l.net_idr <> l.units * l.unit_price_idr`)) as unknown as Array<{ n: number }>;
    expect(bad?.n).toBe(0);

    // The nightly rebuild lands on the same rows, and a second rebuild changes nothing.
    await db.transaction((tx) => rebuildSalesRollups(tx, { from: '2026-09-01', to: '2026-12-31' }));
    expect(await fromRollups()).toEqual(expected);
    await db.transaction((tx) => rebuildSalesRollups(tx, { from: '2026-09-01', to: '2026-12-31' }));
    expect(await fromRollups()).toEqual(expected);
  });
});

describe('overselling', () => {
  it('an order that takes stock below zero is flagged and raises an alert, once', async () => {
    const { crafter, connection } = await shop();
    const product = await makeProduct(db, crafter.id, { variants: [variantInput({ stock: 1 })] });
    const variant = product.variants[0] as unknown as { id: string; sku: string };
    const o = order({ lines: [line(variant.sku, 3, 10_000)] });
    await ingest(connection, [o]);
    await ingest(connection, [o]);
    expect(await stockOf(variant.id)).toBe(-2);
    const [flag] = (await db.execute(
      sql`select oversold from orders where external_order_id = ${o.externalOrderId}`,
    )) as unknown as Array<{ oversold: boolean }>;
    expect(flag?.oversold).toBe(true);
    const alerts = (await db.execute(
      sql`select kind from alerts where crafter_id = ${crafter.id} and kind = 'order_oversold'`,
    )) as unknown as unknown[];
    expect(alerts).toHaveLength(1);
  });
});
