/**
 * Finds or starts the two backing services of the dev stack: an already running local Postgres /
 * Redis when one answers, otherwise an embedded Postgres and a spawned redis-server.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import type { DevOptions } from './options.js';
import { databaseExists, ensureDatabase, probePostgres, probeRedis, withDatabase } from './probes.js';
import { findOnPath, startRedisServer } from './redis-server.js';

export interface BackingService {
  url: string;
  /** Human-readable origin, e.g. "local Postgres on 127.0.0.1:5432". */
  describe: string;
  /** PID of a process this stack started (so tests can check it is gone after stop). */
  pid?: number;
  /** Present only when this stack started the service. */
  stop?: () => Promise<void>;
}

type Log = (line: string) => void;

/**
 * The Postgres `npm start` uses. With `existing` (for tools run beside it, such as
 * `npm run demo:passwords`): the same choice, but nothing is created, and an embedded cluster that
 * another `npm start` is running is used as it is.
 */
export async function resolvePostgres(
  options: DevOptions,
  log: Log,
  { existing = false }: { existing?: boolean } = {},
): Promise<BackingService> {
  if (options.databaseUrl) return { url: options.databaseUrl, describe: 'Postgres from DATABASE_URL' };

  const localServer = `postgres://postgres@127.0.0.1:${options.postgresProbePort}/postgres`;
  const probe = await probePostgres(localServer);
  if (probe.ok) {
    if (existing) {
      if (!(await databaseExists(localServer, options.databaseName)))
        throw new Error(
          `there is no database ${options.databaseName} on 127.0.0.1:${options.postgresProbePort}: run \`npm start\` first`,
        );
    } else if (await ensureDatabase(localServer, options.databaseName))
      log(`created database ${options.databaseName}`);
    return {
      url: withDatabase(localServer, options.databaseName),
      describe: `local Postgres on 127.0.0.1:${options.postgresProbePort}`,
    };
  }

  if (existing && !existsSync(join(options.dataDir, 'pg', 'PG_VERSION'))) {
    throw new Error(
      `no Postgres answers on 127.0.0.1:${options.postgresProbePort} and there is no embedded one in ` +
        `${options.dataDir}: run \`npm start\` first`,
    );
  }
  log(
    existing
      ? `no usable Postgres on 127.0.0.1:${options.postgresProbePort}; using the embedded one in ${options.dataDir}`
      : `no usable Postgres on 127.0.0.1:${options.postgresProbePort} (${probe.reason}); starting an embedded one`,
  );
  const embedded = await startEmbeddedPostgres(options.dataDir, log, { attach: existing });
  try {
    if (existing) {
      if (!(await databaseExists(embedded.serverUrl, options.databaseName)))
        throw new Error(
          `there is no database ${options.databaseName} in ${embedded.databaseDir}: run \`npm start\` first`,
        );
    } else await ensureDatabase(embedded.serverUrl, options.databaseName);
  } catch (err) {
    await embedded.stop();
    throw err;
  }
  return {
    url: withDatabase(embedded.serverUrl, options.databaseName),
    describe: `embedded Postgres on 127.0.0.1:${embedded.port} (data in ${embedded.databaseDir})`,
    ...(embedded.pid === undefined ? {} : { pid: embedded.pid }),
    stop: embedded.stop,
  };
}

export async function resolveRedis(options: DevOptions, log: Log): Promise<BackingService> {
  if (options.redisUrl) return { url: options.redisUrl, describe: 'Redis from REDIS_URL' };

  if (await probeRedis('127.0.0.1', options.redisProbePort)) {
    return {
      url: `redis://127.0.0.1:${options.redisProbePort}`,
      describe: `local Redis on 127.0.0.1:${options.redisProbePort}`,
    };
  }

  const redisServer = findOnPath('redis-server');
  if (!redisServer) {
    throw new Error(
      `No Redis answers PING on 127.0.0.1:${options.redisProbePort} and there is no redis-server on PATH.\n` +
        'Do one of:\n' +
        '  - install Redis 6.2 or newer (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`)\n' +
        '    and run `npm start` again (it starts redis-server itself when nothing answers on 6379);\n' +
        '  - start one: `docker run -d -p 6379:6379 redis:7`;\n' +
        '  - or point at an existing one: `REDIS_URL=redis://host:6379 npm start`.',
    );
  }
  log(`no Redis on 127.0.0.1:${options.redisProbePort}; starting ${redisServer}`);
  const redis = await startRedisServer(redisServer, log);
  return {
    url: redis.url,
    describe: `redis-server on ${redis.url.replace('redis://', '')} (started by npm start, nothing kept on disk)`,
    ...(redis.pid === undefined ? {} : { pid: redis.pid }),
    stop: redis.stop,
  };
}
