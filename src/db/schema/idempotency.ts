import { integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Remembered POST responses, per caller and Idempotency-Key. A row is `pending` while the first
 * request runs; a replay with the same body gets the stored response, a different body a 422.
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
    state: text('state', { enum: ['pending', 'completed'] }).notNull(),
    responseStatus: integer('response_status'),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    responseBody: text('response_body'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    userId: uuid('user_id'),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] })],
);
