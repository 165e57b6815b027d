import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { buildApp } from '../../src/http/app.js';
import { createApiRedis } from '../../src/lib/redis.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The real app with one dependency pointing at a dead port. */
async function appWithDeadDependency(
  api: TestApi,
  dead: 'redis' | 'postgres',
): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const port = await closedPort();
  const config = {
    ...api.config,
    databaseUrl:
      dead === 'postgres' ? `postgres://postgres@127.0.0.1:${port}/nothing` : api.config.databaseUrl,
    redisUrl: dead === 'redis' ? `redis://127.0.0.1:${port}` : api.config.redisUrl,
  };
  const database: DatabaseHandle = createDatabase(config.databaseUrl, { max: 1 });
  const redis = createApiRedis(config.redisUrl);
  redis.on('error', () => {});
  const app = await buildApp({ config, db: database.db, redis });
  await app.ready();
  return {
    app,
    close: async () => {
      await app.close();
      redis.disconnect();
      await database.close();
    },
  };
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('health');
});
afterAll(async () => {
  await api?.close();
});

describe('health', () => {
  it('is public: no token needed, and a bad token is ignored', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { authorization: 'Bearer nope' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('GET /health/live answers 200', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /health/ready answers 200 when Postgres and Redis answer', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ready',
      components: { postgres: { ok: true }, redis: { ok: true } },
    });
  });

  it.each(['redis', 'postgres'] as const)(
    'GET /health/ready answers 503 naming %s when it is down, within 3 s',
    async (dead) => {
      const broken = await appWithDeadDependency(api, dead);
      try {
        const started = Date.now();
        const res = await broken.app.inject({ method: 'GET', url: '/health/ready' });
        expect(Date.now() - started).toBeLessThan(3000);
        expect(res.statusCode).toBe(503);
        expect(res.headers['content-type']).toContain('application/problem+json');
        const body = res.json();
        expect(body.code).toBe('not_ready');
        expect(body.detail).toContain(dead);
        expect(body.components[dead].ok).toBe(false);
        const other = dead === 'redis' ? 'postgres' : 'redis';
        expect(body.components[other].ok).toBe(true);
        // Liveness does not depend on backing services.
        expect((await broken.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      } finally {
        await broken.close();
      }
    },
  );
});
