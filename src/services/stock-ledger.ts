/**
 * The stock ledger: stock moves only by recorded movements (sale, cancellation, return, count,
 * adjustment, import), and on-hand per variant is derived from them.
 *
 * The rules live in Postgres (drizzle/0015_stock_ledger_triggers.sql, made per statement by
 * 0021_stock_ledger_per_statement.sql), so no write path can skip them: a movement's row trigger
 * computes it under the product's and the variant's row locks (skipping a dedupe key already
 * recorded), and the statement's trigger then moves each touched `variants.stock` to its new on-hand
 * and bumps each touched product's `stock_revision`, one UPDATE each per statement however many
 * movements it holds; a direct write of `variants.stock` is refused, and a deferred constraint checks
 * at commit that every variant's stock equals its ledger. This module is the one way the application
 * records movements.
 *
 * Stock changes never bump the product's content `version` (so crafters' ETags do not go stale with
 * each sale); the `product.stock_changed` outbox row written here pushes the new stock to every
 * listing of the product, and listings remember the `stock_revision` they pushed.
 */
import { inArray, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.js';
import { variants } from '../db/schema/index.js';
import { enqueueOutboxEvents } from '../outbox/enqueue.js';
import { raiseAlert } from './alerts.js';

export const STOCK_MOVEMENT_KINDS = [
  'sale',
  'cancellation',
  'return',
  'count',
  'adjustment',
  'import',
] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];

export interface StockMovementInput {
  variantId: string;
  /** Signed change in units: a sale of 2 is -2, its cancellation +2. */
  delta: number;
  kind: StockMovementKind;
  /**
   * Makes the movement idempotent: a second movement with the same key is ignored (a replayed pull,
   * a retried job). Sales use `sale:<connectionId>:<externalOrderId>:<lineKey>`, and so on.
   */
  dedupeKey: string;
  /** The order line it comes from, when it comes from one. */
  orderLineId?: string;
  note?: string;
  /** The user who made it through the API (a count, an adjustment, an edit); absent for channels. */
  actorUserId?: string;
}

export interface StockMovementResult {
  variantId: string;
  /** False when the dedupe key had been recorded already (nothing changed). */
  applied: boolean;
  onHand: number;
  /** On-hand went below zero by this movement: the order is flagged and an alert raised. */
  oversold: boolean;
}

interface Owner {
  id: string;
  productId: string;
  crafterId: string;
  sku: string;
}

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort();

function oversoldAlert(owner: Owner, movement: StockMovementInput, onHand: number) {
  const what = movement.kind === 'sale' ? 'a sale' : `a ${movement.kind}`;
  const apa = movement.kind === 'sale' ? 'sebuah penjualan' : `sebuah ${movement.kind}`;
  return {
    kind: 'order_oversold' as const,
    crafterId: owner.crafterId,
    dedupeKey: `order_oversold:${movement.orderLineId ?? movement.dedupeKey}`,
    message: {
      en: `SKU ${owner.sku} is oversold: ${what} took its stock to ${onHand}. Restock it or cancel the order.`,
      id: `SKU ${owner.sku} terjual melebihi stok: ${apa} membuat stoknya ${onHand}. Tambah stok atau batalkan pesanan.`,
    },
    subject: {
      variantId: owner.id,
      productId: owner.productId,
      ...(movement.orderLineId ? { orderLineId: movement.orderLineId } : {}),
    },
  };
}

/**
 * Records movements inside the caller's transaction, updates on-hand, and writes the outbox rows
 * that push the new stock to every channel. Idempotent per `dedupeKey`.
 *
 * Safe under concurrency: it locks the products, then the variants, each in id order (the order
 * product edits take them in), before inserting, so concurrent sales, counts and edits serialise
 * per product and never deadlock. Pass all of a transaction's movements in ONE call: two calls in
 * one transaction lock in two rounds, and another transaction taking the same products in the other
 * order could deadlock (Postgres then aborts one of them). A movement that takes on-hand below zero
 * is recorded (oversold is a fact, not an error), flagged `oversold` and raises an `order_oversold`
 * alert. The same dedupe key twice in one call applies once; a key already recorded for another
 * variant is a unique violation (a bug in the caller's keys).
 */
export async function recordStockMovements(
  tx: Tx,
  movements: StockMovementInput[],
  options: {
    /**
     * False when the caller writes `product.changed` for these products in the same transaction
     * (a product edit that also counts stock): that push carries the new stock already.
     */
    announce?: boolean;
  } = {},
): Promise<StockMovementResult[]> {
  if (movements.length === 0) return [];
  const variantIds = sortedUnique(movements.map((m) => m.variantId));
  const owners = new Map(
    (
      await tx
        .select({
          id: variants.id,
          productId: variants.productId,
          crafterId: variants.crafterId,
          sku: variants.sku,
        })
        .from(variants)
        .where(inArray(variants.id, variantIds))
    ).map((o) => [o.id, o]),
  );
  const unknown = variantIds.filter((id) => !owners.has(id));
  if (unknown.length > 0) throw new Error(`stock movement for unknown variant(s) ${unknown.join(', ')}`);
  const productIds = sortedUnique([...owners.values()].map((o) => o.productId));
  await tx.execute(
    sql`select 1 from products where id in ${sql`(${sql.join(
      productIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`} order by id for no key update`,
  );
  await tx.execute(
    sql`select 1 from variants where id in ${sql`(${sql.join(
      variantIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`} order by id for no key update`,
  );

  // One statement computes every movement (drizzle/0022_stock_ledger_set_based.sql): under the locks
  // above, keys already recorded are left out (and a key repeated in the call applies once, the
  // first), each variant's on-hand runs from its last movement through the deltas in the order given,
  // and each product's revisions count up from its last. The statement trigger checks the result.
  const payload = movements.map((m, n) => ({
    n,
    variant_id: m.variantId,
    product_id: (owners.get(m.variantId) as Owner).productId,
    delta: m.delta,
    kind: m.kind,
    dedupe_key: m.dedupeKey,
    order_line_id: m.orderLineId ?? null,
    actor_user_id: m.actorUserId ?? null,
    note: m.note ?? null,
  }));
  const inserted = await tx.execute<{
    dedupe_key: string;
    on_hand_after: number;
    stock_revision: number;
  }>(sql`
    with given as (
      select x.* from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(
        n integer, variant_id uuid, product_id uuid, delta integer, kind text, dedupe_key text, order_line_id uuid,
        actor_user_id uuid, note text)
    ), recorded as materialized (
      -- Index lookups of the given keys, never a scan of the ledger.
      select m.dedupe_key from stock_movements m where m.dedupe_key = any(array(select dedupe_key from given))
    ), fresh as materialized (
      select distinct on (g.dedupe_key) g.* from given g
      where g.dedupe_key not in (select dedupe_key from recorded)
      order by g.dedupe_key, g.n
    ), variant_base as materialized (
      select f.variant_id, coalesce((select m.on_hand_after from stock_movements m where m.variant_id = f.variant_id
                                     order by m.stock_revision desc limit 1), 0) as on_hand
      from (select distinct variant_id from fresh) f
    ), product_base as materialized (
      select p.id as product_id,
             greatest(p.stock_revision, coalesce((select max(m.stock_revision) from stock_movements m
                                                  where m.product_id = p.id), 0)) as revision
      from products p where p.id in (select distinct product_id from fresh)
    )
    insert into stock_movements
      (variant_id, product_id, delta, on_hand_after, stock_revision, kind, dedupe_key, order_line_id, actor_user_id, note)
    select f.variant_id, f.product_id, f.delta,
           vb.on_hand + sum(f.delta) over (partition by f.variant_id order by f.n),
           pb.revision + row_number() over (partition by f.product_id order by f.n),
           f.kind::stock_movement_kind, f.dedupe_key, f.order_line_id, f.actor_user_id, f.note
    from fresh f join variant_base vb on vb.variant_id = f.variant_id join product_base pb on pb.product_id = f.product_id
    order by f.n
    returning dedupe_key, on_hand_after, stock_revision`);
  const applied = new Map(inserted.map((r) => [r.dedupe_key, r]));

  // On-hand of the variants a replayed movement left alone (only those need reading back).
  const current = new Map<string, number>();
  if (inserted.length < movements.length) {
    for (const v of await tx
      .select({ id: variants.id, stock: variants.stock })
      .from(variants)
      .where(inArray(variants.id, variantIds)))
      current.set(v.id, v.stock);
  }
  const seen = new Set<string>();
  const results: StockMovementResult[] = [];
  const revisionByProduct = new Map<string, number>();
  for (const m of movements) {
    const row = seen.has(m.dedupeKey) ? undefined : applied.get(m.dedupeKey);
    seen.add(m.dedupeKey);
    const owner = owners.get(m.variantId) as Owner;
    if (!row) {
      results.push({
        variantId: m.variantId,
        applied: false,
        onHand: current.get(m.variantId) ?? 0,
        oversold: false,
      });
      continue;
    }
    const oversold = m.delta < 0 && row.on_hand_after < 0;
    results.push({ variantId: m.variantId, applied: true, onHand: row.on_hand_after, oversold });
    revisionByProduct.set(
      owner.productId,
      Math.max(revisionByProduct.get(owner.productId) ?? 0, row.stock_revision),
    );
    if (oversold) await raiseAlert(tx, oversoldAlert(owner, m, row.on_hand_after));
  }
  if (options.announce === false) return results;
  await enqueueOutboxEvents(
    tx,
    [...revisionByProduct].map(([productId, stockRevision]) => ({
      topic: 'product.stock_changed' as const,
      aggregateType: 'product' as const,
      aggregateId: productId,
      payload: { productId, stockRevision },
    })),
  );
  return results;
}

/**
 * Each variant's on-hand as it was at the product's stock revision `revision`: the current on-hand
 * minus every movement recorded after it. This is what a crafter saw when they read that revision.
 */
export async function onHandAtRevision(
  db: DbOrTx,
  productId: string,
  revision: number,
): Promise<Map<string, number>> {
  const rows = await db.execute<{ id: string; on_hand: number }>(sql`
    select v.id, (v.stock - coalesce((select sum(m.delta) from stock_movements m
      where m.variant_id = v.id and m.stock_revision > ${revision}), 0))::int as on_hand
    from variants v where v.product_id = ${productId}::uuid`);
  return new Map(rows.map((r) => [r.id, r.on_hand]));
}
