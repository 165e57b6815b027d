import { integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The outcome of a POST made with an Idempotency-Key, per caller and key: the response that was
 * sent. A row is written in the same transaction as the write it protects, so it exists exactly when
 * that write committed; a request still running holds the key with a transaction-scoped advisory
 * lock, not with a row (src/http/plugins/idempotency.ts).
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The user id, or `anonymous`. */
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>().notNull(),
    responseBody: text('response_body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** After this the key is forgotten: never replayed, and purged nightly. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    userId: uuid('user_id'),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] })],
);
