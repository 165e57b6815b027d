/**
 * Listings: a product published to one of its crafter's connections. This module only records what
 * the crafter wants (publish, resync, overrides, end) and writes the outbox row that asks the push
 * pipeline to act, in the same transaction; the pipeline (workers/) does the remote work and moves the
 * listing's state, remote ids, errors and history.
 *
 * Outbox contract with the pipeline: `listing.push_requested` and `listing.delist_requested`, both
 * with payload `{ listingId }` (ids only; the processor loads the current state when it runs).
 */
import { and, asc, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { RemoteListingStatus } from '../channels/types.js';
import type { DbOrTx, Tx } from '../db/client.js';
import { crafterScopeCondition } from '../db/repositories/scope-sql.js';
import {
  channelConnections,
  channelListings,
  channelListingVariants,
  crafters,
  listingPushAttempts,
  products,
  variants,
} from '../db/schema/index.js';
import { scopeOf } from '../domain/scope.js';
import { chunks } from '../lib/chunks.js';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '../lib/errors.js';
import { enqueueOutbox } from '../outbox/enqueue.js';
import { recordAudit, recordAudits } from './audit.js';
import { type ConnectionRow, findConnectionInScope } from './connections.js';
import type { ServiceContext } from './context.js';
import { requestPush, requestPushesWhere } from './listing-outbox.js';
import { findProductInScope } from './products.js';

export type ListingRow = typeof channelListings.$inferSelect;
export type ListingState = ListingRow['state'];

/** How many push attempts the detail view shows (newest first). */
export const PUSH_HISTORY_LIMIT = 20;

export interface ListingVariantView {
  variantId: string;
  sku: string;
  /** Shopee `model_id` / TikTok Shop `sku_id`; null until pushed. */
  remoteModelId: string | null;
  remoteSku: string | null;
  pushedPriceIdr: number | null;
  pushedStock: number | null;
}

export interface PushAttemptView {
  id: number;
  kind: (typeof listingPushAttempts.$inferSelect)['kind'];
  productVersion: number;
  outcome: (typeof listingPushAttempts.$inferSelect)['outcome'];
  errorCode: string | null;
  error: string | null;
  errorId: string | null;
  remoteCalls: number;
  startedAt: Date;
  finishedAt: Date;
}

export interface ListingView {
  id: string;
  productId: string;
  connectionId: string;
  crafterId: string;
  channel: ConnectionRow['channel'];
  shopName: string | null;
  state: ListingState;
  remoteItemId: string | null;
  /** The platform's own view of the item (null: not known yet); `in_review` while it reviews it. */
  remoteStatus: RemoteListingStatus | null;
  remoteStatusCheckedAt: Date | null;
  variants: ListingVariantView[];
  pushedVersion: number | null;
  productVersion: number;
  /** The product's stock revision whose stock was last pushed, and the current one (sales move it). */
  pushedStockRevision: number | null;
  productStockRevision: number;
  lastError: { code: string | null; en: string; id: string | null; at: Date | null } | null;
  attempts: number;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  nextAttemptAt: Date | null;
  overrides: {
    priceRule: { kind: NonNullable<ListingRow['priceMarkupKind']>; value: number } | null;
    roundingStepIdr: number | null;
    stockBufferPercent: number | null;
    stockBufferMaxUnits: number | null;
  };
  version: number;
  createdAt: Date;
  updatedAt: Date;
  delistedAt: Date | null;
}

export interface ListingDetailView extends ListingView {
  pushHistory: PushAttemptView[];
}

interface JoinedRow {
  listing: ListingRow;
  connection: { channel: ConnectionRow['channel']; shopName: string | null; crafterId: string };
  productVersion: number;
  productStockRevision: number;
}

const joinedColumns = {
  listing: channelListings,
  connection: {
    channel: channelConnections.channel,
    shopName: channelConnections.shopName,
    crafterId: channelConnections.crafterId,
  },
  productVersion: products.version,
  productStockRevision: products.stockRevision,
};

/** Listings joined to their connection and product, limited to the caller's scope. */
function scopedListings(db: DbOrTx) {
  return db
    .select(joinedColumns)
    .from(channelListings)
    .innerJoin(channelConnections, eq(channelConnections.id, channelListings.connectionId))
    .innerJoin(crafters, eq(crafters.id, channelConnections.crafterId))
    .innerJoin(products, eq(products.id, channelListings.productId));
}

function scopeWhere(ctx: ServiceContext) {
  return crafterScopeCondition(scopeOf(ctx.principal));
}

/** Each listing's variants: the product's live variants with what was pushed for them, if anything. */
async function variantsOf(
  db: DbOrTx,
  rows: readonly JoinedRow[],
): Promise<Map<string, ListingVariantView[]>> {
  const out = new Map<string, ListingVariantView[]>(rows.map((r) => [r.listing.id, []]));
  if (rows.length === 0) return out;
  const listingIds = rows.map((r) => r.listing.id);
  const found = await db
    .select({
      listingId: channelListings.id,
      variantId: variants.id,
      sku: variants.sku,
      remoteModelId: channelListingVariants.remoteModelId,
      remoteSku: channelListingVariants.remoteSku,
      pushedPriceIdr: channelListingVariants.pushedPriceIdr,
      pushedStock: channelListingVariants.pushedStock,
    })
    .from(channelListings)
    .innerJoin(variants, and(eq(variants.productId, channelListings.productId), isNull(variants.retiredAt)))
    .leftJoin(
      channelListingVariants,
      and(
        eq(channelListingVariants.listingId, channelListings.id),
        eq(channelListingVariants.variantId, variants.id),
      ),
    )
    .where(inArray(channelListings.id, listingIds))
    .orderBy(asc(channelListings.id), asc(variants.position));
  for (const { listingId, ...v } of found) out.get(listingId)?.push(v);
  return out;
}

function toView(row: JoinedRow, variantViews: ListingVariantView[]): ListingView {
  const l = row.listing;
  return {
    id: l.id,
    productId: l.productId,
    connectionId: l.connectionId,
    crafterId: row.connection.crafterId,
    channel: row.connection.channel,
    shopName: row.connection.shopName,
    state: l.state,
    remoteItemId: l.remoteItemId,
    remoteStatus: l.remoteStatus,
    remoteStatusCheckedAt: l.remoteStatusCheckedAt,
    variants: variantViews,
    pushedVersion: l.pushedVersion,
    productVersion: row.productVersion,
    pushedStockRevision: l.pushedStockRevision,
    productStockRevision: row.productStockRevision,
    lastError: l.lastError
      ? { code: l.lastErrorCode, en: l.lastError, id: l.lastErrorId, at: l.lastErrorAt }
      : null,
    attempts: l.attempts,
    lastAttemptAt: l.lastAttemptAt,
    lastSuccessAt: l.lastSuccessAt,
    nextAttemptAt: l.nextAttemptAt,
    overrides: {
      priceRule:
        l.priceMarkupKind !== null && l.priceMarkupValue !== null
          ? { kind: l.priceMarkupKind, value: l.priceMarkupValue }
          : null,
      roundingStepIdr: l.priceRoundingStepIdr,
      stockBufferPercent: l.stockBufferPercent,
      stockBufferMaxUnits: l.stockBufferMaxUnits,
    },
    version: l.version,
    createdAt: l.createdAt,
    updatedAt: l.updatedAt,
    delistedAt: l.delistedAt,
  };
}

async function toViews(db: DbOrTx, rows: JoinedRow[]): Promise<ListingView[]> {
  const grouped = await variantsOf(db, rows);
  return rows.map((r) => toView(r, grouped.get(r.listing.id) ?? []));
}

/** One listing inside the caller's scope (404 otherwise), optionally locking the listing row. */
async function findListingInScope(
  tx: DbOrTx,
  ctx: ServiceContext,
  id: string,
  lock = false,
): Promise<JoinedRow> {
  const query = scopedListings(tx).where(and(eq(channelListings.id, id), scopeWhere(ctx)));
  const [row] = lock ? await query.for('update', { of: channelListings }) : await query;
  if (!row) throw new NotFoundError('Listing');
  return row;
}

/** The audit log keeps the listing's own fields. */
function auditView(l: ListingRow) {
  return l;
}

const CONNECTION_DISCONNECTED = () =>
  new ConflictError('connection_disconnected', 'This connection is disconnected; connect the shop again.', {
    detailId: 'Koneksi ini sudah diputus; hubungkan toko lagi.',
  });

// ---------------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------------

/**
 * Publishes a product to connections of its own crafter. Idempotent: a listing that exists is left as
 * it is (no second push is asked for); an ended one is started again. Each new or restarted listing
 * starts `pending`, with a `listing.push_requested` outbox row in the same transaction.
 */
export async function publishProduct(
  ctx: ServiceContext,
  productId: string,
  connectionIds: readonly string[],
): Promise<ListingView[]> {
  const wanted = [...new Set(connectionIds)];
  const ids = await ctx.db.transaction(async (tx) => {
    const product = await findProductInScope(tx, scopeOf(ctx.principal), productId, true);
    if (product.status !== 'active') {
      throw new ConflictError(
        'product_not_active',
        `Only an active product can be published; this one is ${product.status}.`,
        { detailId: 'Hanya produk aktif yang dapat dipublikasikan.' },
      );
    }
    const connections = await tx
      .select()
      .from(channelConnections)
      .where(and(inArray(channelConnections.id, wanted), eq(channelConnections.crafterId, product.crafterId)))
      .for('share');
    const byId = new Map(connections.map((c) => [c.id, c]));
    // Unknown, or another crafter's: the same answer, so nothing about other crafters is revealed.
    const foreign = connectionIds
      .map((id, i) => ({ id, i }))
      .filter(({ id }) => !byId.has(id))
      .map(({ i }) => ({
        path: `body.connectionIds.${i}`,
        message: "not a connection of the product's crafter",
      }));
    if (foreign.length > 0) {
      throw new ValidationError("A product can only be published to its own crafter's connections.", {
        detailId: 'Produk hanya dapat dipublikasikan ke koneksi milik pengrajinnya sendiri.',
        issues: foreign,
      });
    }
    if (connections.some((c) => c.status === 'disconnected')) throw CONNECTION_DISCONNECTED();

    const out: string[] = [];
    for (const connectionId of wanted) {
      const connection = byId.get(connectionId) as ConnectionRow;
      // Work for a shop waiting for re-authorization waits too; a reconnect sets it pending again.
      const startState = connection.status === 'reauth_required' ? 'reauth_required' : 'pending';
      const [existing] = await tx
        .select()
        .from(channelListings)
        .where(and(eq(channelListings.connectionId, connectionId), eq(channelListings.productId, productId)))
        .for('update');
      let row: ListingRow | undefined;
      if (!existing) {
        [row] = await tx
          .insert(channelListings)
          .values({ connectionId, productId, state: startState })
          .onConflictDoNothing()
          .returning();
        // A concurrent publish inserted it first: that one asked for the push.
        if (!row) continue;
      } else if (existing.state === 'delisted' || existing.delistedAt !== null) {
        [row] = await tx
          .update(channelListings)
          .set({
            state: startState,
            delistedAt: null,
            attempts: 0,
            nextAttemptAt: null,
            version: sql`${channelListings.version} + 1`,
            updatedAt: sql`now()`,
          })
          .where(eq(channelListings.id, existing.id))
          .returning();
      } else {
        out.push(existing.id);
        continue;
      }
      if (!row) throw new Error('listing write returned nothing');
      out.push(row.id);
      await recordAudit(tx, {
        actorUserId: ctx.principal.userId,
        action: 'listing.publish',
        entityType: 'listing',
        entityId: row.id,
        ...(existing ? { before: auditView(existing) } : {}),
        after: auditView(row),
        requestId: ctx.requestId,
      });
      if (startState === 'pending') await requestPush(tx, row.id);
    }
    return out;
  });
  const rows = await scopedListings(ctx.db).where(
    and(eq(channelListings.productId, productId), inArray(channelConnections.id, wanted), scopeWhere(ctx)),
  );
  const order = new Map(ids.map((id, i) => [id, i]));
  const views = await toViews(ctx.db, rows);
  return views.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}

/** Most products one bulk publish takes (a crafter's whole catalogue, in a few calls at most). */
export const BULK_PUBLISH_MAX_PRODUCTS = 1000;

/** Rows per statement in a bulk write: inside Postgres's 65,535 parameters at 1,000 × 20 pairs. */
const BULK_WRITE_ROWS = 1000;

export interface BulkPublishView {
  /** Listings created, or ended ones started again: each asked the pipeline for one push. */
  started: number;
  /** Listings that already existed and were not ended: left as they were. */
  unchanged: number;
  items: Array<{ id: string; productId: string; connectionId: string; state: ListingState }>;
}

/**
 * Publishes many products of one crafter to some of that crafter's connections at once: what
 * `publishProduct` does for each pair, set-based (a handful of statements whatever the count), so
 * a crafter who connects a new shop publishes the catalogue in one call. All or nothing: an unknown
 * or foreign product or connection, a product that is not active, or a disconnected shop refuses the
 * whole call and writes nothing.
 */
export async function publishProducts(
  ctx: ServiceContext,
  productIds: readonly string[],
  connectionIds: readonly string[],
): Promise<BulkPublishView> {
  const wantedProducts = [...new Set(productIds)];
  const wantedConnections = [...new Set(connectionIds)];
  return ctx.db.transaction(async (tx) => {
    // Share locks, as publishProduct takes: a concurrent disconnect, archive or delete waits for us.
    const connections = (
      await tx
        .select({ connection: channelConnections })
        .from(channelConnections)
        .innerJoin(crafters, eq(crafters.id, channelConnections.crafterId))
        .where(and(inArray(channelConnections.id, wantedConnections), scopeWhere(ctx)))
        .for('share', { of: channelConnections })
    ).map((r) => r.connection);
    const byId = new Map(connections.map((c) => [c.id, c]));
    const crafterId = connections[0]?.crafterId;
    const foreignConnections = connectionIds.flatMap((id, i) => {
      const c = byId.get(id);
      if (!c) return [{ path: `body.connectionIds.${i}`, message: 'no such connection' }];
      if (c.crafterId !== crafterId)
        return [{ path: `body.connectionIds.${i}`, message: 'a connection of another crafter' }];
      return [];
    });
    if (foreignConnections.length > 0 || crafterId === undefined) {
      throw new ValidationError('A bulk publish takes the connections of one crafter, in your scope.', {
        detailId: 'Publikasi massal hanya untuk koneksi milik satu pengrajin dalam cakupan Anda.',
        issues: foreignConnections,
      });
    }
    if (connections.some((c) => c.status === 'disconnected')) throw CONNECTION_DISCONNECTED();

    const found = await tx
      .select({ id: products.id, status: products.status })
      .from(products)
      .where(
        and(
          inArray(products.id, wantedProducts),
          eq(products.crafterId, crafterId),
          isNull(products.deletedAt),
        ),
      )
      .for('share');
    const statusOf = new Map(found.map((p) => [p.id, p.status]));
    const badProducts = productIds.flatMap((id, i) => {
      const status = statusOf.get(id);
      if (status === undefined)
        return [{ path: `body.productIds.${i}`, message: "not a product of the connections' crafter" }];
      if (status !== 'active')
        return [
          { path: `body.productIds.${i}`, message: `${status}: only an active product can be published` },
        ];
      return [];
    });
    if (badProducts.length > 0) {
      throw new ValidationError('Only active products of the connections’ crafter can be published.', {
        detailId: 'Hanya produk aktif milik pengrajin koneksi tersebut yang dapat dipublikasikan.',
        issues: badProducts,
      });
    }

    const existing = await tx
      .select()
      .from(channelListings)
      .where(
        and(
          inArray(channelListings.connectionId, wantedConnections),
          inArray(channelListings.productId, wantedProducts),
        ),
      )
      .for('update');
    const key = (connectionId: string, productId: string) => `${connectionId}:${productId}`;
    const existingByPair = new Map(existing.map((l) => [key(l.connectionId, l.productId), l]));
    const startState = (connectionId: string) =>
      byId.get(connectionId)?.status === 'reauth_required'
        ? ('reauth_required' as const)
        : ('pending' as const);
    const ended = existing.filter((l) => l.state === 'delisted' || l.delistedAt !== null);
    const fresh = wantedConnections.flatMap((connectionId) =>
      wantedProducts
        .filter((productId) => !existingByPair.has(key(connectionId, productId)))
        .map((productId) => ({ connectionId, productId, state: startState(connectionId) })),
    );

    const restarted: ListingRow[] = [];
    for (const state of ['pending', 'reauth_required'] as const) {
      const ids = ended.filter((l) => startState(l.connectionId) === state).map((l) => l.id);
      if (ids.length === 0) continue;
      restarted.push(
        ...(await tx
          .update(channelListings)
          .set({
            state,
            delistedAt: null,
            attempts: 0,
            nextAttemptAt: null,
            version: sql`${channelListings.version} + 1`,
            updatedAt: sql`now()`,
          })
          .where(inArray(channelListings.id, ids))
          .returning()),
      );
    }
    // A concurrent publish may insert a pair first: that one asked for its push.
    const inserted: ListingRow[] = [];
    for (const part of chunks(fresh, BULK_WRITE_ROWS)) {
      inserted.push(...(await tx.insert(channelListings).values(part).onConflictDoNothing().returning()));
    }

    const before = new Map(ended.map((l) => [l.id, l]));
    const started = [...restarted, ...inserted];
    if (started.length > 0) {
      for (const part of chunks(started, BULK_WRITE_ROWS)) {
        await recordAudits(
          tx,
          part.map((row) => {
            const was = before.get(row.id);
            return {
              actorUserId: ctx.principal.userId,
              action: 'listing.publish',
              entityType: 'listing',
              entityId: row.id,
              ...(was ? { before: auditView(was) } : {}),
              after: auditView(row),
              requestId: ctx.requestId,
            };
          }),
        );
        const pending = part.filter((row) => row.state === 'pending').map((row) => row.id);
        if (pending.length > 0) await requestPushesWhere(tx, sql`l.id in ${pending}`);
      }
    }

    const startedIds = new Set(started.map((row) => row.id));
    const all = [...started, ...existing.filter((l) => !startedIds.has(l.id))];
    return {
      started: started.length,
      unchanged: all.length - started.length,
      items: all.map((l) => ({
        id: l.id,
        productId: l.productId,
        connectionId: l.connectionId,
        state: l.state,
      })),
    };
  });
}

/** Every listing of a product (ended ones too), oldest first. */
export async function listProductListings(ctx: ServiceContext, productId: string): Promise<ListingView[]> {
  await findProductInScope(ctx.db, scopeOf(ctx.principal), productId);
  const rows = await scopedListings(ctx.db)
    .where(and(eq(channelListings.productId, productId), scopeWhere(ctx)))
    .orderBy(asc(channelListings.createdAt), asc(channelListings.id));
  return toViews(ctx.db, rows);
}

/** Listings of one connection, by id (cursor: the last id of the previous page). */
export async function listConnectionListings(
  ctx: ServiceContext,
  connectionId: string,
  query: { limit: number; after?: string | undefined; state?: ListingState | undefined },
): Promise<ListingView[]> {
  await findConnectionInScope(ctx.db, ctx, connectionId);
  const rows = await scopedListings(ctx.db)
    .where(
      and(
        eq(channelListings.connectionId, connectionId),
        scopeWhere(ctx),
        query.state ? eq(channelListings.state, query.state) : undefined,
        query.after ? gt(channelListings.id, query.after) : undefined,
      ),
    )
    .orderBy(asc(channelListings.id))
    .limit(query.limit);
  return toViews(ctx.db, rows);
}

async function detail(db: DbOrTx, row: JoinedRow): Promise<ListingDetailView> {
  const [view] = await toViews(db, [row]);
  const history = await db
    .select()
    .from(listingPushAttempts)
    .where(eq(listingPushAttempts.listingId, row.listing.id))
    .orderBy(desc(listingPushAttempts.startedAt), desc(listingPushAttempts.id))
    .limit(PUSH_HISTORY_LIMIT);
  return {
    ...(view as ListingView),
    pushHistory: history.map(({ listingId: _l, ...h }) => h),
  };
}

export async function getListing(ctx: ServiceContext, id: string): Promise<ListingDetailView> {
  return detail(ctx.db, await findListingInScope(ctx.db, ctx, id));
}

async function connectionStatusOf(tx: Tx, connectionId: string): Promise<ConnectionRow['status']> {
  const [c] = await tx
    .select({ status: channelConnections.status })
    .from(channelConnections)
    .where(eq(channelConnections.id, connectionId))
    .for('share');
  if (!c) throw new NotFoundError('Connection');
  return c.status;
}

function assertNotEnded(listing: ListingRow): void {
  if (listing.state === 'delisted' || listing.delistedAt !== null) {
    throw new ConflictError(
      'listing_ended',
      'This listing has ended; publish the product again to restart it.',
      {
        detailId: 'Listing ini sudah diakhiri; publikasikan produk lagi untuk memulainya kembali.',
      },
    );
  }
}

/**
 * Forces a push: the listing goes back to `pending` (a `failed` or `needs_attention` listing is tried
 * again, with its backoff cleared) and a push is asked for, whatever the versions say.
 */
export async function resyncListing(ctx: ServiceContext, id: string): Promise<ListingDetailView> {
  return ctx.db.transaction(async (tx) => {
    const before = await findListingInScope(tx, ctx, id, true);
    assertNotEnded(before.listing);
    const status = await connectionStatusOf(tx, before.listing.connectionId);
    if (status === 'disconnected') throw CONNECTION_DISCONNECTED();
    if (status === 'reauth_required') {
      throw new ConflictError(
        'connection_reauth_required',
        'The shop needs to be authorized again before anything can be pushed; reconnect it.',
        { detailId: 'Toko perlu diotorisasi ulang sebelum data dapat dikirim; hubungkan ulang.' },
      );
    }
    return changeAndPush(tx, ctx, before, 'listing.resync', {
      state: sql`case when ${channelListings.state} = 'syncing' then 'syncing'::listing_state else 'pending'::listing_state end`,
      nextAttemptAt: null,
    });
  });
}

/**
 * Writes a crafter's change to a listing (its version bumped), audits it and asks for a push, in the
 * caller's transaction; returns the listing as the API shows it.
 */
async function changeAndPush(
  tx: Tx,
  ctx: ServiceContext,
  before: JoinedRow,
  action: 'listing.resync' | 'listing.overrides',
  set: PgUpdateSetSource<typeof channelListings>,
): Promise<ListingDetailView> {
  const id = before.listing.id;
  const [row] = await tx
    .update(channelListings)
    .set({ ...set, version: sql`${channelListings.version} + 1`, updatedAt: sql`now()` })
    .where(eq(channelListings.id, id))
    .returning();
  if (!row) throw new Error('update returned nothing');
  await recordAudit(tx, {
    actorUserId: ctx.principal.userId,
    action,
    entityType: 'listing',
    entityId: id,
    before: auditView(before.listing),
    after: auditView(row),
    requestId: ctx.requestId,
  });
  await requestPush(tx, id);
  return detail(tx, { ...before, listing: row });
}

export interface ListingOverridesInput {
  /** null: use the shop's price rule again. */
  priceRule?:
    | { kind: 'none' | 'percent' | 'fixed'; value: number; roundingStepIdr: number | null }
    | null
    | undefined;
  /** null: use the shop's stock buffer again; a null field uses the shop's value for that field. */
  stockBuffer?: { percent: number | null; maxUnits: number | null } | null | undefined;
}

/**
 * Changes the listing's overrides of its shop's price rule and stock buffer. Requires the version the
 * caller loaded (If-Match); a change asks for a push, no change writes nothing.
 */
export async function updateListingOverrides(
  ctx: ServiceContext,
  id: string,
  ifMatch: readonly number[],
  input: ListingOverridesInput,
): Promise<ListingDetailView> {
  if (input.priceRule && input.priceRule.kind === 'none' && input.priceRule.value !== 0) {
    throw new ValidationError('A price rule of kind "none" takes no value.', {
      issues: [{ path: 'body.priceRule.value', message: 'must be 0 when kind is none' }],
    });
  }
  return ctx.db.transaction(async (tx) => {
    const before = await findListingInScope(tx, ctx, id, true);
    if (!ifMatch.includes(before.listing.version)) throw new VersionMismatchError(before.listing.version);
    assertNotEnded(before.listing);
    const set: Partial<typeof channelListings.$inferInsert> = {};
    if (input.priceRule !== undefined) {
      set.priceMarkupKind = input.priceRule?.kind ?? null;
      set.priceMarkupValue = input.priceRule?.value ?? null;
      set.priceRoundingStepIdr = input.priceRule?.roundingStepIdr ?? null;
    }
    if (input.stockBuffer !== undefined) {
      set.stockBufferPercent = input.stockBuffer?.percent ?? null;
      set.stockBufferMaxUnits = input.stockBuffer?.maxUnits ?? null;
    }
    const l = before.listing as Record<string, unknown>;
    const changed = Object.entries(set).some(([k, v]) => l[k] !== v);
    if (!changed) return detail(tx, before);
    return changeAndPush(tx, ctx, before, 'listing.overrides', set);
  });
}

/**
 * Ends a listing: `delisted_at` records the request and the pipeline ends the remote item, then sets
 * the state `delisted` (the reconciler re-sends a request lost with Redis). Idempotent: ending an
 * ended or ending listing changes and asks nothing.
 */
export async function endListing(ctx: ServiceContext, id: string): Promise<ListingDetailView> {
  return ctx.db.transaction(async (tx) => {
    const before = await findListingInScope(tx, ctx, id, true);
    if (before.listing.state === 'delisted' || before.listing.delistedAt !== null) return detail(tx, before);
    const [row] = await tx
      .update(channelListings)
      .set({
        delistedAt: sql`now()`,
        nextAttemptAt: null,
        version: sql`${channelListings.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(channelListings.id, id),
          ne(channelListings.state, 'delisted'),
          isNull(channelListings.delistedAt),
        ),
      )
      .returning();
    if (!row) throw new Error('update returned nothing');
    await recordAudit(tx, {
      actorUserId: ctx.principal.userId,
      action: 'listing.end',
      entityType: 'listing',
      entityId: id,
      before: auditView(before.listing),
      after: auditView(row),
      requestId: ctx.requestId,
    });
    await enqueueOutbox(tx, {
      topic: 'listing.delist_requested',
      aggregateType: 'listing',
      aggregateId: id,
      payload: { listingId: id },
    });
    return detail(tx, { ...before, listing: row });
  });
}
