/** API entry point: `npm run api` (dev) or `node dist/src/server.js` (production). */
import { loadConfigOrExit } from './config/env.js';
import { createDatabase } from './db/client.js';
import { buildApp } from './http/app.js';
import { ListCache } from './http/list-cache.js';
import { buildMetricsServer } from './http/metrics-server.js';
import { createApiRedis, createQueueRedis } from './lib/redis.js';
import { createQueue } from './queues/connection.js';
import { QUEUE } from './queues/definitions.js';

const config = loadConfigOrExit();
const database = createDatabase(config.databaseUrl, { max: config.databasePoolMax });
const redis = createApiRedis(config.redisUrl);
redis.on('error', () => {
  // Reported by /health/ready; ioredis reconnects by itself.
});
const queueConnection = createQueueRedis(config.redisUrl);
queueConnection.on('error', () => {});
const queues = Object.values(QUEUE).map((name) => createQueue(name, queueConnection, config.queuePrefix));
const listCache =
  config.listCacheMaxMb > 0 ? new ListCache({ maxBytes: config.listCacheMaxMb * 1024 * 1024 }) : undefined;
const app = await buildApp({ config, db: database.db, redis, queues, ...(listCache ? { listCache } : {}) });
const metricsServer = await buildMetricsServer(app.metricsRegistry);
await listCache?.start(config.databaseUrl, {
  onError: (err) =>
    app.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'list cache off until LISTEN is back',
    ),
});

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'shutting down');
  await Promise.all([app.close(), metricsServer.close()]);
  await listCache?.stop();
  await Promise.all(queues.map((q) => q.close()));
  await database.close();
  redis.disconnect();
  queueConnection.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.host, port: config.port });
const metricsAddress = await metricsServer.listen({ host: config.metricsHost, port: config.metricsPort });
app.log.info({ url: `${metricsAddress}/metrics` }, 'metrics listener (internal network only)');
