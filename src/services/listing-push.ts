/**
 * Pushing one listing to its channel: the heart of the outward sync.
 *
 * A push always loads the CURRENT product, variants, listing, connection and category mapping (a job
 * carries the listing id only), opens the shop's credentials in memory, and makes the remote listing
 * equal to that state with the fewest calls: a create (exactly once, see below), a full update when
 * the content changed, the platform's batch price/stock calls when only the offer changed, nothing
 * when nothing changed, or a delist when the product is gone, archived or unpublished.
 *
 * Exactly-once creation: the create intent (id, SKU, start time) is committed before the remote
 * create is sent. A retry that finds an intent without a remote item id (a crash between the remote
 * create and our commit) asks the adapter for an item with that SKU created since the intent, and
 * adopts it instead of creating a second one; an older item with the same SKU (a deleted product's,
 * the SKU reused) is never adopted, because `findCreated` only considers items since the intent.
 *
 * Failures are classified (src/channels/failure.ts) and recorded here in Postgres (state, plain-words
 * error in English and Bahasa, attempts, `next_attempt_at`), so the reconciler can resume the work
 * without Redis; the processor turns the decision into BullMQ terms.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, isNull, ne, type SQL, sql } from 'drizzle-orm';
import type { ConnectionSecrets } from '../channels/auth.js';
import { classifyChannelFailure } from '../channels/failure.js';
import {
  type CanonicalListing,
  type Channel,
  type ChannelAdapter,
  ChannelFailure,
  type ConnectionContext,
  type HumanMessage,
  type PriceStockChange,
  type RemoteListingRef,
  type RemoteListingStatus,
} from '../channels/types.js';
import type { Database, DbOrTx } from '../db/client.js';
import { perDatabase } from '../db/prepared.js';
import {
  channelCategoryMappings,
  channelConnections,
  channelListings,
  channelListingVariants,
  listingPushAttempts,
  products,
  variants,
} from '../db/schema/index.js';
import {
  channelPrice,
  channelStock,
  effectivePriceRule,
  effectiveStockBuffer,
} from '../domain/channel-pricing.js';
import { placementFor } from '../domain/placement.js';
import type { Logger } from '../lib/logger.js';
import { type Keyring, openJson, SecretUnavailableError } from '../lib/secrets.js';
import { alertKey, raiseAlert, resolveAlert, resolveAlertCtes } from './alerts.js';
import { secretsContext } from './connections.js';
import { countSentCalls } from './sent-calls.js';
import { markConnectionReauthRequired } from './token-refresh.js';

/**
 * How often a live listing whose item the platform reviews has its remote status read again (the
 * reconciler queues the shop's review sweep, which reads all its items in review in batch calls).
 * Shopee reviews for minutes, TikTok Shop audits for a couple: once a minute keeps the crafter's
 * view close, at about one call per minute per 50 (Shopee) or 100 (TikTok Shop) items in review.
 */
export const REVIEW_CHECK_MS = 60_000;

type PushKind = 'create' | 'update' | 'price_stock' | 'delist' | 'lookup';
type ListingRow = typeof channelListings.$inferSelect;
type ConnectionRow = typeof channelConnections.$inferSelect;
type ProductRow = typeof products.$inferSelect;

export interface ListingPushDeps {
  db: Database;
  /** The adapters of the channels this server is configured for. */
  adapters: Partial<Record<Channel, ChannelAdapter>>;
  keyring: Keyring;
  /** The partner-brand programme's API base URL (sent with the enrolment's key). */
  partnerBrandBaseUrl?: string | undefined;
  /**
   * Runs one remote call (the per-channel circuit breaker wraps it here); defaults to calling it.
   * Anything it throws is a remote failure, classified by `classifyChannelFailure`.
   */
  guard?: <T>(channel: Channel, call: () => Promise<T>) => Promise<T>;
  log?: Logger | undefined;
  /** Test seam: runs after the remote create answered and before its ids are committed. */
  afterRemoteCreate?: (listingId: string) => Promise<void> | void;
}

export type PushOutcome =
  | 'live'
  | 'unchanged'
  | 'delisted'
  | 'needs_attention'
  | 'reauth_required'
  | 'skipped';

export interface PushResult {
  listingId: string;
  outcome: PushOutcome;
  kind?: PushKind;
  /** Product version this push made the channel show. */
  version?: number;
  remoteCalls: number;
}

/** A failure of a remote call (as opposed to our own database or code), carrying what was attempted. */
export class RemotePushError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly kind: PushKind,
    readonly remoteCalls: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'RemotePushError';
  }
}

export const CHANNEL_LABEL: Record<Channel, string> = {
  shopee: 'Shopee',
  tiktok_shop: 'Tokopedia (TikTok Shop)',
  partner_brand: 'The partner brand',
};

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** What a full update sends: everything but price and stock. */
export function contentHash(listing: CanonicalListing): string {
  return sha256({
    title: listing.title,
    description: listing.description,
    imageUrls: listing.imageUrls,
    placement: listing.placement,
    variants: listing.variants.map((v) => ({
      variantId: v.variantId,
      sku: v.sku,
      options: v.options,
      weightGrams: v.weightGrams,
    })),
  });
}

/** What the batch price/stock calls send. */
export function offerHash(listing: CanonicalListing): string {
  return sha256(listing.variants.map((v) => ({ variantId: v.variantId, price: v.priceIdr, stock: v.stock })));
}

type MappingRow = typeof channelCategoryMappings.$inferSelect;
type VariantRow = typeof variants.$inferSelect;

interface Loaded {
  listing: ListingRow;
  connection: ConnectionRow;
  product: ProductRow | undefined;
  /** The channel's mapping of the product's category, if any. */
  mapping: MappingRow | undefined;
  /** The product's live variants, in their order. */
  variants: VariantRow[];
}

/** The statements every push runs, built once per database handle (src/db/prepared.ts). */
const markSyncing = {
  state: 'syncing' as const,
  lastAttemptAt: sql`now()`,
  queuedAt: sql`now()`,
  updatedAt: sql`now()`,
};

const unlessIntent = (value: SQL) =>
  sql`case when ${channelListings.createIntentId} is null then ${value} else`;

function buildPushQueries(db: Database) {
  return {
    /**
     * Everything a push reads, in one round trip: the listing, its connection, the product, the
     * category mapping of the product's category on the listing's channel, and the live variants (one
     * row per variant; a product without variants still gives one row).
     */
    load: db
      .select({
        listing: channelListings,
        connection: channelConnections,
        product: products,
        mapping: channelCategoryMappings,
        variant: variants,
      })
      .from(channelListings)
      .innerJoin(channelConnections, eq(channelConnections.id, channelListings.connectionId))
      .leftJoin(products, eq(products.id, channelListings.productId))
      .leftJoin(
        channelCategoryMappings,
        and(
          eq(channelCategoryMappings.channel, channelConnections.channel),
          eq(channelCategoryMappings.canonicalCategory, products.category),
        ),
      )
      .leftJoin(variants, and(eq(variants.productId, products.id), isNull(variants.retiredAt)))
      .where(eq(channelListings.id, sql.placeholder('listingId')))
      .orderBy(asc(variants.position), asc(variants.sku))
      .prepare('push_load'),
    /** Marked as being worked on (`queued_at` keeps the reconciler away while the push runs). */
    mark: db
      .update(channelListings)
      .set({ ...markSyncing })
      .where(eq(channelListings.id, sql.placeholder('listingId')))
      .returning({ intentId: channelListings.createIntentId })
      .prepare('push_mark'),
    /** The same, recording a create intent unless one is recorded already (then the answer tells). */
    markWithIntent: db
      .update(channelListings)
      .set({
        ...markSyncing,
        createIntentId: sql`${unlessIntent(sql`${sql.placeholder('intentId')}::uuid`)} ${channelListings.createIntentId} end`,
        createIntentSku: sql`${unlessIntent(sql`${sql.placeholder('intentSku')}::text`)} ${channelListings.createIntentSku} end`,
        createIntentStartedAt: sql`${unlessIntent(sql`now()`)} ${channelListings.createIntentStartedAt} end`,
      })
      .where(eq(channelListings.id, sql.placeholder('listingId')))
      .returning({ intentId: channelListings.createIntentId })
      .prepare('push_mark_with_intent'),
    /** What the last successful pushes left on each variant. */
    pushedVariants: db
      .select({
        variantId: channelListingVariants.variantId,
        remote: channelListingVariants.remoteModelId,
        price: channelListingVariants.pushedPriceIdr,
        stock: channelListingVariants.pushedStock,
      })
      .from(channelListingVariants)
      .where(eq(channelListingVariants.listingId, sql.placeholder('listingId')))
      .prepare('push_pushed_variants'),
  };
}

const pushQueries = perDatabase(buildPushQueries);

async function load(db: Database, listingId: string): Promise<Loaded | null> {
  const rows = await pushQueries(db).load.execute({ listingId });
  const [row] = rows;
  if (!row) return null;
  return {
    listing: row.listing,
    connection: row.connection,
    product: row.product ?? undefined,
    mapping: row.mapping ?? undefined,
    variants: rows.flatMap((r) => (r.variant ? [r.variant] : [])),
  };
}

/** The shop's identity and credentials, opened in memory for this call only (pushes and pulls). */
export function connectionContext(
  deps: Pick<ListingPushDeps, 'keyring' | 'partnerBrandBaseUrl'>,
  connection: ConnectionRow,
): ConnectionContext {
  const base: ConnectionContext = {
    connectionId: connection.id,
    externalShopId: connection.externalShopId,
    ...(connection.shopCipher ? { shopCipher: connection.shopCipher } : {}),
  };
  if (!connection.secretsSealed) return base;
  let secrets: ConnectionSecrets;
  try {
    secrets = openJson<ConnectionSecrets>(
      deps.keyring,
      connection.secretsSealed,
      secretsContext(connection.id),
    );
  } catch (err) {
    if (err instanceof SecretUnavailableError) {
      throw new ChannelFailure('permanent', 'secrets_unavailable', {
        en: "This shop's stored credentials cannot be opened on this server; an operator must add the key.",
        id: 'Kredensial toko ini tidak dapat dibuka di server ini; operator harus menambahkan kuncinya.',
      });
    }
    throw err;
  }
  if (secrets.kind === 'oauth') return { ...base, accessToken: secrets.accessToken };
  return {
    ...base,
    apiKey: secrets.apiKey,
    apiSecret: secrets.apiSecret,
    ...(deps.partnerBrandBaseUrl ? { endpoint: deps.partnerBrandBaseUrl } : {}),
  };
}

/** The listing as the channel should show it now, or the problem that keeps it from being built. */
function buildCanonical(
  loaded: Loaded & { product: ProductRow },
): { listing: CanonicalListing } | { problem: HumanMessage; code: string } {
  const { listing, connection, product, mapping } = loaded;
  const placed = placementFor(mapping ?? undefined, connection.channel, connection, product.category);
  if (!placed.ok) {
    return {
      code: mapping ? 'placement_incomplete' : 'category_unmapped',
      problem: {
        en: placed.problems.map((p) => p.message.en).join(' '),
        id: placed.problems.map((p) => p.message.id).join(' '),
      },
    };
  }
  const rows = loaded.variants;
  const rule = effectivePriceRule(
    {
      kind: connection.priceMarkupKind,
      value: connection.priceMarkupValue,
      roundingStepIdr: connection.priceRoundingStepIdr,
    },
    {
      kind: listing.priceMarkupKind,
      value: listing.priceMarkupValue,
      roundingStepIdr: listing.priceRoundingStepIdr,
    },
  );
  const buffer = effectiveStockBuffer(
    { percent: connection.stockBufferPercent, maxUnits: connection.stockBufferMaxUnits },
    { percent: listing.stockBufferPercent, maxUnits: listing.stockBufferMaxUnits },
  );
  return {
    listing: {
      productId: product.id,
      version: product.version,
      title: product.title,
      description: product.description,
      imageUrls: product.imageUrls,
      placement: placed.placement,
      variants: rows.map((v) => ({
        variantId: v.id,
        sku: v.sku,
        options: v.options,
        priceIdr: channelPrice(v.priceIdr, rule),
        stock: channelStock(v.stock, buffer),
        weightGrams: v.weightGrams,
      })),
    },
  };
}

async function recordAttempt(
  db: DbOrTx,
  values: {
    listingId: string;
    kind: PushKind;
    productVersion: number;
    outcome: typeof listingPushAttempts.$inferInsert.outcome;
    remoteCalls: number;
    startedAt: Date;
    errorCode?: string;
    error?: HumanMessage;
  },
): Promise<void> {
  await db.insert(listingPushAttempts).values({
    listingId: values.listingId,
    kind: values.kind,
    productVersion: values.productVersion,
    outcome: values.outcome,
    remoteCalls: values.remoteCalls,
    startedAt: values.startedAt,
    errorCode: values.errorCode ?? null,
    error: values.error?.en ?? null,
    errorId: values.error?.id ?? null,
  });
}

const clearErrors = {
  lastErrorCode: null,
  lastError: null,
  lastErrorId: null,
  lastErrorAt: null,
  attempts: 0,
  nextAttemptAt: null,
  queuedAt: null,
} as const;

interface PushedVariant {
  variantId: string;
  remote: string | null;
  price: number | null;
  stock: number | null;
}

/** What the last successful pushes left on each variant (one read serves the ref and the offer diff). */
async function pushedVariants(db: Database, listing: ListingRow): Promise<PushedVariant[]> {
  if (!listing.remoteItemId) return [];
  return pushQueries(db).pushedVariants.execute({ listingId: listing.id });
}

function refOf(listing: ListingRow, rows: readonly PushedVariant[]): RemoteListingRef | null {
  if (!listing.remoteItemId) return null;
  return {
    remoteItemId: listing.remoteItemId,
    remoteVariantIds: Object.fromEntries(
      rows.filter((r) => r.remote !== null).map((r) => [r.variantId, r.remote as string]),
    ),
  };
}

/** Where a listing lives remotely, from what the last push recorded; null before its first create. */
export async function remoteRefOf(db: Database, listing: ListingRow): Promise<RemoteListingRef | null> {
  return refOf(listing, await pushedVariants(db, listing));
}

/**
 * Which of price and stock differ from what the last successful push sent (a variant never pushed
 * counts as both), so a price edit does not resend stock and the other way round.
 */
function offerChanges(rows: readonly PushedVariant[], listing: CanonicalListing): PriceStockChange {
  const pushed = new Map(rows.map((r) => [r.variantId, r]));
  const changed = { price: false, stock: false };
  for (const v of listing.variants) {
    const before = pushed.get(v.variantId);
    if (before?.price !== v.priceIdr) changed.price = true;
    if (before?.stock !== v.stock) changed.stock = true;
  }
  // The offer hash changed, yet no value differs (a variant's order, say): send both, as before.
  return changed.price || changed.stock ? changed : { price: true, stock: true };
}

/**
 * Whether the remote item is down because we ended the listing: its last successful push was a
 * delist. A listing published again then needs its item put back on sale, which no content or offer
 * change would do (an update leaves the sale status alone).
 */
async function endedByUs(db: Database, listingId: string): Promise<boolean> {
  const [last] = await db
    .select({ kind: listingPushAttempts.kind })
    .from(listingPushAttempts)
    .where(and(eq(listingPushAttempts.listingId, listingId), eq(listingPushAttempts.outcome, 'success')))
    .orderBy(desc(listingPushAttempts.startedAt), desc(listingPushAttempts.id))
    .limit(1);
  return last?.kind === 'delist';
}

/**
 * Commits a successful push in ONE statement (one round trip, atomic like a transaction): the listing
 * live at the pushed version and hashes with its errors cleared, what each variant now shows, the
 * attempt in the history, and the connection's last success. The connection row is written at most
 * once a second (and whenever it had failures), so concurrent pushes to one shop do not queue on its
 * row lock, and never waited for: publishing holds the row share-locked (against a concurrent
 * disconnect), and a bulk publish keeps it so without a gap, which stalled every push of the shop.
 * A skipped write is made by the next success. A `listing_failed` alert of the listing is resolved in
 * the same statement.
 */
async function commitSuccess(
  db: Database,
  values: {
    listingId: string;
    connectionId: string;
    remoteItemId: string;
    /** The platform's own status, when the call told it (`in_review` after a Shopee add_item). */
    remoteStatus: RemoteListingStatus | null;
    /** The product's stock revision the pushed stock was read at. */
    stockRevision: number;
    canonical: CanonicalListing;
    content: string;
    offer: string;
    variantRows: Array<{
      variant_id: string;
      remote_model_id: string | null;
      remote_sku: string;
      pushed_price_idr: number;
      pushed_stock: number;
    }>;
    attempt: { kind: PushKind; remoteCalls: number; startedAt: Date } | null;
  },
): Promise<void> {
  const { listingId, canonical, attempt } = values;
  await db.execute(sql`
    with listing as (
      update channel_listings set
        state = 'live', remote_item_id = ${values.remoteItemId}, pushed_version = ${canonical.version},
        pushed_stock_revision = ${values.stockRevision},
        remote_status = coalesce(${values.remoteStatus}::listing_remote_status, remote_status),
        remote_status_checked_at = case when ${values.remoteStatus}::text is null
          then remote_status_checked_at else now() end,
        pushed_content_hash = ${values.content}, pushed_offer_hash = ${values.offer},
        queued_version = ${canonical.version}, last_success_at = now(), version = version + 1,
        updated_at = now(), last_error_code = null, last_error = null, last_error_id = null,
        last_error_at = null, attempts = 0, next_attempt_at = null, queued_at = null
      where id = ${listingId}
      returning id),
    pushed_variants as (
      insert into channel_listing_variants
        (listing_id, variant_id, remote_model_id, remote_sku, pushed_price_idr, pushed_stock, updated_at)
      select ${listingId}::uuid, v.variant_id, v.remote_model_id, v.remote_sku, v.pushed_price_idr,
             v.pushed_stock, now()
      from jsonb_to_recordset(${JSON.stringify(values.variantRows)}::jsonb) as v(
        variant_id uuid, remote_model_id text, remote_sku text, pushed_price_idr bigint, pushed_stock integer)
      on conflict (listing_id, variant_id) do update set
        remote_model_id = excluded.remote_model_id, remote_sku = excluded.remote_sku,
        pushed_price_idr = excluded.pushed_price_idr, pushed_stock = excluded.pushed_stock,
        updated_at = excluded.updated_at),
    attempt as (
      insert into listing_push_attempts
        (listing_id, kind, product_version, outcome, remote_calls, started_at)
      select ${listingId}::uuid, ${attempt?.kind ?? 'update'}::push_kind, ${canonical.version}::integer,
             'success'::push_outcome, ${attempt?.remoteCalls ?? 0}::integer,
             ${(attempt?.startedAt ?? new Date()).toISOString()}::timestamptz
      where ${attempt !== null}::boolean),
    connection as (
      update channel_connections set last_success_at = now(), consecutive_failures = 0
      where id in (
        select id from channel_connections
        where id = ${values.connectionId}
          and (last_success_at is null or last_success_at < now() - interval '1 second'
               or consecutive_failures <> 0)
        for no key update skip locked)),
    -- Live again: the listing_failed alert of this listing is over (nothing when none is open).
    ${resolveAlertCtes(alertKey.listingFailed(listingId))}
    select count(*) from listing`);
}

/** A push or sweep for a channel this server has no adapter for: only an operator can fix it. */
export function channelNotConfigured(channel: Channel): ChannelFailure {
  return new ChannelFailure('permanent', 'channel_not_configured', {
    en: `${CHANNEL_LABEL[channel]} is not configured on this server; an operator must configure it.`,
    id: `${CHANNEL_LABEL[channel]} belum dikonfigurasi di server ini; operator harus mengonfigurasinya.`,
  });
}

/**
 * Whether a failed create certainly made nothing remotely, from the calls that left and the failure:
 * a refusal by the shop's call budget in this process (src/services/channel-runtime.ts) sends
 * nothing, and a platform throttle refuses the call it answers, which is then the only call sent.
 */
export function nothingCreated(sent: number, err: unknown): boolean {
  const cause = err instanceof RemotePushError ? err.cause : err;
  if (!(cause instanceof ChannelFailure) || cause.kind !== 'throttled') return false;
  return cause.platformCode === 'shop_budget' ? sent === 0 : sent === 1;
}

/** Pushes one listing's current state to its channel. Throws `RemotePushError` when a remote call fails. */
export async function pushListing(deps: ListingPushDeps, listingId: string): Promise<PushResult> {
  const { db } = deps;
  const startedAt = new Date();
  const loaded = await load(db, listingId);
  if (!loaded) return { listingId, outcome: 'skipped', remoteCalls: 0 };
  const { listing, connection, product } = loaded;
  if (listing.state === 'delisted' || connection.status === 'disconnected') {
    return { listingId, outcome: 'skipped', remoteCalls: 0 };
  }
  if (connection.status === 'reauth_required') {
    // The work waits for the crafter to reconnect; the reconnect puts it back to pending.
    await db
      .update(channelListings)
      .set({ state: 'reauth_required', queuedAt: null, updatedAt: sql`now()` })
      .where(and(eq(channelListings.id, listingId), ne(channelListings.state, 'delisted')));
    return { listingId, outcome: 'reauth_required', remoteCalls: 0 };
  }
  const adapter = deps.adapters[connection.channel];
  const productVersion = product?.version ?? listing.pushedVersion ?? 0;
  let remoteCalls = 0;
  let kind = 'update' as PushKind;
  const remote = async <T>(what: PushKind, call: (ctx: ConnectionContext) => Promise<T>): Promise<T> => {
    kind = what;
    remoteCalls += 1;
    try {
      if (!adapter) throw channelNotConfigured(connection.channel);
      const ctx = connectionContext(deps, connection);
      const guard = deps.guard ?? (<U>(_c: Channel, fn: () => Promise<U>) => fn());
      return await guard(connection.channel, () => call(ctx));
    } catch (err) {
      throw new RemotePushError(err, what, remoteCalls);
    }
  };

  // Delist: the product is deleted or archived, or the crafter unpublished the listing.
  if (!product || product.deletedAt !== null || product.status === 'archived' || listing.delistedAt) {
    let ref = refOf(listing, await pushedVariants(db, listing));
    if (!ref && listing.createIntentSku && listing.createIntentStartedAt) {
      const sku = listing.createIntentSku;
      const since = listing.createIntentStartedAt;
      ref = await remote('lookup', (ctx) => (adapter as ChannelAdapter).findCreated(ctx, sku, since));
    }
    if (ref) {
      const found = ref;
      await remote('delist', (ctx) => (adapter as ChannelAdapter).delist(ctx, found));
    }
    await db.transaction(async (tx) => {
      await tx
        .update(channelListings)
        .set({
          ...clearErrors,
          state: 'delisted',
          ...(ref ? { remoteStatus: 'inactive' as const, remoteStatusCheckedAt: sql`now()` } : {}),
          delistedAt: sql`coalesce(${channelListings.delistedAt}, now())`,
          version: sql`${channelListings.version} + 1`,
          updatedAt: sql`now()`,
        })
        .where(eq(channelListings.id, listingId));
      // An ended listing needs nothing more from anyone.
      await resolveAlert(tx, alertKey.listingFailed(listingId));
      await recordAttempt(tx, {
        listingId,
        kind: 'delist',
        productVersion,
        outcome: 'success',
        remoteCalls,
        startedAt,
      });
    });
    return { listingId, outcome: 'delisted', kind: 'delist', remoteCalls };
  }

  const built = buildCanonical({ ...loaded, product });
  const problems: { code: string; message: HumanMessage } | null =
    'problem' in built
      ? { code: built.code, message: built.problem }
      : (() => {
          const found = adapter?.validate(built.listing, { creating: !listing.remoteItemId }) ?? [];
          if (found.length === 0) return null;
          return {
            code: `invalid:${found.map((p) => p.field).join(',')}`.slice(0, 200),
            message: {
              en: found.map((p) => p.message.en).join(' '),
              id: found.map((p) => p.message.id).join(' '),
            },
          };
        })();
  if (problems || 'problem' in built) {
    const message = problems?.message as HumanMessage;
    await db.transaction(async (tx) => {
      await tx
        .update(channelListings)
        .set({
          state: 'needs_attention',
          lastErrorCode: problems?.code ?? 'invalid',
          lastError: message.en,
          lastErrorId: message.id,
          lastErrorAt: sql`now()`,
          queuedVersion: productVersion,
          queuedAt: null,
          nextAttemptAt: null,
          version: sql`${channelListings.version} + 1`,
          updatedAt: sql`now()`,
        })
        .where(eq(channelListings.id, listingId));
      await recordAttempt(tx, {
        listingId,
        kind: listing.remoteItemId ? 'update' : 'create',
        productVersion,
        outcome: 'needs_attention',
        remoteCalls: 0,
        startedAt,
        errorCode: problems?.code ?? 'invalid',
        error: message,
      });
    });
    return { listingId, outcome: 'needs_attention', remoteCalls: 0 };
  }
  const canonical = built.listing;
  const content = contentHash(canonical);
  const offer = offerHash(canonical);
  const channelAdapter = adapter as ChannelAdapter;

  // Marked as being worked on (`queued_at` keeps the reconciler away while this push runs) and, for a
  // first create, the create intent recorded, in one statement: the intent is committed before the
  // remote create, so a crash after it leaves a trace to look up.
  const newIntent =
    !listing.remoteItemId &&
    (!listing.createIntentId || !listing.createIntentSku || !listing.createIntentStartedAt)
      ? { id: randomUUID(), sku: canonical.variants[0]?.sku ?? canonical.productId }
      : null;
  // Read alongside (independent of the mark): what the last pushes left on each variant.
  const queries = pushQueries(db);
  const [[marked], pushed] = await Promise.all([
    newIntent
      ? queries.markWithIntent.execute({ listingId, intentId: newIntent.id, intentSku: newIntent.sku })
      : queries.mark.execute({ listingId }),
    pushedVariants(db, listing),
  ]);
  let ref = refOf(listing, pushed);
  // Only an item we took down (the delist leaves it `inactive`) may need putting back on sale.
  const relist = ref !== null && listing.remoteStatus === 'inactive' && (await endedByUs(db, listingId));
  let outcome: PushOutcome = 'live';
  if (!ref) {
    if (newIntent) {
      if (marked?.intentId !== newIntent.id) {
        // Another run recorded an intent meanwhile: let the retry look it up rather than race it.
        throw new RemotePushError(
          new ChannelFailure('retryable', 'create_intent_race', {
            en: 'Another push of this listing is creating it; this one will check again shortly.',
            id: 'Push lain sedang membuat listing ini; push ini akan memeriksa lagi sebentar lagi.',
          }),
          'create',
          0,
        );
      }
      const created = await countSentCalls(() =>
        remote('create', (ctx) => channelAdapter.create(ctx, canonical)),
      );
      if (!created.ok) {
        // Nothing can exist remotely when our own shop budget refused the create before any call
        // left, or when the one call that left was refused by the platform's throttle (a throttle
        // answers before the request is processed): the intent goes and the retry creates directly,
        // without a lookup by SKU (which pages through the shop's items, spending the very budget
        // that was short). Any other failure, or one after earlier calls, keeps the intent.
        if (nothingCreated(created.sent, created.error)) {
          await db
            .update(channelListings)
            .set({ createIntentId: null, createIntentSku: null, createIntentStartedAt: null })
            .where(and(eq(channelListings.id, listingId), eq(channelListings.createIntentId, newIntent.id)));
        }
        throw created.error;
      }
      ref = created.value;
      await deps.afterRemoteCreate?.(listingId);
    } else {
      // No new intent: the one recorded before is complete (its fallbacks never apply).
      const sku = listing.createIntentSku ?? canonical.productId;
      const since = listing.createIntentStartedAt ?? startedAt;
      const adopted = await remote('lookup', (ctx) => channelAdapter.findCreated(ctx, sku, since));
      if (adopted) {
        // The item was created before a crash: complete it to the current state instead of creating it again.
        deps.log?.info(
          { listingId, remoteItemId: adopted.remoteItemId },
          'adopting remote item created before a crash',
        );
        ref = await remote('create', (ctx) => channelAdapter.update(ctx, adopted, canonical));
      } else {
        ref = await remote('create', (ctx) => channelAdapter.create(ctx, canonical));
        await deps.afterRemoteCreate?.(listingId);
      }
    }
  } else if (relist || content !== listing.pushedContentHash) {
    // Published again after we ended it: the full update also puts the item back on sale.
    const current = ref;
    ref = await remote('update', (ctx) => channelAdapter.update(ctx, current, canonical, { relist }));
  } else if (offer !== listing.pushedOfferHash) {
    const current = ref;
    const changed = offerChanges(pushed, canonical);
    await remote('price_stock', (ctx) =>
      channelAdapter.updatePriceAndStock(ctx, current, canonical, changed),
    );
  } else {
    // Nothing to send. (Whether an item in review is on sale now is the review sweep's to ask.)
    outcome = 'unchanged';
  }

  const done = ref;
  const finalKind: PushKind = kind === 'lookup' ? 'create' : kind;
  await commitSuccess(db, {
    listingId,
    connectionId: connection.id,
    remoteItemId: done.remoteItemId,
    remoteStatus: done.status ?? null,
    // Read with the product row, before the variants: a sale in between makes this revision older
    // than the stock sent, so the reconciler pushes once more, never the other way round.
    stockRevision: product.stockRevision,
    canonical,
    content,
    offer,
    variantRows: canonical.variants.map((v) => ({
      variant_id: v.variantId,
      remote_model_id: done.remoteVariantIds[v.variantId] ?? null,
      remote_sku: v.sku,
      pushed_price_idr: v.priceIdr,
      pushed_stock: v.stock,
    })),
    attempt: outcome === 'unchanged' ? null : { kind: finalKind, remoteCalls, startedAt },
  });
  return { listingId, outcome, kind: finalKind, version: canonical.version, remoteCalls };
}

/**
 * The `listing_failed` alert: the platform's reason in plain words, with the product and shop it
 * concerns. One open alert per listing; the next successful push (or the listing's end) resolves it.
 */
async function raiseListingFailed(tx: DbOrTx, loaded: Loaded, human: HumanMessage): Promise<void> {
  const title = loaded.product?.title ?? loaded.listing.productId;
  const shop = CHANNEL_LABEL[loaded.connection.channel];
  await raiseAlert(tx, {
    kind: 'listing_failed',
    crafterId: loaded.connection.crafterId,
    dedupeKey: alertKey.listingFailed(loaded.listing.id),
    message: {
      en: `${shop} did not take “${title}”: ${human.en}`,
      id: `${shop} tidak menerima “${title}”: ${human.id}`,
    },
    subject: {
      listingId: loaded.listing.id,
      productId: loaded.listing.productId,
      connectionId: loaded.connection.id,
    },
  });
}

/** What the processor does after a failed push. */
export type FailureAction =
  /** Wait `waitMs` without spending an attempt (throttle, open circuit). */
  | { action: 'delay'; waitMs: number; reason: 'throttled' | 'circuit_open'; connectionId: string }
  /** Rethrow: BullMQ retries with backoff and counts the attempt. */
  | { action: 'retry' }
  /** Stop for good (UnrecoverableError): the listing is `failed` with the platform's reason. */
  | { action: 'fail'; message: string }
  /** Nothing more to do in this job (the connection needs re-authorization). */
  | { action: 'done' };

export interface FailureContext {
  /** Attempts made before this one (BullMQ `attemptsMade`). */
  attemptsMade: number;
  maxAttempts: number;
  /** Base of the exponential backoff, as configured on the job. */
  backoffMs: number;
  /** Set when the failure was an open circuit breaker: wait this long, spend nothing. */
  circuitOpenMs?: number;
}

/**
 * Records a failed push in Postgres and says what to do with the job. Errors of our own (database,
 * code) are retried without touching the listing; remote failures are classified.
 */
export async function recordPushFailure(
  deps: Pick<ListingPushDeps, 'db' | 'log'>,
  listingId: string,
  err: unknown,
  context: FailureContext,
): Promise<FailureAction> {
  const { db } = deps;
  if (!(err instanceof RemotePushError)) return { action: 'retry' };
  const loaded = await load(db, listingId);
  if (!loaded) return { action: 'done' };
  const productVersion = loaded.product?.version ?? 0;
  const startedAt = new Date();
  const base = { listingId, kind: err.kind, productVersion, remoteCalls: err.remoteCalls, startedAt };

  if (context.circuitOpenMs !== undefined) {
    await db
      .update(channelListings)
      .set({
        nextAttemptAt: sql`now() + make_interval(secs => ${context.circuitOpenMs / 1000})`,
        queuedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(channelListings.id, listingId));
    return {
      action: 'delay',
      waitMs: context.circuitOpenMs,
      reason: 'circuit_open',
      connectionId: loaded.connection.id,
    };
  }

  const decision = classifyChannelFailure(err.cause);
  const human = decision.human;
  const errorFields = {
    lastErrorCode: decision.platformCode.slice(0, 200),
    lastError: human.en,
    lastErrorId: human.id,
    lastErrorAt: sql`now()`,
  };
  switch (decision.kind) {
    case 'throttled': {
      const waitMs = decision.waitMs ?? 1_000;
      // A throttle spends no attempt; the wait is kept in Postgres too, for the reconciler.
      await db
        .update(channelListings)
        .set({
          nextAttemptAt: sql`now() + make_interval(secs => ${waitMs / 1000})`,
          queuedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(eq(channelListings.id, listingId));
      await recordAttempt(db, {
        ...base,
        outcome: 'throttled',
        errorCode: decision.platformCode,
        error: human,
      });
      return { action: 'delay', waitMs, reason: 'throttled', connectionId: loaded.connection.id };
    }
    case 'retryable': {
      const exhausted = context.attemptsMade + 1 >= context.maxAttempts;
      const backoffMs = Math.max(decision.waitMs ?? 0, context.backoffMs * 2 ** context.attemptsMade);
      await db.transaction(async (tx) => {
        await tx
          .update(channelListings)
          .set({
            ...errorFields,
            ...(exhausted ? { state: 'failed' as const } : {}),
            attempts: sql`${channelListings.attempts} + 1`,
            // Exhausted: the reconciler tries again later, slower, until it works.
            nextAttemptAt: sql`now() + make_interval(secs => ${(exhausted ? 10 * 60_000 : backoffMs) / 1000})`,
            queuedAt: sql`now()`,
            queuedVersion: productVersion,
            version: sql`${channelListings.version} + 1`,
            updatedAt: sql`now()`,
          })
          .where(eq(channelListings.id, listingId));
        if (exhausted) await raiseListingFailed(tx, loaded, human);
      });
      await recordAttempt(db, {
        ...base,
        outcome: 'retryable',
        errorCode: decision.platformCode,
        error: human,
      });
      return { action: 'retry' };
    }
    case 'reauth': {
      await recordAttempt(db, {
        ...base,
        outcome: 'reauth_required',
        errorCode: decision.platformCode,
        error: human,
      });
      await markConnectionReauthRequired(db, loaded.connection, {
        code: `push_reauth:${decision.platformCode}`.slice(0, 200),
        detail: human.en,
      });
      // The connection may have been marked already by another push: the listing says so either way.
      await db
        .update(channelListings)
        .set({ state: 'reauth_required', queuedAt: null, updatedAt: sql`now()` })
        .where(and(eq(channelListings.id, listingId), ne(channelListings.state, 'delisted')));
      deps.log?.warn(
        { listingId, connectionId: loaded.connection.id, platformCode: decision.platformCode },
        'platform refused the shop authorization: connection needs re-authorization',
      );
      return { action: 'done' };
    }
    default: {
      await db.transaction(async (tx) => {
        await tx
          .update(channelListings)
          .set({
            ...errorFields,
            state: 'failed',
            attempts: sql`${channelListings.attempts} + 1`,
            nextAttemptAt: null,
            queuedAt: null,
            queuedVersion: productVersion,
            version: sql`${channelListings.version} + 1`,
            updatedAt: sql`now()`,
          })
          .where(eq(channelListings.id, listingId));
        await raiseListingFailed(tx, loaded, human);
      });
      await recordAttempt(db, {
        ...base,
        outcome: 'permanent',
        errorCode: decision.platformCode,
        error: human,
      });
      return { action: 'fail', message: human.en };
    }
  }
}
