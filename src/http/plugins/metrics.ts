/**
 * Prometheus metrics: process defaults, HTTP request durations by route, queue depth per queue and
 * state, and the outbox backlog and dead letters (read at scrape time, bounded in time: see
 * metrics-collectors.ts). This plugin only collects them into `app.metricsRegistry`; they are served by
 * the separate metrics listener (`metrics-server.ts`, METRICS_HOST/METRICS_PORT), never on the public
 * API port.
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Database } from '../../db/client.js';
import { PUSH_QUEUES } from '../../queues/definitions.js';
import { registerOutboxMetrics, registerQueueMetrics, registerSyncMetrics } from '../metrics-collectors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the metrics listener serves. */
    metricsRegistry: Registry;
  }
}

export const metricsPlugin = fp(
  async (app: FastifyInstance, opts: { queues: Queue[]; db: Database }) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'kriya_' });
    const httpDuration = new Histogram({
      name: 'kriya_http_request_duration_seconds',
      help: 'API request duration by route and status class',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    registerQueueMetrics(registry, opts.queues);
    registerOutboxMetrics(registry, opts.db);
    registerSyncMetrics(
      registry,
      opts.db,
      opts.queues.filter((q) => PUSH_QUEUES.includes(q.name as (typeof PUSH_QUEUES)[number])),
    );
    app.addHook('onResponse', async (request, reply) => {
      httpDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: `${Math.floor(reply.statusCode / 100)}xx`,
        },
        reply.elapsedTime / 1000,
      );
    });
    app.decorate('metricsRegistry', registry);
  },
  { name: 'metrics' },
);
