/**
 * Product use cases. Every change runs in ONE transaction that checks the caller's `If-Match`
 * version, bumps the version by one, rewrites the variants (matched by SKU so their ids stay stable),
 * records the audit entry and writes the outbox row the relay turns into channel pushes.
 *
 * A change that changes nothing (a PATCH or PUT with the stored values, a CSV row as exported) does
 * not bump the version and writes neither audit nor outbox: a version is a promise that something a
 * channel shows may have changed, and a needless bump would push every listing again.
 */

import { randomUUID } from 'node:crypto';
import {
  and,
  asc,
  desc,
  eq,
  ilike,
  inArray,
  isNotNull,
  isNull,
  notInArray,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.js';
import { crafterScopeCondition } from '../db/repositories/scope-sql.js';
import { crafters, products, variants } from '../db/schema/index.js';
import {
  changedProductFields,
  diffVariants,
  type ProductContent,
  type ProductFieldValues,
  type ProductStatus,
  type StoredVariant,
  type VariantDiff,
  type VariantInput,
  variantDiffIsEmpty,
} from '../domain/catalogue.js';
import { type Scope, scopeOf } from '../domain/scope.js';
import { planStock, type StockPlan, stockPlanIsEmpty, type WantedStock } from '../domain/stock.js';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '../lib/errors.js';
import { enqueueOutbox } from '../outbox/enqueue.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { escapeLike, findCrafterInScope } from './crafters.js';
import { onHandAtRevision, recordStockMovements, type StockMovementInput } from './stock-ledger.js';

export type ProductRow = typeof products.$inferSelect;
export type VariantRow = typeof variants.$inferSelect;

/** A stored variant as the API shows it. */
export type VariantView = StoredVariant;

export interface ProductView extends ProductFieldValues {
  id: string;
  crafterId: string;
  version: number;
  /** Bumped by every stock movement; not part of the ETag. */
  stockRevision: number;
  /** The stock revision when the current version was written (see planStock). */
  versionStockRevision: number;
  createdAt: Date;
  updatedAt: Date;
  variants: VariantView[];
}

/** Keyset position in the list order (created_at desc, id desc); `t` is microseconds since 1970. */
export interface ProductCursor {
  t: number;
  id: string;
}

export interface ProductFilters {
  crafterId?: string | undefined;
  category?: string | undefined;
  status?: ProductStatus | undefined;
  q?: string | undefined;
}

export type ProductPatch = { [K in keyof ProductFieldValues]?: ProductFieldValues[K] | undefined } & {
  variants?: VariantInput[] | undefined;
  /** The product's stockRevision the variants' stock values were read at (see planStock). */
  stockRevision?: number | undefined;
};

const productColumns = {
  id: products.id,
  crafterId: products.crafterId,
  title: products.title,
  description: products.description,
  category: products.category,
  attributes: products.attributes,
  imageUrls: products.imageUrls,
  status: products.status,
  version: products.version,
  stockRevision: products.stockRevision,
  versionStockRevision: products.versionStockRevision,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
};

const variantColumns = {
  id: variants.id,
  productId: variants.productId,
  sku: variants.sku,
  options: variants.options,
  priceIdr: variants.priceIdr,
  stock: variants.stock,
  weightGrams: variants.weightGrams,
  position: variants.position,
};

type ProductHead = Omit<ProductView, 'variants'>;

/** Live products of crafters inside the scope; the scope rule itself lives in crafterScopeCondition. */
export function productScopeCondition(scope: Scope): SQL {
  if (scope.kind === 'all') return sql`true`;
  if (scope.kind === 'crafter') return eq(products.crafterId, scope.crafterId);
  return sql`exists (select 1 from ${crafters} where ${crafters.id} = ${products.crafterId} and ${crafterScopeCondition(scope)})`;
}

/** Loads the live variants of many products in one query, grouped by product id, in position order. */
export async function loadVariants(
  db: DbOrTx,
  productIds: readonly string[],
): Promise<Map<string, VariantView[]>> {
  const grouped = new Map<string, VariantView[]>(productIds.map((id) => [id, []]));
  if (productIds.length === 0) return grouped;
  const rows = await db
    .select(variantColumns)
    .from(variants)
    .where(and(inArray(variants.productId, [...productIds]), isNull(variants.retiredAt)))
    .orderBy(asc(variants.productId), asc(variants.position));
  for (const { productId, ...v } of rows) grouped.get(productId)?.push(v);
  return grouped;
}

/** Loads one live product inside the scope (404 otherwise), optionally locking its row. */
export async function findProductInScope(
  tx: DbOrTx,
  scope: Scope,
  id: string,
  lock = false,
): Promise<ProductView> {
  const query = tx
    .select(productColumns)
    .from(products)
    .where(and(eq(products.id, id), isNull(products.deletedAt), productScopeCondition(scope)));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new NotFoundError('Product');
  const grouped = await loadVariants(tx, [row.id]);
  return { ...row, variants: grouped.get(row.id) ?? [] };
}

export async function getProduct(ctx: ServiceContext, id: string): Promise<ProductView> {
  return findProductInScope(ctx.db, scopeOf(ctx.principal), id);
}

/**
 * One page of products in the scope, newest first, with their variants: two queries whatever the
 * page size (the page, then every variant of the page). Uses products_listing_idx, or
 * products_crafter_idx when filtered by crafter.
 */
/** The WHERE of a list page: live products in the scope, the filters, and the keyset position. */
function listConditions(scope: Scope, query: ProductFilters & { after?: ProductCursor | undefined }) {
  return and(
    isNull(products.deletedAt),
    productScopeCondition(scope),
    query.crafterId ? eq(products.crafterId, query.crafterId) : undefined,
    query.category ? eq(products.category, query.category) : undefined,
    query.status ? eq(products.status, query.status) : undefined,
    query.q ? ilike(products.title, `%${escapeLike(query.q)}%`) : undefined,
    query.after
      ? sql`(${products.createdAt}, ${products.id}) < (timestamptz 'epoch' + ${query.after.t}::bigint * interval '1 microsecond', ${query.after.id}::uuid)`
      : undefined,
  );
}

export async function listProducts(
  db: DbOrTx,
  scope: Scope,
  query: ProductFilters & { limit: number; after?: ProductCursor | undefined },
): Promise<{ items: ProductView[]; next: ProductCursor | null }> {
  const rows = await db
    .select({
      ...productColumns,
      micros: sql<string>`(extract(epoch from ${products.createdAt}) * 1000000)::bigint::text`,
    })
    .from(products)
    .where(listConditions(scope, query))
    .orderBy(desc(products.createdAt), desc(products.id))
    .limit(query.limit);
  const grouped = await loadVariants(
    db,
    rows.map((r) => r.id),
  );
  const items = rows.map(({ micros: _micros, ...r }) => ({ ...r, variants: grouped.get(r.id) ?? [] }));
  const last = rows.at(-1);
  return {
    items,
    next: rows.length === query.limit && last ? { t: Number(last.micros), id: last.id } : null,
  };
}

/** ISO-8601 UTC with milliseconds, exactly as `Date.prototype.toISOString` writes it. */
const isoUtc = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The same page as `listProducts`, as the JSON text of its `items` array, built by Postgres in one
 * query: the API answers list requests without mapping, validating and re-serialising 50 products in
 * JavaScript. The shape must equal `productSchema` in the HTTP layer; a test compares every item
 * with the single-product route and validates the page against that schema.
 */
export async function listProductsJson(
  db: DbOrTx,
  scope: Scope,
  query: ProductFilters & { limit: number; after?: ProductCursor | undefined },
): Promise<{ itemsJson: string; next: ProductCursor | null }> {
  const page = sql`
    select ${products.id} as id, ${products.crafterId} as crafter_id, ${products.title} as title,
      ${products.description} as description, ${products.category} as category,
      ${products.attributes} as attributes, ${products.imageUrls} as image_urls, ${products.status} as status,
      ${products.version} as version, ${products.stockRevision} as stock_revision,
      ${products.createdAt} as created_at, ${products.updatedAt} as updated_at
    from ${products}
    where ${listConditions(scope, query)}
    order by ${products.createdAt} desc, ${products.id} desc
    limit ${query.limit}`;
  const [row] = await db.execute<{
    items: string;
    n: number;
    last_micros: string | null;
    last_id: string | null;
  }>(sql`
    with page as (${page})
    select
      coalesce((
        select json_agg(json_build_object(
          'id', page.id, 'crafterId', page.crafter_id, 'title', page.title, 'description', page.description,
          'category', page.category, 'attributes', page.attributes, 'imageUrls', page.image_urls,
          'status', page.status, 'version', page.version, 'stockRevision', page.stock_revision,
          'createdAt', ${isoUtc(sql`page.created_at`)}, 'updatedAt', ${isoUtc(sql`page.updated_at`)},
          'variants', coalesce((
            select json_agg(json_build_object(
              'id', v.id, 'sku', v.sku, 'options', v.options, 'priceIdr', v.price_idr, 'stock', v.stock,
              'weightGrams', v.weight_grams) order by v.position)
            from ${variants} v where v.product_id = page.id and v.retired_at is null), '[]'::json)
        ) order by page.created_at desc, page.id desc) from page), '[]'::json)::text as items,
      (select count(*)::int from page) as n,
      (select (extract(epoch from created_at) * 1000000)::bigint::text from page
        order by created_at asc, id asc limit 1) as last_micros,
      (select id from page order by created_at asc, id asc limit 1) as last_id`);
  if (!row) throw new Error('list query returned no row');
  return {
    itemsJson: row.items,
    next:
      row.n === query.limit && row.last_micros !== null && row.last_id !== null
        ? { t: Number(row.last_micros), id: row.last_id }
        : null,
  };
}

/**
 * The crafter a new product belongs to: a crafter's own (naming another is a 404, like any
 * out-of-scope reference); for admins and operators the named crafter, which must be in scope.
 */
export async function resolveOwningCrafter(
  tx: DbOrTx,
  ctx: ServiceContext,
  crafterId: string | undefined,
  path: string,
): Promise<string> {
  const scope = scopeOf(ctx.principal);
  if (scope.kind === 'crafter') {
    if (crafterId !== undefined && crafterId !== scope.crafterId) throw new NotFoundError('Crafter');
    return (await findCrafterInScope(tx, scope, scope.crafterId)).id;
  }
  if (crafterId === undefined) {
    throw new ValidationError('Name the crafter the product belongs to.', {
      issues: [{ path, message: 'required for admins and operators' }],
    });
  }
  return (await findCrafterInScope(tx, scope, crafterId)).id;
}

/** SKUs of `crafterId` that live variants of other products already use. */
export async function takenSkus(
  tx: DbOrTx,
  crafterId: string,
  skus: readonly string[],
  exceptProductIds: readonly string[] = [],
): Promise<Map<string, string>> {
  if (skus.length === 0) return new Map();
  const rows = await tx
    .select({ sku: variants.sku, productId: variants.productId })
    .from(variants)
    .where(
      and(
        eq(variants.crafterId, crafterId),
        inArray(variants.sku, [...skus]),
        isNull(variants.retiredAt),
        exceptProductIds.length > 0 ? notInArray(variants.productId, [...exceptProductIds]) : undefined,
      ),
    );
  return new Map(rows.map((r) => [r.sku, r.productId]));
}

function skuTaken(skus: readonly string[]): ConflictError {
  const named = skus.length > 5 ? `${skus.slice(0, 5).join(', ')} or another` : skus.join(', ');
  return new ConflictError('sku_taken', `SKU ${named} is already used by another of your products.`, {
    detailId: `SKU ${named} sudah dipakai produk Anda yang lain.`,
  });
}

/** A unique violation on the per-crafter SKU index (a concurrent writer won the race) → sku_taken. */
export function asSkuTaken(err: unknown, skus: readonly string[]): unknown {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const pg = e as { code?: unknown; constraint_name?: unknown };
    if (pg.code === '23505' && pg.constraint_name === 'variants_crafter_sku_idx') return skuTaken(skus);
  }
  return err;
}

function variantValues(productId: string, crafterId: string, position: number, v: VariantInput) {
  return {
    productId,
    crafterId,
    sku: v.sku,
    options: v.options,
    priceIdr: v.priceIdr,
    // On-hand is recorded by the stock ledger after the insert (applyStockPlan).
    stock: 0,
    weightGrams: v.weightGrams,
    position,
  };
}

function toHead(row: ProductRow): ProductHead {
  const { deletedAt: _deletedAt, ...head } = row;
  return head;
}

/** How stock named by an API write is recorded: `count` (JSON API), `import` (CSV), `adjustment`. */
export type StockWriteKind = 'count' | 'import' | 'adjustment';

/**
 * The stock movements a write's variant list asks for. `basisRevision` is the stockRevision the
 * writer read (undefined: none given); one newer than the product's is bad input at `basisPath`.
 */
export async function resolveStockPlan(
  tx: DbOrTx,
  before: ProductView,
  wanted: readonly WantedStock[] | undefined,
  basisRevision: number | undefined,
  basisPath: string,
): Promise<StockPlan> {
  if (!wanted) return { deltas: [], initial: [], stale: [] };
  if (basisRevision !== undefined && basisRevision > before.stockRevision) {
    throw new ValidationError(
      `stockRevision ${basisRevision} is newer than the product's (${before.stockRevision}); send the one you read.`,
      {
        detailId: `stockRevision ${basisRevision} lebih baru dari milik produk (${before.stockRevision}).`,
        issues: [{ path: basisPath, message: `at most ${before.stockRevision}` }],
      },
    );
  }
  const needsSeen =
    basisRevision !== undefined &&
    basisRevision < before.stockRevision &&
    wanted.some((v) => v.stock !== undefined);
  const seen = needsSeen
    ? await onHandAtRevision(tx, before.id, basisRevision)
    : new Map(before.variants.map((v) => [v.id, v.stock]));
  return planStock(
    before.variants,
    wanted,
    basisRevision !== undefined
      ? { kind: 'revision', seen }
      : { kind: 'none', movedSinceVersion: before.stockRevision !== before.versionStockRevision },
  );
}

/** 409 `stock_changed`: stock values read before a movement the writer did not name. */
export function stockChanged(
  before: ProductView,
  plan: StockPlan,
  wanted: readonly VariantInput[],
): ConflictError {
  const index = new Map(wanted.map((v, i) => [v.sku, i]));
  return new ConflictError(
    'stock_changed',
    `Stock changed since it was read (a sale, cancellation or another count): now ${plan.stale
      .map((s) => `${s.sku} ${s.current}`)
      .join(
        ', ',
      )}. Nothing was saved. Send the stockRevision you read (now ${before.stockRevision}) with your values, or leave stock out.`,
    {
      detailId: `Stok berubah sejak dibaca (penjualan, pembatalan, atau hitungan lain): sekarang ${plan.stale
        .map((s) => `${s.sku} ${s.current}`)
        .join(', ')}. Tidak ada yang disimpan. Periksa lagi stoknya lalu simpan ulang.`,
      issues: plan.stale.map((s) => ({
        path: `body.variants.${index.get(s.sku) ?? 0}.stock`,
        message: `stock is now ${s.current}; ${s.wanted} was based on an older value (stockRevision now ${before.stockRevision})`,
      })),
    },
  );
}

/**
 * Records a write's stock plan in the ledger (after its variants are written); a write that made a
 * new version stamps it with the stock revision after its own movements. Counts are relative to what
 * the writer saw (see planStock).
 */
export async function applyStockPlan(
  tx: Tx,
  ctx: ServiceContext,
  productId: string,
  plan: StockPlan,
  kind: StockWriteKind,
  /** The write also sends `product.changed` (which pushes stock too): no separate stock push. */
  contentChanged: boolean,
  /** The crafter's own words for every movement (otherwise what was set and what was read). */
  note?: string,
): Promise<{ stockRevision: number; versionStockRevision: number }> {
  const movements: StockMovementInput[] = [];
  const actor = { actorUserId: ctx.principal.userId };
  for (const d of plan.deltas) {
    movements.push({
      variantId: d.variantId,
      delta: d.delta,
      kind,
      dedupeKey: `${kind}:${randomUUID()}`,
      note: note ?? `set to ${d.wanted} where ${d.seen} was read`,
      ...actor,
    });
  }
  if (plan.initial.length > 0) {
    const ids = await tx
      .select({ id: variants.id, sku: variants.sku })
      .from(variants)
      .where(
        and(
          eq(variants.productId, productId),
          inArray(
            variants.sku,
            plan.initial.map((i) => i.sku),
          ),
          isNull(variants.retiredAt),
        ),
      );
    const bySku = new Map(ids.map((r) => [r.sku, r.id]));
    for (const i of plan.initial) {
      const variantId = bySku.get(i.sku);
      if (!variantId) throw new Error(`variant ${i.sku} was not written`);
      movements.push({
        variantId,
        delta: i.stock,
        kind,
        dedupeKey: `opening:${variantId}`,
        note: `opening stock ${i.stock}`,
        ...actor,
      });
    }
  }
  await recordStockMovements(tx, movements, { announce: !contentChanged });
  const [row] = await tx
    .update(products)
    .set({
      versionStockRevision: contentChanged
        ? sql`${products.stockRevision}`
        : sql`${products.versionStockRevision}`,
    })
    .where(eq(products.id, productId))
    .returning({
      stockRevision: products.stockRevision,
      versionStockRevision: products.versionStockRevision,
    });
  if (!row) throw new Error('product vanished under its lock');
  return row;
}

/** Inserts a product with its variants, audit and outbox rows. Call inside a transaction. */
export async function insertProduct(
  tx: Tx,
  ctx: ServiceContext,
  crafterId: string,
  content: ProductContent,
  stockKind: StockWriteKind = 'count',
): Promise<ProductView> {
  const { variants: wanted, ...fields } = content;
  const [row] = await tx
    .insert(products)
    .values({ ...fields, crafterId })
    .returning();
  if (!row) throw new Error('insert returned nothing');
  await tx.insert(variants).values(wanted.map((v, i) => variantValues(row.id, crafterId, i, v)));
  const revisions = await applyStockPlan(
    tx,
    ctx,
    row.id,
    planStock([], wanted, { kind: 'none', movedSinceVersion: false }),
    stockKind,
    true,
  );
  const grouped = await loadVariants(tx, [row.id]);
  const after: ProductView = { ...toHead(row), ...revisions, variants: grouped.get(row.id) ?? [] };
  await recordAudit(tx, {
    actorUserId: ctx.principal.userId,
    action: 'product.create',
    entityType: 'product',
    entityId: row.id,
    after,
    requestId: ctx.requestId,
  });
  await enqueueOutbox(tx, {
    topic: 'product.changed',
    aggregateType: 'product',
    aggregateId: row.id,
    payload: { productId: row.id, crafterId, version: row.version },
  });
  return after;
}

export async function createProduct(
  ctx: ServiceContext,
  input: ProductContent & { crafterId?: string | undefined },
): Promise<ProductView> {
  const { crafterId: requested, ...content } = input;
  const skus = content.variants.map((v) => v.sku);
  try {
    return await ctx.db.transaction(async (tx) => {
      const crafterId = await resolveOwningCrafter(tx, ctx, requested, 'body.crafterId');
      const taken = await takenSkus(tx, crafterId, skus);
      if (taken.size > 0) throw skuTaken([...taken.keys()]);
      return insertProduct(tx, ctx, crafterId, content);
    });
  } catch (err) {
    throw asSkuTaken(err, skus);
  }
}

/** What a wanted state changes on a stored product. */
export interface ProductChange {
  fields: Partial<ProductFieldValues>;
  diff: VariantDiff | null;
  /** The content (anything but stock) changes: a new version. */
  changed: boolean;
  /** Stock movements the write asks for (never a new version). */
  stock?: StockPlan | undefined;
}

export function computeChange(before: ProductView, wanted: ProductPatch): ProductChange {
  const { variants: wantedVariants, stockRevision: _stockRevision, ...wantedFields } = wanted;
  const changedKeys = changedProductFields(before, wantedFields);
  const fields: Partial<ProductFieldValues> = {};
  for (const key of changedKeys) Object.assign(fields, { [key]: wantedFields[key] });
  const diff = wantedVariants ? diffVariants(before.variants, wantedVariants) : null;
  return { fields, diff, changed: changedKeys.length > 0 || (diff !== null && !variantDiffIsEmpty(diff)) };
}

export function assertVersion(before: { version: number }, ifMatch: readonly number[]): void {
  if (!ifMatch.includes(before.version)) throw new VersionMismatchError(before.version);
}

/** Retires variants (frees their SKUs). Separate so a CSV import can free SKUs before moving them. */
export async function retireVariants(tx: DbOrTx, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(variants)
    .set({ retiredAt: sql`now()` })
    .where(inArray(variants.id, [...ids]));
}

/**
 * Writes a computed change: bumps the version (only if the row still has the version read) when the
 * content changes, rewrites variants, records stock movements, audit and outbox. A stock-only change
 * keeps the version (the ledger and its `product.stock_changed` row carry it to channels). Call
 * inside the transaction that locked `before`.
 */
export async function writeChange(
  tx: Tx,
  ctx: ServiceContext,
  before: ProductView,
  change: ProductChange,
  opts: { retire?: boolean; stockKind?: StockWriteKind } = {},
): Promise<ProductView> {
  let head: ProductHead = before;
  if (change.changed) {
    const [row] = await tx
      .update(products)
      .set({ ...change.fields, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
      .where(
        and(eq(products.id, before.id), eq(products.version, before.version), isNull(products.deletedAt)),
      )
      .returning();
    if (!row) throw new VersionMismatchError(before.version);
    head = toHead(row);
    const diff = change.diff;
    if (diff) {
      if (opts.retire ?? true) await retireVariants(tx, diff.retire);
      for (const u of diff.update) {
        await tx
          .update(variants)
          .set({
            options: u.variant.options,
            priceIdr: u.variant.priceIdr,
            weightGrams: u.variant.weightGrams,
            position: u.position,
          })
          .where(eq(variants.id, u.id));
      }
      if (diff.insert.length > 0) {
        await tx
          .insert(variants)
          .values(diff.insert.map((i) => variantValues(before.id, before.crafterId, i.position, i.variant)));
      }
    }
  }
  const revisions = await applyStockPlan(
    tx,
    ctx,
    before.id,
    change.stock ?? { deltas: [], initial: [], stale: [] },
    opts.stockKind ?? 'count',
    change.changed,
  );
  const grouped = await loadVariants(tx, [before.id]);
  const after: ProductView = { ...head, ...revisions, variants: grouped.get(before.id) ?? [] };
  if (!change.changed) return after;
  await recordAudit(tx, {
    actorUserId: ctx.principal.userId,
    action: 'product.update',
    entityType: 'product',
    entityId: before.id,
    before,
    after,
    requestId: ctx.requestId,
  });
  await enqueueOutbox(tx, {
    topic: 'product.changed',
    aggregateType: 'product',
    aggregateId: before.id,
    payload: { productId: before.id, crafterId: before.crafterId, version: after.version },
  });
  return after;
}

/** PATCH (any subset, `variants` as the full new list) and PUT (everything) share this path. */
export async function updateProduct(
  ctx: ServiceContext,
  id: string,
  ifMatch: readonly number[],
  wanted: ProductPatch,
): Promise<ProductView> {
  const scope = scopeOf(ctx.principal);
  const skus = wanted.variants?.map((v) => v.sku) ?? [];
  try {
    return await ctx.db.transaction(async (tx) => {
      const before = await findProductInScope(tx, scope, id, true);
      assertVersion(before, ifMatch);
      const change = computeChange(before, wanted);
      const stock = await resolveStockPlan(
        tx,
        before,
        wanted.variants,
        wanted.stockRevision,
        'body.stockRevision',
      );
      if (stock.stale.length > 0) throw stockChanged(before, stock, wanted.variants ?? []);
      if (!change.changed && stockPlanIsEmpty(stock)) return before;
      if (change.diff && change.diff.insert.length > 0) {
        const taken = await takenSkus(
          tx,
          before.crafterId,
          change.diff.insert.map((i) => i.variant.sku),
          [before.id],
        );
        if (taken.size > 0) throw skuTaken([...taken.keys()]);
      }
      return writeChange(tx, ctx, before, { ...change, stock });
    });
  } catch (err) {
    throw asSkuTaken(err, skus);
  }
}

/** Soft delete: the product disappears, its variants are retired so their SKUs can be reused. */
export async function deleteProduct(
  ctx: ServiceContext,
  id: string,
  ifMatch: readonly number[],
): Promise<void> {
  const scope = scopeOf(ctx.principal);
  await ctx.db.transaction(async (tx) => {
    const before = await findProductInScope(tx, scope, id, true);
    assertVersion(before, ifMatch);
    const [row] = await tx
      .update(products)
      .set({ deletedAt: sql`now()`, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(products.id, id), eq(products.version, before.version), isNull(products.deletedAt)))
      .returning({ version: products.version });
    if (!row) throw new VersionMismatchError(before.version);
    await tx
      .update(variants)
      .set({ retiredAt: sql`now()` })
      .where(and(eq(variants.productId, id), isNull(variants.retiredAt)));
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'product.delete',
      entityType: 'product',
      entityId: id,
      before,
      requestId: ctx.requestId,
    });
    await enqueueOutbox(tx, {
      topic: 'product.deleted',
      aggregateType: 'product',
      aggregateId: id,
      payload: { productId: id, crafterId: before.crafterId, version: row.version },
    });
  });
}

/** Live products of one crafter by id (for the CSV import), locked when asked. */
export async function productsOfCrafter(
  tx: DbOrTx,
  crafterId: string,
  ids: readonly string[],
  lock = false,
): Promise<ProductView[]> {
  if (ids.length === 0) return [];
  const query = tx
    .select(productColumns)
    .from(products)
    .where(and(eq(products.crafterId, crafterId), inArray(products.id, [...ids]), isNull(products.deletedAt)))
    .orderBy(asc(products.id));
  const rows = lock ? await query.for('update') : await query;
  const grouped = await loadVariants(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, variants: grouped.get(r.id) ?? [] }));
}

/** Which of `ids` are deleted products of this crafter (so an import can say so instead of creating a copy). */
export async function deletedProductIdsOfCrafter(
  db: DbOrTx,
  crafterId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: products.id })
    .from(products)
    .where(
      and(eq(products.crafterId, crafterId), inArray(products.id, [...ids]), isNotNull(products.deletedAt)),
    );
  return new Set(rows.map((r) => r.id));
}
