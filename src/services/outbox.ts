/**
 * Operator views of the outbox: dead-lettered rows (set aside by the relay because they cannot be
 * relayed) and the counts /metrics reports.
 */
import { and, desc, isNotNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { outbox } from '../db/schema/index.js';
import type { ServiceContext } from './context.js';

export interface DeadLetterView {
  id: number;
  topic: string;
  aggregateType: string;
  aggregateId: string;
  payload: unknown;
  reason: string;
  attempts: number;
  createdAt: Date;
  deadLetteredAt: Date;
}

/** Dead letters, newest first; `after` is the id of the last row of the previous page. */
export async function listDeadLetters(
  ctx: ServiceContext,
  query: { limit: number; after?: number | undefined },
): Promise<DeadLetterView[]> {
  const rows = await ctx.db
    .select()
    .from(outbox)
    .where(
      and(
        isNotNull(outbox.deadLetteredAt),
        query.after === undefined ? undefined : lt(outbox.id, query.after),
      ),
    )
    .orderBy(desc(outbox.id))
    .limit(query.limit);
  return rows.map((r) => ({
    id: r.id,
    topic: r.topic,
    aggregateType: r.aggregateType,
    aggregateId: r.aggregateId,
    payload: r.payload,
    reason: r.deadLetterReason ?? '',
    attempts: r.attempts,
    createdAt: r.createdAt,
    // Selected by isNotNull above.
    deadLetteredAt: r.deadLetteredAt ?? r.createdAt,
  }));
}

export interface OutboxStats {
  pending: number;
  deadLettered: number;
  /** Age of the oldest row not yet relayed (0 when none): how far channels lag behind. */
  oldestPendingSeconds: number;
}

/** Two index-only counts (partial indexes on pending and dead-lettered rows). */
export async function outboxStats(db: DbOrTx): Promise<OutboxStats> {
  const [row] = await db.execute<{ pending: number; dead: number; oldest: number | null }>(sql`
    select
      (select count(*)::int from outbox where relayed_at is null and dead_lettered_at is null) as pending,
      (select count(*)::int from outbox where dead_lettered_at is not null) as dead,
      (select extract(epoch from now() - min(created_at))::float8 from outbox
        where relayed_at is null and dead_lettered_at is null) as oldest`);
  return {
    pending: row?.pending ?? 0,
    deadLettered: row?.dead ?? 0,
    oldestPendingSeconds: Math.max(0, row?.oldest ?? 0),
  };
}
