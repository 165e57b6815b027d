/**
 * Metrics read at scrape time from Redis (queue depth) and Postgres (outbox backlog and dead
 * letters). Each read is bounded in time, so a scrape answers while either is down: what could not
 * be read is left out, and `kriya_queue_up` / `kriya_outbox_up` say so with 0. Absent is the
 * Prometheus way of saying "unknown"; a zero would claim an empty queue.
 */
import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/client.js';
import { withTimeout } from '../lib/timeout.js';
import { type OutboxStats, outboxStats } from '../services/outbox.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;

/** Runs `read` once for all gauges collected in one scrape (prom-client collects them in parallel). */
function perScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let inflight: Promise<T> | undefined;
  return () => {
    inflight ??= read().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
}

function connectionStatus(queue: Queue): string | undefined {
  const connection = queue.opts.connection as { status?: unknown } | undefined;
  return typeof connection?.status === 'string' ? connection.status : undefined;
}

export function registerQueueMetrics(registry: Registry, queues: readonly Queue[], timeoutMs = 2_000): void {
  const readDepths = perScrape(() =>
    Promise.all(
      queues.map(async (queue) => {
        // While ioredis is reconnecting a command would wait in its offline queue: do not even ask.
        const status = connectionStatus(queue);
        if (status !== undefined && status !== 'ready') return { queue: queue.name, counts: null };
        try {
          const counts = await withTimeout(
            queue.getJobCounts(...JOB_STATES),
            timeoutMs,
            'Redis (queue depth)',
          );
          return { queue: queue.name, counts };
        } catch {
          return { queue: queue.name, counts: null };
        }
      }),
    ),
  );
  new Gauge({
    name: 'kriya_queue_up',
    help: '1 when this scrape read the queue depth from Redis; 0 when Redis did not answer (depth unknown, kriya_queue_jobs absent)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { queue, counts } of await readDepths()) this.set({ queue }, counts ? 1 : 0);
    },
  });
  new Gauge({
    name: 'kriya_queue_jobs',
    help: 'Jobs per queue and state (absent for a queue whose kriya_queue_up is 0)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { queue, counts } of await readDepths()) {
        if (!counts) continue;
        for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
      }
    },
  });
}

export function registerOutboxMetrics(registry: Registry, db: Database, timeoutMs = 2_000): void {
  const readStats = perScrape(
    async (): Promise<OutboxStats | null> =>
      withTimeout(outboxStats(db), timeoutMs, 'Postgres (outbox metrics)').catch(() => null),
  );
  const gauge = (name: string, help: string, pick: (s: OutboxStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.reset();
        const stats = await readStats();
        if (stats) this.set(pick(stats));
      },
    });
  new Gauge({
    name: 'kriya_outbox_up',
    help: '1 when this scrape read the outbox counts from Postgres; 0 when it could not (counts absent)',
    registers: [registry],
    async collect() {
      this.set((await readStats()) ? 1 : 0);
    },
  });
  gauge('kriya_outbox_pending', 'Outbox rows not yet relayed to the queues', (s) => s.pending);
  gauge(
    'kriya_outbox_dead_letters',
    'Outbox rows set aside because they cannot be relayed (listed at GET /v1/ops/outbox/dead-letters)',
    (s) => s.deadLettered,
  );
  gauge(
    'kriya_outbox_oldest_pending_seconds',
    'Age of the oldest outbox row not yet relayed (0 when none)',
    (s) => s.oldestPendingSeconds,
  );
}

interface SyncStats {
  lag: Array<{ channel: string; seconds: number }>;
  outcomes: Array<{ channel: string; outcome: string; n: number }>;
  throttles: Array<{ channel: string; connection: string; n: number }>;
}

/** The Redis key a worker sets while a channel's circuit breaker is open (see channel-runtime.ts). */
export function circuitKey(prefix: string, channel: string): string {
  return `${prefix}:circuit:${channel}`;
}

/**
 * Outward sync, read from Postgres at scrape time (so every worker's pushes count, and a restart
 * loses nothing): the sync lag per channel (age of the oldest product change not yet pushed), push
 * outcomes per channel and throttles per shop over the last hour; and, from Redis, which channels'
 * circuits are open.
 */
export function registerSyncMetrics(
  registry: Registry,
  db: Database,
  pushQueues: readonly Queue[],
  timeoutMs = 2_000,
): void {
  const readStats = perScrape(async (): Promise<SyncStats | null> => {
    const read = async (): Promise<SyncStats> => {
      const lag = await db.execute<{ channel: string; seconds: number }>(sql`
        select c.channel, coalesce(extract(epoch from now() - min(p.updated_at)), 0)::float8 as seconds
        from channel_listings l
        join channel_connections c on c.id = l.connection_id
        join products p on p.id = l.product_id
        where l.state <> 'delisted' and c.status <> 'disconnected'
          and l.pushed_version is distinct from p.version
        group by c.channel`);
      const outcomes = await db.execute<{ channel: string; outcome: string; n: number }>(sql`
        select c.channel, a.outcome::text as outcome, count(*)::int as n
        from listing_push_attempts a
        join channel_listings l on l.id = a.listing_id
        join channel_connections c on c.id = l.connection_id
        where a.finished_at > now() - interval '1 hour'
        group by c.channel, a.outcome`);
      const throttles = await db.execute<{ channel: string; connection: string; n: number }>(sql`
        select c.channel, c.id::text as connection, count(*)::int as n
        from listing_push_attempts a
        join channel_listings l on l.id = a.listing_id
        join channel_connections c on c.id = l.connection_id
        where a.outcome = 'throttled' and a.finished_at > now() - interval '1 hour'
        group by c.channel, c.id`);
      return { lag: [...lag], outcomes: [...outcomes], throttles: [...throttles] };
    };
    return withTimeout(read(), timeoutMs, 'Postgres (sync metrics)').catch(() => null);
  });
  new Gauge({
    name: 'kriya_sync_lag_seconds',
    help: 'Age of the oldest product change not yet pushed to a channel, per channel (0 when in sync)',
    labelNames: ['channel'],
    registers: [registry],
    async collect() {
      this.reset();
      const stats = await readStats();
      for (const channel of ['shopee', 'tiktok_shop', 'partner_brand']) {
        if (stats) this.set({ channel }, stats.lag.find((l) => l.channel === channel)?.seconds ?? 0);
      }
    },
  });
  new Gauge({
    name: 'kriya_listing_pushes_last_hour',
    help: 'Push attempts in the last hour per channel and outcome (success, retryable, throttled, permanent, reauth_required, needs_attention)',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const o of (await readStats())?.outcomes ?? [])
        this.set({ channel: o.channel, outcome: o.outcome }, o.n);
    },
  });
  new Gauge({
    name: 'kriya_shop_throttles_last_hour',
    help: 'Throttle answers (platform or our shop budget) in the last hour per shop connection',
    labelNames: ['channel', 'connection_id'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const t of (await readStats())?.throttles ?? []) {
        this.set({ channel: t.channel, connection_id: t.connection }, t.n);
      }
    },
  });
  new Gauge({
    name: 'kriya_channel_circuit_open',
    help: '1 while a worker holds the channel circuit breaker open (the platform keeps failing)',
    labelNames: ['channel'],
    registers: [registry],
    async collect() {
      this.reset();
      const queue = pushQueues[0];
      if (!queue || connectionStatus(queue) !== 'ready') return;
      try {
        // The ioredis instance the queues were built with (see connectionStatus).
        const client = queue.opts.connection as unknown as { exists(key: string): Promise<number> };
        for (const channel of ['shopee', 'tiktok_shop', 'partner_brand']) {
          const open = await withTimeout(
            client.exists(circuitKey(queue.opts.prefix ?? 'bull', channel)),
            timeoutMs,
            'Redis (circuits)',
          );
          this.set({ channel }, open > 0 ? 1 : 0);
        }
      } catch {
        // Unknown: left absent.
      }
    },
  });
}
