/**
 * Moves outbox rows to BullMQ without ever holding a Postgres transaction open while Redis is called:
 *
 * 1. claim a batch in one statement (FOR UPDATE SKIP LOCKED, then a short lease), which commits at
 *    once: many relays can run side by side and none waits on another;
 * 2. turn each row into jobs by its topic's routes (routes.ts); a row that cannot become a job (its
 *    payload does not parse, no queue handles its topic) is dead-lettered with the reason, so it never
 *    blocks the rows behind it; a route failing for another reason is retried after the row's lease
 *    (dead-lettered after MAX_ROUTE_ATTEMPTS claims);
 * 3. add the jobs to Redis, bounded in time;
 * 4. mark the rows relayed.
 *
 * A crash or timeout between 3 and 4 adds the same jobs again later, which is harmless: every route
 * deduplicates its jobs (routes.ts), and processors push the current state. When Redis fails, the
 * claims are released at once and the relay backs off; a relay that dies leaves claims that lapse
 * with their lease.
 */
import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { ZodError } from 'zod';
import type { Database } from '../db/client.js';
import { withTimeout } from '../lib/timeout.js';
import { type ClaimedOutboxRow, type OutboxRoute, type RoutedJob, routesOf } from './routes.js';

export interface RelayOptions {
  /** Rows per batch. */
  limit?: number;
  /** Bound on the Redis call of one batch. */
  redisTimeoutMs?: number;
  /** How long a claim keeps other relays away; longer than the Redis bound. */
  leaseMs?: number;
  /** The routing table (tests pass their own). */
  routes?: (topic: string) => readonly OutboxRoute[];
}

export interface RelayResult {
  /** Rows this batch claimed (0: nothing pending). */
  claimed: number;
  relayed: number;
  deadLettered: number;
  /** Rows whose route failed for another reason than the payload: retried after their lease. */
  routeFailures: number;
}

const DEFAULTS = { limit: 200, redisTimeoutMs: 5_000, leaseMs: 60_000 };
/**
 * A route that fails for another reason than the payload (a read of listings while Postgres blips)
 * is retried when the row's lease lapses, and dead-lettered only after this many claims.
 */
export const MAX_ROUTE_ATTEMPTS = 10;
const MAX_REASON_LENGTH = 2_000;

function idList(ids: readonly number[]) {
  return sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
}

/** Why the payload does not parse, or null when the failure is of another kind. */
function parseFailure(err: unknown): string | null {
  if (!(err instanceof ZodError)) return null;
  const issues = err.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return `payload does not parse: ${issues.join('; ')}`.slice(0, MAX_REASON_LENGTH);
}

/** Relays one batch of pending rows to the given queues. */
export async function relayOutboxBatch(
  db: Database,
  queues: readonly Queue[],
  options: RelayOptions = {},
): Promise<RelayResult> {
  const { limit, redisTimeoutMs, leaseMs } = { ...DEFAULTS, ...options };
  const routesFor = options.routes ?? routesOf;
  const claimed = await db.execute<{
    id: number;
    topic: string;
    aggregate_id: string;
    payload: unknown;
    attempts: number;
  }>(sql`
    with picked as (
      select id from outbox
      where relayed_at is null and dead_lettered_at is null
        and (claimed_until is null or claimed_until < now())
      order by id
      limit ${limit}
      for update skip locked)
    update outbox o
    set claimed_until = now() + make_interval(secs => ${leaseMs / 1000}), attempts = o.attempts + 1
    from picked where o.id = picked.id
    returning o.id, o.topic, o.aggregate_id, o.payload, o.attempts`);
  if (claimed.length === 0) return { claimed: 0, relayed: 0, deadLettered: 0, routeFailures: 0 };
  const rows = claimed
    .map((r) => ({
      row: {
        id: Number(r.id),
        topic: r.topic,
        aggregateId: r.aggregate_id,
        payload: r.payload,
      } as ClaimedOutboxRow,
      attempts: r.attempts,
    }))
    .sort((a, b) => a.row.id - b.row.id);

  // Every row is routed at once (a route may read Postgres: the listings of a product), so a batch
  // costs one round trip of routing rather than one per row; jobs keep the rows' order.
  const outcomes = await Promise.all(
    rows.map(async ({ row, attempts }) => {
      const routes = routesFor(row.topic);
      if (routes.length === 0) {
        return { row, deadLetter: `no queue handles topic "${row.topic}"` };
      }
      try {
        const perRoute = await Promise.all(routes.map((route) => route(row, { db })));
        return { row, jobs: perRoute.flat() };
      } catch (err) {
        const parse = parseFailure(err);
        const message = err instanceof Error ? err.message : String(err);
        if (parse !== null) return { row, deadLetter: parse };
        if (attempts >= MAX_ROUTE_ATTEMPTS) {
          return {
            row,
            deadLetter: `routing failed ${attempts} times, last: ${message}`.slice(0, MAX_REASON_LENGTH),
          };
        }
        return { row, retry: true as const }; // keeps its lease: retried when it lapses, the rows behind go on
      }
    }),
  );
  const jobs: RoutedJob[] = [];
  const routed: number[] = [];
  const deadLetters: Array<{ id: number; reason: string }> = [];
  let routeFailures = 0;
  for (const outcome of outcomes) {
    if ('jobs' in outcome && outcome.jobs) {
      jobs.push(...outcome.jobs);
      routed.push(outcome.row.id);
    } else if ('deadLetter' in outcome && outcome.deadLetter) {
      deadLetters.push({ id: outcome.row.id, reason: outcome.deadLetter });
    } else routeFailures += 1;
  }
  for (const { id, reason } of deadLetters) {
    await db.execute(sql`
      update outbox set dead_lettered_at = now(), dead_letter_reason = ${reason}, claimed_until = null
      where id = ${id}`);
  }
  const result = {
    claimed: rows.length,
    relayed: routed.length,
    deadLettered: deadLetters.length,
    routeFailures,
  };
  if (routed.length === 0) return result;

  try {
    const byQueue = new Map<string, RoutedJob[]>();
    for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
    await withTimeout(
      Promise.all(
        [...byQueue].map(([name, queueJobs]) => {
          const queue = queues.find((q) => q.name === name);
          if (!queue) throw new Error(`the relay was given no queue "${name}"`);
          return queue.addBulk(
            queueJobs.map(({ name: jobName, data, opts }) => ({ name: jobName, data, opts })),
          );
        }),
      ),
      redisTimeoutMs,
      'Redis (outbox relay)',
    );
  } catch (err) {
    // Let the next attempt (this relay after its back-off, or another one) take the rows at once.
    await db.execute(sql`update outbox set claimed_until = null where id in (${idList(routed)})`);
    throw err;
  }
  await db.execute(sql`
    update outbox set relayed_at = now(), claimed_until = null
    where id in (${idList(routed)}) and relayed_at is null`);
  return result;
}

export interface OutboxRelayOptions extends RelayOptions {
  /** Wait when there is nothing to relay. */
  idleMs?: number;
  /** Longest wait after repeated failures (the wait doubles from `idleMs` up to this). */
  maxBackoffMs?: number;
  onError?: (err: unknown) => void;
  onDeadLetter?: (count: number) => void;
}

/** The wait before the next batch: none while there is backlog, `idleMs` when idle, doubling per failure. */
export function nextRelayDelay(
  outcome: { failures: number; claimed: number },
  idleMs: number,
  maxBackoffMs: number,
): number {
  if (outcome.failures > 0) return Math.min(maxBackoffMs, idleMs * 2 ** outcome.failures);
  return outcome.claimed > 0 ? 0 : idleMs;
}

/** The Postgres channel notified on commit of every statement that writes outbox rows (migration 0020). */
export const OUTBOX_PENDING_CHANNEL = 'kriya_outbox_pending';

export interface OutboxRelayHandle {
  /**
   * Relay now rather than at the next poll: called on each `OUTBOX_PENDING_CHANNEL` notification.
   * A wake during a batch runs one more batch right after it; a wake during a failure back-off is
   * ignored (the back-off is there because Postgres or Redis is failing).
   */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Runs the relay until stopped: immediately while there is backlog or when woken, every `idleMs`
 * when idle (the fallback that needs no notification: rows whose lease lapsed, a LISTEN connection
 * that is down), and with an exponential back-off while Postgres or Redis fails. Holds no
 * connection while it waits.
 */
export function startOutboxRelay(
  db: Database,
  queues: readonly Queue[],
  options: OutboxRelayOptions = {},
): OutboxRelayHandle {
  const idleMs = options.idleMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let wokenWhileBusy = false;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    timer = undefined;
    busy = true;
    wokenWhileBusy = false;
    running = (async () => {
      let claimed = 0;
      try {
        const result = await relayOutboxBatch(db, queues, options);
        failures = 0;
        claimed = result.claimed;
        if (result.deadLettered > 0) options.onDeadLetter?.(result.deadLettered);
      } catch (err) {
        options.onError?.(err);
        failures += 1;
      }
      busy = false;
      if (stopped) return;
      const delay = nextRelayDelay({ failures, claimed }, idleMs, maxBackoffMs);
      timer = setTimeout(tick, wokenWhileBusy && failures === 0 ? 0 : delay);
    })();
  };
  tick();
  return {
    wake() {
      if (stopped || failures > 0) return;
      if (busy) {
        wokenWhileBusy = true;
        return;
      }
      if (timer) clearTimeout(timer);
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
