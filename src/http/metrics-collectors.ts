/**
 * Metrics read at scrape time from Redis (queue depth) and Postgres (outbox backlog and dead
 * letters). Each read is bounded in time, so a scrape answers while either is down: what could not
 * be read is left out, and `kriya_queue_up` / `kriya_outbox_up` say so with 0. Absent is the
 * Prometheus way of saying "unknown"; a zero would claim an empty queue.
 */
import type { Queue } from 'bullmq';
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
