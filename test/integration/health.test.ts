import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
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

/** A port that accepts connections and never says a word: the hang case, not the refusal case. */
async function silentPort(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The real app with one dependency pointing at a dead port. */
async function appWithDeadDependency(
  api: TestApi,
  dead: 'redis' | 'postgres',
  deadPort?: number,
): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const port = deadPort ?? (await closedPort());
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
  // The healthy Redis connects in the background; wait, so only the dead dependency is reported.
  if (dead !== 'redis' && redis.status !== 'ready') await once(redis, 'ready');
  return {
    app,
    close: async () => {
      await app.close();
      redis.disconnect();
      // A connection stuck on a silent server would hold end() for its 5 s timeout; no need to wait.
      await Promise.race([database.close(), new Promise((resolve) => setTimeout(resolve, 500))]);
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
    // Redis connects in the background after start-up; until then the API is rightly not ready.
    await expect
      .poll(async () => (await api.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, {
        timeout: 5000,
      })
      .toBe(200);
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
        // The operator sees the cause, not a wrapper's "Failed query".
        expect(body.components[dead].error).toMatch(/ECONNREFUSED|connect|closed/i);
        expect(body.components[dead].error).not.toMatch(/Failed query/);
        const other = dead === 'redis' ? 'postgres' : 'redis';
        expect(body.components[other].ok).toBe(true);
        // Liveness does not depend on backing services.
        expect((await broken.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      } finally {
        await broken.close();
      }
    },
  );

  it.each(['redis', 'postgres'] as const)(
    'GET /health/ready answers 503 within 3 s when %s accepts connections but never answers',
    async (dead) => {
      const silent = await silentPort();
      const broken = await appWithDeadDependency(api, dead, silent.port);
      try {
        const started = Date.now();
        const res = await broken.app.inject({ method: 'GET', url: '/health/ready' });
        expect(Date.now() - started).toBeLessThan(3000);
        expect(res.statusCode).toBe(503);
        expect(res.json().detail).toContain(dead);
      } finally {
        await silent.close();
        await broken.close();
      }
    },
  );

  it('a request needing Postgres while it is down gets 503 dependency_unavailable with Retry-After, not 500', async () => {
    const broken = await appWithDeadDependency(api, 'postgres');
    try {
      const operator = {
        userId: '00000000-0000-0000-0000-000000000000',
        role: 'operator' as const,
        crafterId: null,
        regionCode: null,
        tokenVersion: 1,
      };
      const res = await broken.app.inject({
        method: 'GET',
        url: '/v1/crafters',
        headers: { authorization: `Bearer ${broken.app.issueToken(operator).token}` },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().code).toBe('dependency_unavailable');
    } finally {
      await broken.close();
    }
  });
});
