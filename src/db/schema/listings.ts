import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { products, variants } from './catalogue.js';
import { channel, channelConnections, priceMarkupKind } from './channels.js';
import { users } from './users.js';

export const listingState = pgEnum('listing_state', [
  'pending',
  'syncing',
  'live',
  'needs_attention',
  'failed',
  'reauth_required',
  'delisted',
]);

/** The platform's own view of a remote item (see `RemoteListingState.status`). */
export const listingRemoteStatus = pgEnum('listing_remote_status', [
  'live',
  'in_review',
  'inactive',
  'deleted',
  'refused',
]);
export const pushKind = pgEnum('push_kind', ['create', 'update', 'price_stock', 'delist', 'lookup']);
export const pushOutcome = pgEnum('push_outcome', [
  'success',
  'retryable',
  'throttled',
  'permanent',
  'reauth_required',
  'needs_attention',
]);

/**
 * A product published to one connection. The listing is in sync when `pushed_version` equals the
 * product's `version`; the reconciler looks for rows behind whose work is not queued. Errors are kept
 * in plain words in English and Bahasa for the crafter.
 */
export const channelListings = pgTable(
  'channel_listings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => channelConnections.id),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    state: listingState('state').notNull().default('pending'),
    /** Shopee `item_id`, TikTok Shop `product_id`, partner-brand item id. */
    remoteItemId: text('remote_item_id'),
    /** Product version last pushed successfully (null: never). */
    pushedVersion: integer('pushed_version'),
    /**
     * Hashes of what was last pushed: content (title, description, images, attributes, variant set) and
     * offer (prices after the rule, stock after the buffer). A change of offer only takes the platform's
     * batch price/stock calls; a change of content takes a full update.
     */
    pushedContentHash: text('pushed_content_hash'),
    pushedOfferHash: text('pushed_offer_hash'),
    /**
     * The product's `stock_revision` whose stock the last successful push sent (null: never). Stock
     * moves without a content version, so the reconciler compares this too to find stock-behind listings.
     */
    pushedStockRevision: integer('pushed_stock_revision'),
    /** When a push was last queued and for which version: lets the reconciler spot lost work without Redis. */
    queuedVersion: integer('queued_version'),
    queuedAt: timestamp('queued_at', { withTimezone: true }),
    /** Backoff kept in Postgres, so a throttled or failing listing is retried after Redis is lost too. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastErrorCode: text('last_error_code'),
    /** Plain words, e.g. "Shopee refused the title: longer than 120 characters". */
    lastError: text('last_error'),
    lastErrorId: text('last_error_id'),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    /** Attempts since the last success (throttles do not count). */
    attempts: integer('attempts').notNull().default(0),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    /**
     * What the platform says of the remote item, apart from our own state: `in_review` while Shopee
     * reviews a new item (REVIEWING) or TikTok Shop audits a new product (PENDING), so a listing that
     * is `live` on our side does not let the crafter believe buyers see it yet. Read from the
     * platform's answers and, while in review, checked again by the reconciler's pushes.
     */
    remoteStatus: listingRemoteStatus('remote_status'),
    remoteStatusCheckedAt: timestamp('remote_status_checked_at', { withTimezone: true }),
    /**
     * Exactly-once remote creation: the intent is committed before the remote create is sent. A retry
     * that finds an intent without `remote_item_id` looks the item up by `create_intent_sku` first.
     * The SKU carries the intent id, so a SKU reused by a later product never adopts an old item.
     */
    createIntentId: uuid('create_intent_id'),
    createIntentSku: text('create_intent_sku'),
    createIntentStartedAt: timestamp('create_intent_started_at', { withTimezone: true }),
    /** Per-listing overrides of the connection's price rule and stock buffer (null: use the shop's). */
    priceMarkupKind: priceMarkupKind('price_markup_kind'),
    priceMarkupValue: bigint('price_markup_value', { mode: 'number' }),
    priceRoundingStepIdr: integer('price_rounding_step_idr'),
    stockBufferPercent: integer('stock_buffer_percent'),
    stockBufferMaxUnits: integer('stock_buffer_max_units'),
    delistedAt: timestamp('delisted_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('channel_listings_connection_product_idx').on(t.connectionId, t.productId),
    index('channel_listings_product_idx').on(t.productId),
    index('channel_listings_connection_state_idx').on(t.connectionId, t.state),
    uniqueIndex('channel_listings_remote_item_idx')
      .on(t.connectionId, t.remoteItemId)
      .where(sql`${t.remoteItemId} is not null`),
    check(
      'channel_listings_markup_override',
      sql`(${t.priceMarkupKind} is null) = (${t.priceMarkupValue} is null)`,
    ),
    check(
      'channel_listings_overrides_valid',
      sql`(${t.priceRoundingStepIdr} is null or ${t.priceRoundingStepIdr} >= 1)
        and (${t.priceMarkupValue} is null or ${t.priceMarkupValue} >= 0)
        and (${t.stockBufferPercent} is null or ${t.stockBufferPercent} between 0 and 100)
        and (${t.stockBufferMaxUnits} is null or ${t.stockBufferMaxUnits} >= 0)`,
    ),
    check(
      'channel_listings_intent_complete',
      sql`(${t.createIntentId} is null) = (${t.createIntentSku} is null)
        and (${t.createIntentId} is null) = (${t.createIntentStartedAt} is null)`,
    ),
  ],
);

/** The remote id of each variant of a listing (Shopee `model_id`, TikTok Shop `sku_id`). */
export const channelListingVariants = pgTable(
  'channel_listing_variants',
  {
    listingId: uuid('listing_id')
      .notNull()
      .references(() => channelListings.id, { onDelete: 'cascade' }),
    variantId: uuid('variant_id')
      .notNull()
      .references(() => variants.id),
    remoteModelId: text('remote_model_id'),
    /** Seller SKU as sent to the channel (matches order lines back to the variant). */
    remoteSku: text('remote_sku'),
    /** Price and stock last pushed, after the price rule and the stock buffer. */
    pushedPriceIdr: bigint('pushed_price_idr', { mode: 'number' }),
    pushedStock: integer('pushed_stock'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.listingId, t.variantId] }),
    index('channel_listing_variants_variant_idx').on(t.variantId),
  ],
);

/** History of pushes: one row per attempt, for the crafter's "what happened" view and for support. */
export const listingPushAttempts = pgTable(
  'listing_push_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    listingId: uuid('listing_id')
      .notNull()
      .references(() => channelListings.id, { onDelete: 'cascade' }),
    kind: pushKind('kind').notNull(),
    productVersion: integer('product_version').notNull(),
    outcome: pushOutcome('outcome').notNull(),
    errorCode: text('error_code'),
    error: text('error'),
    errorId: text('error_id'),
    /** Remote calls this attempt made (for "at most 3 update calls" checks and throttling analysis). */
    remoteCalls: integer('remote_calls').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('listing_push_attempts_listing_idx').on(t.listingId, t.startedAt)],
);

/**
 * Canonical category → the channel's category, its required attributes and brand, and the logistics
 * channel. Maintained by the council; a product whose category has no mapping on a channel leaves its
 * listing `needs_attention` with a message naming what to fill in.
 */
export const channelCategoryMappings = pgTable(
  'channel_category_mappings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    channel: channel('channel').notNull(),
    /** The catalogue's category (products.category). */
    canonicalCategory: text('canonical_category').notNull(),
    channelCategoryId: text('channel_category_id').notNull(),
    /**
     * Attributes the channel requires for this category, with fixed values: `[{ id, name, valueId?,
     * value }]` (`valueId` for attributes with a fixed value list, `value` its display name or free text).
     */
    requiredAttributes: jsonb('required_attributes')
      .$type<Array<{ id: string; name: string; valueId?: string; value: string }>>()
      .notNull()
      .default([]),
    brandId: text('brand_id'),
    brandName: text('brand_name'),
    /** Shopee `logistic_id`; TikTok Shop uses the shop's warehouse (on the connection) instead. */
    logisticsChannelId: text('logistics_channel_id'),
    /** Shopee SIZE_SELECTION channels: the size to ship in. */
    logisticsSizeId: text('logistics_size_id'),
    /** Package size in cm, for channels or categories that require one (TikTok Shop ceramics, snacks). */
    packageCm: jsonb('package_cm').$type<{ length: number; width: number; height: number }>(),
    updatedByUserId: uuid('updated_by_user_id').references(() => users.id),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('channel_category_mappings_idx').on(t.channel, t.canonicalCategory)],
);
