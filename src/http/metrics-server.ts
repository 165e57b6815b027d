/**
 * The metrics listener: `GET /metrics` (Prometheus text format) on its own address and port
 * (METRICS_HOST / METRICS_PORT), separate from the public API. Metrics name queues, routes and
 * process internals, so they are for the internal network (a Prometheus scraper), not the public:
 * the API port answers 404 for /metrics, and this listener answers nothing else.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export async function buildMetricsServer(registry: Registry): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  server.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return server;
}
