/**
 * The stock ledger against the real Postgres: movements and the on-hand derived from them, the
 * database refusing any other stock write, idempotent replays, oversold sales, and sales racing
 * crafters' counts and edits.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/scope.js';
import { recordStockMovements, type StockMovementInput } from '../../src/services/stock-ledger.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('stock_ledger');
});
afterAll(async () => {
  await api?.close();
});

const sale = (variantId: string, units: number, key = randomUUID()): StockMovementInput => ({
  variantId,
  delta: -units,
  kind: 'sale',
  dedupeKey: `sale:test:${key}`,
});

const record = (movements: StockMovementInput[]) =>
  api.database.db.transaction((tx) => recordStockMovements(tx, movements));

async function stockOf(variantId: string): Promise<number> {
  const [row] = await api.database.sql<
    { stock: number }[]
  >`select stock from variants where id = ${variantId}`;
  return row?.stock as number;
}

async function productRow(productId: string) {
  const [row] = await api.database.sql<{ version: number; stock_revision: number }[]>`
    select version, stock_revision from products where id = ${productId}`;
  return row as { version: number; stock_revision: number };
}

async function stockOutbox(productId: string) {
  return api.database.sql<{ payload: { productId: string; stockRevision: number } }[]>`
    select payload from outbox where topic = 'product.stock_changed' and aggregate_id = ${productId} order by id`;
}

async function newProduct(stock = [10, 4]) {
  const crafter = await makeCrafter(api.database.db);
  const user: Principal = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  const product = await makeProduct(api.database.db, crafter.id, {
    variants: stock.map((s, i) => ({
      sku: `LEDGER-${randomUUID().slice(0, 8)}-${i}`,
      options: { no: String(i) },
      priceIdr: 100_000,
      stock: s,
      weightGrams: 300,
    })),
  });
  const [a, b] = product.variants as unknown as [{ id: string; sku: string }, { id: string; sku: string }];
  return { crafter, user, product, a, b };
}

describe('stock ledger', () => {
  it('on-hand is the sum of the movements; a sale moves stock but not the content version', async () => {
    const { product, a, b } = await newProduct([10, 4]);
    const before = await productRow(product.id);
    const [result] = await record([sale(a.id, 3)]);
    expect(result).toEqual({ variantId: a.id, applied: true, onHand: 7, oversold: false });
    expect(await stockOf(a.id)).toBe(7);
    expect(await stockOf(b.id)).toBe(4);
    const after = await productRow(product.id);
    expect(after.version).toBe(before.version);
    expect(after.stock_revision).toBe(before.stock_revision + 1);
    const ledger = await api.database.sql<
      { variant_id: string; kind: string; delta: number; on_hand_after: number }[]
    >`
      select variant_id, kind, delta, on_hand_after from stock_movements where product_id = ${product.id}
      order by stock_revision`;
    expect(ledger.map((m) => [m.variant_id, m.kind, m.delta, m.on_hand_after])).toEqual([
      [a.id, 'count', 10, 10],
      [b.id, 'count', 4, 4],
      [a.id, 'sale', -3, 7],
    ]);
    const [sums] = await api.database.sql<{ ok: boolean }[]>`
      select bool_and(v.stock = (select coalesce(sum(delta), 0) from stock_movements m where m.variant_id = v.id)) as ok
      from variants v where v.product_id = ${product.id}`;
    expect(sums?.ok).toBe(true);
    // The new stock goes to the channels: one stock push request for the product, in the same transaction.
    expect((await stockOutbox(product.id)).map((r) => r.payload)).toEqual([
      { productId: product.id, stockRevision: after.stock_revision },
    ]);
  });

  it('replaying a movement (same dedupe key) changes nothing, also within one call', async () => {
    const { product, a } = await newProduct([5, 5]);
    const movement = sale(a.id, 2);
    expect((await record([movement, movement])).map((r) => [r.applied, r.onHand])).toEqual([
      [true, 3],
      [false, 3],
    ]);
    const revision = (await productRow(product.id)).stock_revision;
    expect(await record([movement])).toEqual([
      { variantId: a.id, applied: false, onHand: 3, oversold: false },
    ]);
    expect(await stockOf(a.id)).toBe(3);
    expect((await productRow(product.id)).stock_revision).toBe(revision);
    expect(await stockOutbox(product.id)).toHaveLength(1);
  });

  it('several movements of one variant in one call apply in order: each result, the ledger and on-hand agree', async () => {
    const { product, a, b } = await newProduct([3, 4]);
    const before = await productRow(product.id);
    const results = await record([sale(a.id, 1), sale(b.id, 2), sale(a.id, 1), sale(a.id, 2)]);
    // a: 3 → 2 → 1 → -1 (the last one oversells); b: 4 → 2.
    expect(results.map((r) => [r.variantId, r.onHand, r.oversold])).toEqual([
      [a.id, 2, false],
      [b.id, 2, false],
      [a.id, 1, false],
      [a.id, -1, true],
    ]);
    expect(await stockOf(a.id)).toBe(-1);
    expect(await stockOf(b.id)).toBe(2);
    const ledger = await api.database.sql<{ delta: number; on_hand_after: number }[]>`
      select delta, on_hand_after from stock_movements where variant_id = ${a.id} order by id`;
    expect(ledger.map((m) => m.on_hand_after)).toEqual([3, 2, 1, -1]);
    // One statement, one stock revision step however many movements it carried.
    expect((await productRow(product.id)).stock_revision).toBeGreaterThan(before.stock_revision);
  });

  it('concurrent replays of the same sale apply it once', async () => {
    const { a } = await newProduct([20, 1]);
    const movement = sale(a.id, 1);
    const results = await Promise.all(Array.from({ length: 8 }, () => record([movement])));
    expect(results.flat().filter((r) => r.applied)).toHaveLength(1);
    expect(await stockOf(a.id)).toBe(19);
  });

  it('the database refuses any stock write outside the ledger, and movements are append-only', async () => {
    const { product, a } = await newProduct([6, 1]);
    const refused = async (query: Promise<unknown>) => {
      const err = (await query.then(
        () => null,
        (e: unknown) => e,
      )) as { code?: string } | null;
      expect(err?.code).toBe('23514');
    };
    await refused(api.database.sql`update variants set stock = 99 where id = ${a.id}`);
    await refused(api.database.sql`update products set stock_revision = 0 where id = ${product.id}`);
    await refused(api.database.sql`update stock_movements set delta = 50 where variant_id = ${a.id}`);
    await refused(api.database.sql`delete from stock_movements where variant_id = ${a.id}`);
    // Even with the immediate guard out of the way, the deferred constraint refuses the commit.
    await refused(
      api.database.sql.begin(async (tx) => {
        await tx`alter table variants disable trigger variants_stock_guard`;
        await tx`update variants set stock = 99 where id = ${a.id}`;
      }),
    );
    expect(await stockOf(a.id)).toBe(6);
    // A raw insert with stock (as the benches do) opens the ledger with that stock.
    const [raw] = await api.database.sql<{ id: string }[]>`
      insert into variants (product_id, crafter_id, sku, price_idr, stock, weight_grams, position)
      select id, crafter_id, ${`RAW-${randomUUID().slice(0, 8)}`}, 1000, 7, 100, 9 from products where id = ${product.id}
      returning id`;
    const [opening] = await api.database.sql<{ kind: string; delta: number }[]>`
      select kind, delta from stock_movements where variant_id = ${raw?.id as string}`;
    expect(opening).toEqual({ kind: 'import', delta: 7 });
  });

  it('a movement inserted with its figures computed is checked: chain, revision and product must add up', async () => {
    const { product, a, b } = await newProduct([5, 3]);
    const code = async (query: Promise<unknown>) =>
      (
        (await query.then(
          () => null,
          (e: unknown) => e,
        )) as { code?: string } | null
      )?.code;
    const [{ revision }] = (await api.database.sql<{ revision: number }[]>`
      select stock_revision as revision from products where id = ${product.id}`) as unknown as [
      { revision: number },
    ];
    const insert = (variantId: string, productId: string, delta: number, onHand: number, rev: number) =>
      api.database.sql`
        insert into stock_movements (variant_id, product_id, delta, on_hand_after, stock_revision, kind, dedupe_key)
        values (${variantId}, ${productId}, ${delta}, ${onHand}, ${rev}, 'adjustment', ${`raw:${randomUUID()}`})`;
    // On-hand that does not follow from the previous movement and the delta.
    expect(await code(insert(a.id, product.id, -1, 7, revision + 1))).toBe('23514');
    // A revision the product already had (history rewritten): the unique revision index or the check.
    expect(['23505', '23514']).toContain(await code(insert(a.id, product.id, -1, 4, revision)));
    // Another product's id, and a variant that does not exist.
    const other = await newProduct([1]);
    expect(await code(insert(a.id, other.product.id, -1, 4, revision + 1))).toBe('23514');
    expect(await code(insert(randomUUID(), product.id, -1, 4, revision + 1))).toBe('23514');
    expect(await stockOf(a.id)).toBe(5);
    // Figures that add up are taken as given, and stock follows them.
    await insert(a.id, product.id, -2, 3, revision + 1);
    await insert(b.id, product.id, 1, 4, revision + 2);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([3, 4]);
    expect((await productRow(product.id)).stock_revision).toBe(revision + 2);
  });

  it('order references are checked per statement: lines need their order, deletes cascade or are refused', async () => {
    const { crafter, product, a } = await newProduct([5]);
    const sql = api.database.sql;
    const code = async (query: Promise<unknown>) =>
      (
        (await query.then(
          () => null,
          (e: unknown) => e,
        )) as { code?: string } | null
      )?.code;
    const [connection] = await sql<{ id: string }[]>`
      insert into channel_connections (crafter_id, channel, external_shop_id)
      values (${crafter.id}, 'shopee', ${randomUUID()}) returning id`;
    const connectionId = (connection as { id: string }).id;
    const order = (crafterId: string) => sql<{ id: string }[]>`
      insert into orders (connection_id, channel, crafter_id, external_order_id, status, placed_at, platform_updated_at,
                          sale_day, counted, kelurahan_code, kecamatan_code)
      values (${connectionId}, 'shopee', ${crafterId}, ${randomUUID()}, 'completed', now(), now(), current_date, true,
              '36.74.01.1001', '36.74.01') returning id`;
    expect(await code(order(randomUUID()))).toBe('23503');
    const [stored] = await order(crafter.id);
    const orderId = (stored as { id: string }).id;
    const line = (id: string, variantId: string | null) => sql`
      insert into order_lines (order_id, line_key, seller_sku, quantity, unit_price_idr, connection_id, channel,
                               crafter_id, sale_day, kelurahan_code, kecamatan_code, counted, gross_idr, net_idr,
                               units, variant_id, product_id)
      values (${id}, ${randomUUID()}, 'SKU', 1, 1000, ${connectionId}, 'shopee', ${crafter.id}, current_date,
              '36.74.01.1001', '36.74.01', true, 1000, 1000, 1, ${variantId}, ${variantId === null ? null : product.id})`;
    expect(await code(line(randomUUID(), null))).toBe('23503');
    expect(await code(line(orderId, randomUUID()))).toBe('23503');
    await line(orderId, a.id);
    // A variant with stock movements, and a connection with orders, cannot go.
    expect(await code(sql`delete from variants where id = ${a.id}`)).toBe('23503');
    expect(await code(sql`delete from channel_connections where id = ${connectionId}`)).toBe('23503');
    // Deleting the order deletes its lines.
    await sql`delete from orders where id = ${orderId}`;
    const left = await sql<
      { n: number }[]
    >`select count(*)::int as n from order_lines where order_id = ${orderId}`;
    expect(left[0]?.n).toBe(0);
  });

  it('a sale that takes on-hand below zero is recorded, flagged oversold and raises one alert', async () => {
    const { crafter, a } = await newProduct([1, 1]);
    const orderLineId = randomUUID();
    const [last] = await record([{ ...sale(a.id, 1), orderLineId }]);
    expect(last).toMatchObject({ applied: true, onHand: 0, oversold: false });
    const oversell = { ...sale(a.id, 2), orderLineId: randomUUID() };
    const [result] = await record([oversell]);
    expect(result).toEqual({ variantId: a.id, applied: true, onHand: -2, oversold: true });
    expect(await stockOf(a.id)).toBe(-2);
    const alerts = await api.database.sql<
      { kind: string; crafter_id: string; count: number; message_en: string }[]
    >`
      select kind, crafter_id, count, message_en from alerts where dedupe_key = ${`order_oversold:${oversell.orderLineId}`}`;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'order_oversold', crafter_id: crafter.id });
    expect(alerts[0]?.message_en).toContain(a.sku);
    // A replay is not a second oversell.
    expect(await record([oversell])).toEqual([
      { variantId: a.id, applied: false, onHand: -2, oversold: false },
    ]);
    const [again] = await api.database.sql<{ count: number }[]>`
      select count from alerts where dedupe_key = ${`order_oversold:${oversell.orderLineId}`}`;
    expect(again?.count).toBe(1);
    // The cancellation brings the units back.
    const [cancelled] = await record([
      { variantId: a.id, delta: 2, kind: 'cancellation', dedupeKey: `cancel:${oversell.orderLineId}` },
    ]);
    expect(cancelled).toMatchObject({ applied: true, onHand: 0, oversold: false });
  });
});

type ProductJson = {
  version: number;
  stockRevision: number;
  title: string;
  variants: Array<{
    id: string;
    sku: string;
    options: Record<string, string>;
    priceIdr: number;
    stock: number;
    weightGrams: number;
  }>;
};

async function read(user: Principal, productId: string): Promise<{ etag: string; body: ProductJson }> {
  const res = await api.app.inject({
    method: 'GET',
    url: `/v1/products/${productId}`,
    headers: api.auth(user),
  });
  expect(res.statusCode).toBe(200);
  return { etag: res.headers.etag as string, body: res.json() };
}

const postStock = (user: Principal, productId: string, payload: Record<string, unknown>) =>
  api.app.inject({
    method: 'POST',
    url: `/v1/products/${productId}/stock`,
    headers: api.auth(user),
    payload,
  });

const stocks = (body: ProductJson) => body.variants.map((v) => v.stock);

describe('counts, edits and imports against sales', () => {
  it('a count saved after a sale the crafter did not see is applied on top of the sale (count then sale, and sale then count)', async () => {
    const { user, product, a } = await newProduct([7, 2]);
    // Sale BETWEEN the read and the save: read 7, counted 5 (2 fewer), a sale took 1 → 4, not 5.
    const seen = await read(user, product.id);
    await record([sale(a.id, 1)]);
    const counted = await postStock(user, product.id, {
      kind: 'count',
      stockRevision: seen.body.stockRevision,
      variants: [{ sku: a.sku, stock: 5 }],
      note: 'stock opname',
    });
    expect(counted.statusCode, counted.body).toBe(200);
    expect(stocks(counted.json())).toEqual([4, 2]);
    // The count is a count, not a new version: the ETag the crafter holds stays valid.
    expect(counted.headers.etag).toBe(seen.etag);
    // Sale AFTER the save: counted 3 from a fresh read → 3, then the sale → 2.
    const fresh = await read(user, product.id);
    const recount = await postStock(user, product.id, {
      kind: 'count',
      stockRevision: fresh.body.stockRevision,
      variants: [{ sku: a.sku, stock: 3 }],
    });
    expect(stocks(recount.json())).toEqual([3, 2]);
    await record([sale(a.id, 1)]);
    expect(await stockOf(a.id)).toBe(2);
    const ledger = await api.database.sql<
      { kind: string; delta: number; actor_user_id: string | null; note: string | null }[]
    >`
      select kind, delta, actor_user_id, note from stock_movements where variant_id = ${a.id} order by stock_revision`;
    expect(ledger.map((m) => [m.kind, m.delta])).toEqual([
      ['count', 7],
      ['sale', -1],
      ['count', -2],
      ['count', -1],
      ['sale', -1],
    ]);
    expect(ledger[2]).toMatchObject({ actor_user_id: user.userId, note: 'stock opname' });
  });

  it('a count and a sale racing each other: either order ends with both applied', async () => {
    for (let round = 0; round < 6; round += 1) {
      const { user, product, a } = await newProduct([10, 1]);
      const seen = await read(user, product.id);
      const [counted] = await Promise.all([
        postStock(user, product.id, {
          kind: 'count',
          stockRevision: seen.body.stockRevision,
          variants: [{ sku: a.sku, stock: 8 }],
        }),
        record([sale(a.id, 3)]),
      ]);
      expect(counted.statusCode, counted.body).toBe(200);
      // −2 counted, −3 sold, whichever committed first.
      expect(await stockOf(a.id)).toBe(5);
    }
  });

  it('a title edit racing a sale never brings the sold unit back (both orders, echoed stock or none)', async () => {
    for (let round = 0; round < 6; round += 1) {
      const { user, product, a, b } = await newProduct([1, 3]);
      const seen = await read(user, product.id);
      const echo = seen.body.variants.map(({ sku, options, priceIdr, stock, weightGrams }) => ({
        sku,
        options,
        priceIdr,
        stock,
        weightGrams,
      }));
      const payload =
        round % 2 === 0
          ? { title: `Judul ${round}`, variants: echo, stockRevision: seen.body.stockRevision }
          : { title: `Judul ${round}` };
      const [edited] = await Promise.all([
        api.app.inject({
          method: 'PATCH',
          url: `/v1/products/${product.id}`,
          headers: { ...api.auth(user), 'if-match': seen.etag },
          payload,
        }),
        record([sale(a.id, 1)]),
      ]);
      expect(edited.statusCode, edited.body).toBe(200);
      expect(await stockOf(a.id)).toBe(0);
      expect(await stockOf(b.id)).toBe(3);
      expect((await read(user, product.id)).body.title).toBe(`Judul ${round}`);
    }
  });

  it('edits that do not mention stock never change it; a stock-only change keeps the version', async () => {
    const { user, product, a, b } = await newProduct([4, 9]);
    await record([sale(a.id, 1)]);
    const seen = await read(user, product.id);
    const revision = seen.body.stockRevision;
    const patched = await api.app.inject({
      method: 'PATCH',
      url: `/v1/products/${product.id}`,
      headers: { ...api.auth(user), 'if-match': seen.etag },
      payload: {
        title: 'Tas baru',
        variants: seen.body.variants.map(({ sku, options, weightGrams }) => ({
          sku,
          options,
          priceIdr: 1_000,
          weightGrams,
        })),
      },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(stocks(patched.json())).toEqual([3, 9]);
    expect(patched.json().stockRevision).toBe(revision);
    const put = await api.app.inject({
      method: 'PUT',
      url: `/v1/products/${product.id}`,
      headers: { ...api.auth(user), 'if-match': patched.headers.etag as string },
      payload: {
        title: 'Tas baru lagi',
        category: 'kerajinan/anyaman',
        variants: [
          { sku: a.sku, priceIdr: 2_000, weightGrams: 300 },
          { sku: b.sku, priceIdr: 2_000, weightGrams: 300 },
        ],
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(stocks(put.json())).toEqual([3, 9]);
    expect(put.json().stockRevision).toBe(revision);
    // Stock alone: no new version, no product.changed row, one stock push request.
    const [changedBefore] = await api.database.sql<{ n: number }[]>`
      select count(*)::int as n from outbox where topic = 'product.changed' and aggregate_id = ${product.id}`;
    const onlyStock = await api.app.inject({
      method: 'PATCH',
      url: `/v1/products/${product.id}`,
      headers: { ...api.auth(user), 'if-match': put.headers.etag as string },
      payload: {
        stockRevision: put.json().stockRevision,
        variants: put.json().variants.map((v: ProductJson['variants'][number]) => ({
          ...v,
          id: undefined,
          stock: v.stock + 1,
        })),
      },
    });
    expect(onlyStock.statusCode, onlyStock.body).toBe(200);
    expect(onlyStock.headers.etag).toBe(put.headers.etag);
    expect(stocks(onlyStock.json())).toEqual([4, 10]);
    const [changedAfter] = await api.database.sql<{ n: number }[]>`
      select count(*)::int as n from outbox where topic = 'product.changed' and aggregate_id = ${product.id}`;
    expect(changedAfter?.n).toBe(changedBefore?.n);
    expect(await stockOutbox(product.id)).toHaveLength(2);
  });

  it('CSV: no stock column, or the stock as exported, leaves stock alone after a sale; a changed cell is relative to the export', async () => {
    const { user, product, a, b } = await newProduct([6, 2]);
    const exported = await api.app.inject({
      method: 'GET',
      url: '/v1/products/export.csv',
      headers: api.auth(user),
    });
    expect(exported.statusCode).toBe(200);
    await record([sale(a.id, 2)]);
    const importCsv = (csv: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/products/import',
        headers: { ...api.auth(user), 'content-type': 'text/csv' },
        payload: csv,
      });
    // The export as is: nothing changes (the stale 6 is what was read, not a new count).
    const same = await importCsv(exported.body);
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([4, 2]);
    // Without the stock column: stock is left as it is, the price change applies.
    const lines = exported.body.trim().split('\n');
    const header = (lines[0] as string).split(',');
    const stockAt = header.indexOf('stock');
    const revisionAt = header.indexOf('stock_revision');
    const priceAt = header.indexOf('price_idr');
    const dropColumn = (line: string, index: number) =>
      line
        .split(',')
        .filter((_, i) => i !== index)
        .join(',');
    const noStock = lines.map((l, i) => {
      const cells = l.split(',');
      if (i > 0) cells[priceAt] = '123000';
      return dropColumn(cells.join(','), stockAt);
    });
    const priced = await importCsv(`${noStock.join('\n')}\n`);
    expect(priced.statusCode, priced.body).toBe(200);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([4, 2]);
    // A changed cell with the export's stock_revision: exported 6, written 5 → one fewer than now.
    const current = await read(user, product.id);
    const relative = lines.map((l, i) => {
      const cells = l.split(',');
      if (i === 0) return l;
      cells[1] = String(current.body.version);
      cells[priceAt] = '123000';
      if (cells[header.indexOf('sku')] === a.sku) cells[stockAt] = '5';
      return cells.join(',');
    });
    const counted = await importCsv(`${relative.join('\n')}\n`);
    expect(counted.statusCode, counted.body).toBe(200);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([3, 2]);
    // The same file without stock_revision: the stale cell is refused by row, nothing written.
    const blind = await importCsv(`${relative.map((l) => dropColumn(l, revisionAt)).join('\n')}\n`);
    expect(blind.statusCode).toBe(400);
    expect(blind.json().errors).toEqual([
      expect.objectContaining({
        path: expect.stringMatching(/^row \d+ \/ stock$/),
        message: expect.stringContaining('stock is now 3'),
      }),
    ]);
    expect(await stockOf(a.id)).toBe(3);
    const [kinds] = await api.database.sql<{ kinds: string[] }[]>`
      select array_agg(kind::text order by stock_revision) as kinds from stock_movements where variant_id = ${a.id}`;
    expect(kinds?.kinds).toEqual(['count', 'sale', 'import']);
  });

  it('adjustments, bad counts, and the ledger page by page in scope', async () => {
    const { user, product, a, b } = await newProduct([2, 0]);
    const below = await postStock(user, product.id, {
      kind: 'adjustment',
      variants: [{ sku: a.sku, delta: -3 }],
    });
    expect(below.statusCode).toBe(409);
    expect(below.json().code).toBe('stock_below_zero');
    const unknown = await postStock(user, product.id, {
      kind: 'adjustment',
      variants: [{ sku: 'NOPE-1', delta: 1 }],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([expect.objectContaining({ path: 'body.variants.0.sku' })]);
    const future = await postStock(user, product.id, {
      kind: 'count',
      stockRevision: 999_999,
      variants: [{ sku: a.sku, stock: 1 }],
    });
    expect(future.statusCode).toBe(400);
    expect(future.json().errors).toEqual([expect.objectContaining({ path: 'body.stockRevision' })]);
    const noRevision = await postStock(user, product.id, {
      kind: 'count',
      variants: [{ sku: a.sku, stock: 1 }],
    });
    expect(noRevision.statusCode).toBe(400);
    expect(await stockOf(a.id)).toBe(2);
    const received = await postStock(user, product.id, {
      kind: 'adjustment',
      variants: [
        { sku: a.sku, delta: 5 },
        { sku: b.sku, delta: 4 },
      ],
      note: 'kiriman baru',
    });
    expect(received.statusCode, received.body).toBe(200);
    expect(stocks(received.json())).toEqual([7, 4]);
    await record([sale(a.id, 1), sale(b.id, 1), sale(a.id, 2)]);

    const page = (query: string, who: Principal = user) =>
      api.app.inject({
        method: 'GET',
        url: `/v1/products/${product.id}/stock-movements${query}`,
        headers: api.auth(who),
      });
    const all: Array<{
      sku: string;
      kind: string;
      delta: number;
      onHandAfter: number;
      stockRevision: number;
    }> = [];
    let cursor: string | null = null;
    do {
      const res = await page(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      all.push(...res.json().items);
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(all.map((m) => [m.sku, m.kind, m.delta, m.onHandAfter])).toEqual([
      [a.sku, 'sale', -2, 4],
      [b.sku, 'sale', -1, 3],
      [a.sku, 'sale', -1, 6],
      [b.sku, 'adjustment', 4, 4],
      [a.sku, 'adjustment', 5, 7],
      [a.sku, 'count', 2, 2],
    ]);
    const onlyB = await page(`?variantId=${b.id}`);
    expect(onlyB.json().items.map((m: { delta: number }) => m.delta)).toEqual([-1, 4]);
    expect((await page('?cursor=bm9wZQ')).statusCode).toBe(400);
    const stranger = await newProduct([1, 1]);
    expect((await page('', stranger.user)).statusCode).toBe(404);
  });

  it('sales across products in opposite orders, with edits, never deadlock', async () => {
    const one = await newProduct([50, 50]);
    const two = await newProduct([50, 50]);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i += 1) {
      work.push(record([sale(one.a.id, 1), sale(two.b.id, 1)]));
      work.push(record([sale(two.a.id, 1), sale(one.b.id, 1)]));
      work.push(
        postStock(one.user, one.product.id, { kind: 'adjustment', variants: [{ sku: one.b.sku, delta: 1 }] }),
      );
    }
    const settled = await Promise.allSettled(work);
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    expect([
      await stockOf(one.a.id),
      await stockOf(one.b.id),
      await stockOf(two.a.id),
      await stockOf(two.b.id),
    ]).toEqual([40, 50, 40, 40]);
  });
});
