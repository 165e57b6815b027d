import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Transactional outbox: written in the same transaction as the catalogue change, moved to BullMQ by
 * the relay. Postgres stays the truth: if Redis loses everything, unrelayed rows are still here and
 * relayed ones can be re-derived by the reconciler from product versions.
 *
 * A row is pending (relayed_at and dead_lettered_at null), relayed, or dead-lettered: set aside with
 * its reason because it cannot be relayed (payload that does not parse, topic no queue handles), so
 * that it never blocks the rows behind it. Operators list dead letters at /v1/ops/outbox/dead-letters.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** What happened, e.g. `product.changed`, `product.deleted`. */
    topic: text('topic').notNull(),
    aggregateType: text('aggregate_type').notNull(),
    aggregateId: text('aggregate_id').notNull(),
    /** Ids and versions only: never credentials, never snapshots of the catalogue. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    relayedAt: timestamp('relayed_at', { withTimezone: true }),
    /** Claims made by relays (each claim counts one attempt). */
    attempts: integer('attempts').notNull().default(0),
    /**
     * Lease of the relay that claimed the row: other relays skip it until then. The claim commits
     * before Redis is called, so no transaction waits on Redis; a relay that dies mid-way leaves
     * rows that become claimable again when the lease lapses.
     */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    deadLetteredAt: timestamp('dead_lettered_at', { withTimezone: true }),
    deadLetterReason: text('dead_letter_reason'),
  },
  (t) => [
    index('outbox_pending_idx').on(t.id).where(sql`${t.relayedAt} is null and ${t.deadLetteredAt} is null`),
    index('outbox_dead_letter_idx').on(t.id).where(sql`${t.deadLetteredAt} is not null`),
  ],
);
