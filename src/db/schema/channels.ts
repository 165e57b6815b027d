import { sql } from 'drizzle-orm';
import {
  bigint,
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
import { crafters } from './crafters.js';
import { users } from './users.js';

export const channel = pgEnum('channel', ['shopee', 'tiktok_shop', 'partner_brand']);
export const connectionStatus = pgEnum('connection_status', ['active', 'reauth_required', 'disconnected']);
/** `none`: price as is; `percent`: value in basis points (1250 = 12.5 %); `fixed`: value in rupiah. */
export const priceMarkupKind = pgEnum('price_markup_kind', ['none', 'percent', 'fixed']);

/**
 * One crafter's shop on one channel (a Shopee shop, a Tokopedia shop on the TikTok Shop API, or an
 * enrolment in a partner-brand programme). Credentials live only in `secrets_sealed`: one AES-256-GCM
 * sealed JSON object (src/lib/secrets.ts) bound to this row's id, with the key id beside it so keys can
 * be rotated. Expiry times are kept in clear so the refresh job can find due rows without decrypting.
 */
export const channelConnections = pgTable(
  'channel_connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    crafterId: uuid('crafter_id')
      .notNull()
      .references(() => crafters.id),
    channel: channel('channel').notNull(),
    /** Shopee `shop_id`, TikTok Shop shop id, or the partner programme id for partner brands. */
    externalShopId: text('external_shop_id').notNull(),
    /** TikTok Shop `shop_cipher` (required on most shop calls). Not a secret. */
    shopCipher: text('shop_cipher'),
    shopName: text('shop_name'),
    /** Partner-brand programme this enrolment belongs to. */
    partnerProgrammeId: text('partner_programme_id'),
    /** TikTok Shop warehouse used for inventory (the shop's default unless set). */
    warehouseId: text('warehouse_id'),
    status: connectionStatus('status').notNull().default('active'),
    /** Why the status is what it is, in plain words (English / Bahasa), e.g. why re-authorization is needed. */
    statusReason: text('status_reason'),
    statusReasonId: text('status_reason_id'),
    /** Sealed JSON of access/refresh tokens or API key+secret; null once disconnected (wiped). */
    secretsSealed: text('secrets_sealed'),
    secretsKeyId: text('secrets_key_id'),
    tokenExpiresAt: timestamp('token_expires_at', { withTimezone: true }),
    refreshExpiresAt: timestamp('refresh_expires_at', { withTimezone: true }),
    /**
     * Refresh lease: a worker sets these with a conditional UPDATE before calling the platform, so only
     * one refresh of this connection runs at a time across every worker process (Shopee refresh tokens
     * are single-use) without holding a transaction open across the HTTP call.
     */
    refreshLeaseId: uuid('refresh_lease_id'),
    refreshLeaseUntil: timestamp('refresh_lease_until', { withTimezone: true }),
    lastRefreshedAt: timestamp('last_refreshed_at', { withTimezone: true }),
    /** Health: the last call that worked, the last one that did not, and failures since. */
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    lastErrorCode: text('last_error_code'),
    lastError: text('last_error'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    /** Price rule of this shop (a listing may override it): markup, then rounding up to a rupiah step. */
    priceMarkupKind: priceMarkupKind('price_markup_kind').notNull().default('none'),
    priceMarkupValue: bigint('price_markup_value', { mode: 'number' }).notNull().default(0),
    priceRoundingStepIdr: integer('price_rounding_step_idr').notNull().default(1),
    /** Stock buffer: hold back this share of stock (percent), and publish at most this many units. */
    stockBufferPercent: integer('stock_buffer_percent').notNull().default(0),
    stockBufferMaxUnits: integer('stock_buffer_max_units'),
    createdByUserId: uuid('created_by_user_id').references(() => users.id),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    disconnectedAt: timestamp('disconnected_at', { withTimezone: true }),
  },
  (t) => [
    // A shop is connected to one crafter at a time; a disconnected row keeps its history.
    uniqueIndex('channel_connections_shop_idx')
      .on(t.channel, t.externalShopId)
      .where(sql`${t.status} <> 'disconnected' and ${t.channel} <> 'partner_brand'`),
    // One live enrolment per crafter and partner programme.
    uniqueIndex('channel_connections_partner_idx')
      .on(t.crafterId, t.partnerProgrammeId)
      .where(sql`${t.status} <> 'disconnected' and ${t.channel} = 'partner_brand'`),
    index('channel_connections_crafter_idx').on(t.crafterId, t.createdAt, t.id),
    index('channel_connections_refresh_due_idx')
      .on(t.tokenExpiresAt)
      .where(sql`${t.status} = 'active' and ${t.tokenExpiresAt} is not null`),
    check(
      'channel_connections_secrets_keyed',
      sql`(${t.secretsSealed} is null) = (${t.secretsKeyId} is null)`,
    ),
    check(
      'channel_connections_partner_programme',
      sql`(${t.channel} = 'partner_brand') = (${t.partnerProgrammeId} is not null)`,
    ),
    check('channel_connections_rounding_step', sql`${t.priceRoundingStepIdr} >= 1`),
    check('channel_connections_markup_nonneg', sql`${t.priceMarkupValue} >= 0`),
    check(
      'channel_connections_stock_buffer',
      sql`${t.stockBufferPercent} between 0 and 100 and (${t.stockBufferMaxUnits} is null or ${t.stockBufferMaxUnits} >= 0)`,
    ),
  ],
);

/**
 * One row per OAuth `state` handed out: the nonce is consumed by the callback, so a replayed callback
 * (same state twice) is refused even inside the state's lifetime.
 */
export const connectionAuthStates = pgTable(
  'connection_auth_states',
  {
    nonce: text('nonce').primaryKey(),
    crafterId: uuid('crafter_id')
      .notNull()
      .references(() => crafters.id),
    channel: channel('channel').notNull(),
    createdByUserId: uuid('created_by_user_id').references(() => users.id),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('connection_auth_states_expiry_idx').on(t.expiresAt)],
);

/**
 * Where each inward stream of a connection has got to (orders, returns, settlement reports…). Moved in
 * the same transaction as the data it covers, so a replayed pull changes nothing.
 */
export const channelSyncCursors = pgTable(
  'channel_sync_cursors',
  {
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => channelConnections.id, { onDelete: 'cascade' }),
    /** e.g. `orders`. */
    stream: text('stream').notNull(),
    /** Highest platform update time fully ingested (the next pull starts here minus an overlap). */
    watermark: timestamp('watermark', { withTimezone: true }),
    /** Platform-specific paging state, when a pull stopped half-way. */
    cursor: jsonb('cursor').$type<Record<string, unknown>>(),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.stream] })],
);

/**
 * Images already uploaded to one shop, by the SHA-256 of their bytes: uploads are files and slow, and
 * the same photo is sent once per shop however many pushes use it (the adapters' `ImageUploadCache`).
 */
export const channelImageUploads = pgTable(
  'channel_image_uploads',
  {
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => channelConnections.id, { onDelete: 'cascade' }),
    sha256: text('sha256').notNull(),
    remoteImageId: text('remote_image_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.sha256] })],
);

export const pullRunStatus = pgEnum('pull_run_status', ['running', 'succeeded', 'failed']);
export const pullRunReason = pgEnum('pull_run_reason', [
  'schedule',
  'webhook',
  'nightly',
  'manual',
  'upload',
]);

/**
 * One pull of one inward stream of a connection: what window of platform update times it covered
 * and how it ended. The sales views' completeness section reads it (a Jakarta day no succeeded run
 * covered is "no data", never "zero sales"), and so do the nightly summaries and the pull alerts.
 */
export const channelPullRuns = pgTable(
  'channel_pull_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => channelConnections.id, { onDelete: 'cascade' }),
    stream: text('stream').notNull(),
    reason: pullRunReason('reason').notNull(),
    /** The window of platform update times asked for, [from, to). */
    windowFrom: timestamp('window_from', { withTimezone: true }).notNull(),
    windowTo: timestamp('window_to', { withTimezone: true }).notNull(),
    status: pullRunStatus('status').notNull().default('running'),
    fetched: integer('fetched').notNull().default(0),
    inserted: integer('inserted').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    /** The last error, in plain words, when it failed. */
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('channel_pull_runs_connection_idx').on(t.connectionId, t.stream, t.windowFrom),
    index('channel_pull_runs_started_idx').on(t.startedAt),
  ],
);
