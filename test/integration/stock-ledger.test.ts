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
