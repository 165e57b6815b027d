import { sql } from 'drizzle-orm';
import { check, date, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One nightly job's run for one Jakarta night (`day`: the Jakarta day the night closes, i.e. the day
 * before the run). Keyed by (job, day), so running the same night again — a retry, an operator
 * running it by hand — updates the row instead of adding one. The summary holds one entry per
 * connection (with its crafter, so admins see only the entries in their scope) and totals.
 */
export const nightlyRuns = pgTable(
  'nightly_runs',
  {
    job: text('job').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    status: text('status').notNull().default('running'),
    /** Times this night's job ran (1 on the first run). */
    runs: integer('runs').notNull().default(1),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    summary: jsonb('summary').$type<Record<string, unknown>>().notNull().default({}),
    error: text('error'),
  },
  (t) => [
    primaryKey({ columns: [t.job, t.day] }),
    check('nightly_runs_status', sql`${t.status} in ('running', 'succeeded', 'failed')`),
  ],
);

/** Small state the nightly jobs keep between nights, e.g. when the rollups were last rebuilt. */
export const nightlyState = pgTable('nightly_state', {
  key: text('key').primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
