/**
 * Prometheus metrics: process defaults, HTTP request durations by route, and queue depth per queue
 * and state (read from Redis at scrape time). This plugin only collects them into
 * `app.metricsRegistry`; they are served by the separate metrics listener (`metrics-server.ts`,
 * METRICS_HOST/METRICS_PORT), never on the public API port.
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the metrics listener serves. */
    metricsRegistry: Registry;
  }
}

export const metricsPlugin = fp(
  async (app: FastifyInstance, opts: { queues: Queue[] }) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'kriya_' });
    const httpDuration = new Histogram({
      name: 'kriya_http_request_duration_seconds',
      help: 'API request duration by route and status class',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    new Gauge({
      name: 'kriya_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const queue of opts.queues) {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
        }
      },
    });
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
