/**
 * Builds the real API against a fresh database (copied from the migrated template, with the Tangsel
 * regions) and the real Redis, with a unique key prefix per suite.
 */
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { type AppConfig, loadConfig } from '../../src/config/env.js';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import type { Principal } from '../../src/domain/scope.js';
import { buildApp } from '../../src/http/app.js';
import { ListCache } from '../../src/http/list-cache.js';
import type { DestinationStream } from '../../src/lib/logger.js';
import { createApiRedis, createQueueRedis } from '../../src/lib/redis.js';
import { createQueue } from '../../src/queues/connection.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { createTestDatabase } from './db-template.js';

export interface TestApi {
  app: FastifyInstance;
  database: DatabaseHandle;
  config: AppConfig;
  databaseUrl: string;
  /** Bearer header for a principal (at its user's first token version unless given). */
  auth(principal: Principal & { tokenVersion?: number }): { authorization: string };
  /** The list cache, when started with `withListCache`. */
  listCache: ListCache | undefined;
  /** Queues, when started with `withQueues`. */
  queues: Queue[];
  /** A token that expired an hour ago. */
  expiredAuth(principal: Principal): { authorization: string };
  close(): Promise<void>;
}

export async function startTestApi(
  label: string,
  env: Record<string, string> = {},
  options: {
    withQueues?: boolean;
    withListCache?: boolean;
    /** Captures the API's log lines (e.g. to prove no credential is logged). */
    logDestination?: DestinationStream;
  } = {},
): Promise<TestApi> {
  const testDb = await createTestDatabase(label);
  const config = loadConfig({
    APP_MODE: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: testDb.url,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `t_${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(3).toString('hex')}`,
    ...env,
  });
  const database = createDatabase(config.databaseUrl, { max: 5 });
  const redis = createApiRedis(config.redisUrl);
  const queueConnection = options.withQueues ? createQueueRedis(config.redisUrl) : undefined;
  const queues = queueConnection
    ? Object.values(QUEUE).map((name) => createQueue(name, queueConnection, config.queuePrefix))
    : undefined;
  const listCache = options.withListCache ? new ListCache() : undefined;
  await listCache?.start(config.databaseUrl, { retryMs: 100 });
  const app = await buildApp({
    config,
    db: database.db,
    redis,
    ...(queues ? { queues } : {}),
    ...(listCache ? { listCache } : {}),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  });
  await app.ready();
  return {
    app,
    database,
    config,
    databaseUrl: testDb.url,
    auth: (principal) => ({
      authorization: `Bearer ${app.issueToken({ tokenVersion: 1, ...principal }).token}`,
    }),
    expiredAuth: (principal) => ({
      authorization: `Bearer ${app.jwt.sign(
        {
          sub: principal.userId,
          role: principal.role,
          cid: principal.crafterId,
          rc: principal.regionCode,
          tv: 1,
        },
        { clockTimestamp: Date.now() - 3_600_000, expiresIn: 60 },
      )}`,
    }),
    queues: queues ?? [],
    listCache,
    close: async () => {
      await app.close();
      await listCache?.stop();
      for (const q of queues ?? []) {
        await q.obliterate({ force: true });
        await q.close();
      }
      queueConnection?.disconnect();
      const keys = await redis.keys(`${config.queuePrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await database.close();
      await testDb.drop();
    },
  };
}
