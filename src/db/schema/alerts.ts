import { sql } from 'drizzle-orm';
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { crafters } from './crafters.js';

export const alertKind = pgEnum('alert_kind', [
  'connection_reauth_required',
  'pull_failing',
  'order_oversold',
  'listing_failed',
]);

/**
 * The alert feed: something a crafter or their admins must act on (a shop to reconnect, a listing a
 * platform refused, an oversold order, pulls that keep failing). One OPEN alert per `dedupe_key`:
 * raising it again while open bumps `count` and `last_seen_at` instead of adding a row, so a failing
 * job retried a hundred times is one alert, not a hundred. Resolving sets `resolved_at`; a later
 * raise with the same key opens a new row (the history of past episodes stays).
 */
export const alerts = pgTable(
  'alerts',
  {
    /** Serial, so the feed pages newest first by id. */
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: alertKind('kind').notNull(),
    /** Decides who sees it: the crafter, and admins whose region contains the crafter's kelurahan. */
    crafterId: uuid('crafter_id')
      .notNull()
      .references(() => crafters.id),
    dedupeKey: text('dedupe_key').notNull(),
    messageEn: text('message_en').notNull(),
    messageId: text('message_id').notNull(),
    /** Ids of what it concerns: connectionId, listingId, orderId, variantId… */
    subject: jsonb('subject').$type<Record<string, string>>().notNull().default({}),
    /** Times raised during this episode (1 when opened). */
    count: integer('count').notNull().default(1),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('alerts_open_dedupe_idx').on(t.dedupeKey).where(sql`${t.resolvedAt} is null`),
    // The feed: newest first per crafter (id order is creation order).
    index('alerts_crafter_idx').on(t.crafterId, t.id),
    index('alerts_open_idx').on(t.id).where(sql`${t.resolvedAt} is null`),
    check('alerts_count_positive', sql`${t.count} >= 1`),
  ],
);
