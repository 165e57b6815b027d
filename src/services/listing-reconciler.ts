/**
 * Finds listings whose work is not done and not queued, and queues it — from Postgres alone, so
 * that work lost with Redis (FLUSHALL, a lost instance) or dropped between a relay and a crash still
 * goes out. Runs on every worker start and every few seconds; many workers may run it, and a
 * transaction-scoped advisory lock lets one scan at a time (the others skip the round).
 *
 * A listing needs work when it is pending or syncing, when its pushed version is behind the product
 * or its pushed stock revision behind the product's stock (a sale moves stock without a version),
 * when the product is deleted/archived or the listing is to be delisted, or when its retry time has come (`next_attempt_at`, kept here for backoff). A failed or needs-attention listing is taken
 * again only when the product changed since the version that failed (`queued_version`) or a retry
 * time is set. Work queued recently (`queued_at`) is left alone. Adding the job is idempotent: it
 * carries the listing's deduplication id, so a push already waiting absorbs it.
 *
 * Listings whose item the platform was still reviewing at the last look (`remote_status` in_review)
 * are looked at again every minute, by one review sweep per shop (src/services/review-sweep.ts)
 * that reads them in the platform's batch calls, queued here too.
 */
import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Channel } from '../channels/types.js';
import type { Database } from '../db/client.js';
import {
  PUSH_QUEUE,
  pushJobOptions,
  REVIEW_SWEEP_JOB,
  reviewSweepJobOptions,
} from '../queues/definitions.js';
import { REVIEW_CHECK_MS } from './listing-push.js';
import { connectionsWithReviewsDue } from './review-sweep.js';

/** Arbitrary constant naming the reconciler's advisory lock. */
const RECONCILER_LOCK = 8_008_001;

export interface ReconcileOptions {
  /** Work queued this recently is assumed to be in Redis still. */
  staleAfterMs?: number;
  limit?: number;
  /** How often a live listing whose item the platform still reviews has its remote status read again. */
  reviewCheckMs?: number;
}

/** Queues one batch of due listings. Returns how many were queued (null: another worker is scanning). */
export async function reconcileListings(
  db: Database,
  queues: readonly Queue[],
  options: ReconcileOptions = {},
): Promise<number | null> {
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const reviewCheckMs = options.reviewCheckMs ?? REVIEW_CHECK_MS;
  const limit = options.limit ?? 500;
  const picked = await db.transaction(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${RECONCILER_LOCK}) as locked`,
    );
    if (!lock?.locked) return null;
    return tx.execute<{ id: string; channel: Channel }>(sql`
      with due as (
        select l.id, c.channel
        from channel_listings l
        join channel_connections c on c.id = l.connection_id
        join products p on p.id = l.product_id
        where l.state <> 'delisted' and l.state <> 'reauth_required' and c.status = 'active'
          and (l.next_attempt_at is null or l.next_attempt_at <= now())
          and (l.queued_at is null or l.queued_at < now() - make_interval(secs => ${staleAfterMs / 1000}))
          and (
            l.state in ('pending', 'syncing')
            or (l.state = 'live' and (l.pushed_version is distinct from p.version
                 or l.pushed_stock_revision is distinct from p.stock_revision
                 or p.deleted_at is not null or p.status = 'archived' or l.delisted_at is not null))
            or (l.state in ('failed', 'needs_attention') and (l.next_attempt_at is not null
                 or p.version > coalesce(l.queued_version, 0)
                 or p.deleted_at is not null or l.delisted_at is not null))
          )
        order by l.next_attempt_at nulls first, l.updated_at
        limit ${limit}
        for update of l skip locked)
      update channel_listings l
      set queued_at = now(), queued_version = p.version
      from due, products p
      where l.id = due.id and p.id = l.product_id
      returning l.id, due.channel`);
  });
  if (picked === null) return null;
  const byQueue = new Map<string, Array<{ name: string; data: object; opts: object }>>();
  const add = (channel: Channel, job: { name: string; data: object; opts: object }) => {
    const name = PUSH_QUEUE[channel];
    byQueue.set(name, [...(byQueue.get(name) ?? []), job]);
  };
  for (const row of picked) {
    add(row.channel, { name: 'push', data: { listingId: row.id }, opts: pushJobOptions(row.id) });
  }
  // One review sweep per shop with a look due; a sweep already waiting absorbs it.
  for (const { connectionId, channel } of await connectionsWithReviewsDue(db, reviewCheckMs)) {
    add(channel, {
      name: REVIEW_SWEEP_JOB,
      data: { connectionId },
      opts: reviewSweepJobOptions(connectionId),
    });
  }
  for (const [name, jobs] of byQueue) {
    const queue = queues.find((q) => q.name === name);
    if (queue) await queue.addBulk(jobs);
  }
  return picked.length;
}

/** Runs the reconciler now and then every `intervalMs` until stopped. */
export function startListingReconciler(
  db: Database,
  queues: readonly Queue[],
  options: ReconcileOptions & { intervalMs?: number; onError?: (err: unknown) => void } = {},
): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 10_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = (async () => {
      try {
        await reconcileListings(db, queues, options);
      } catch (err) {
        options.onError?.(err);
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
