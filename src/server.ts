/** API entry point: `npm run api` (dev) or `node dist/src/server.js` (production). */
import { loadConfigOrExit } from './config/env.js';
import { createDatabase } from './db/client.js';
import { buildApp } from './http/app.js';
import { createApiRedis } from './lib/redis.js';

const config = loadConfigOrExit();
const database = createDatabase(config.databaseUrl, { max: config.databasePoolMax });
const redis = createApiRedis(config.redisUrl);
redis.on('error', () => {
  // Reported by /health/ready; ioredis reconnects by itself.
});
const app = await buildApp({ config, db: database.db, redis });

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'shutting down');
  await app.close();
  await database.close();
  redis.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.host, port: config.port });
