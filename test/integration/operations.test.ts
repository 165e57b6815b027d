import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../../src/db/schema/index.js';
import { buildApp } from '../../src/http/app.js';
import { buildMetricsServer } from '../../src/http/metrics-server.js';
import { createApiRedis, createQueueRedis } from '../../src/lib/redis.js';
import { createQueue } from '../../src/queues/connection.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { setUserDisabled } from '../../src/services/users.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { startSilentRedis } from '../helpers/silent-redis.js';

let api: TestApi;

/** What the metrics listener would serve for this app (see src/http/metrics-server.ts). */
async function scrape(app: FastifyInstance): Promise<{ statusCode: number; body: string }> {
  const server = await buildMetricsServer(app.metricsRegistry);
  try {
    const res = await server.inject({ method: 'GET', url: '/metrics' });
    return { statusCode: res.statusCode, body: res.body };
  } finally {
    await server.close();
  }
}
let operator: Awaited<ReturnType<typeof makeUser>>;
let crafterUser: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  api = await startTestApi('operations', {}, { withQueues: true });
  operator = await makeUser(api.database.db, 'operator');
  const crafter = await makeCrafter(api.database.db);
  crafterUser = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
});
afterAll(async () => {
  await api?.close();
});

const basic = (u: { username: string; password: string }) => ({
  authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`,
});

describe('queue dashboard', () => {
  it('asks for credentials, and refuses non-operators and wrong passwords', async () => {
    const none = await api.app.inject({ method: 'GET', url: '/admin/queues' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic/);
    const crafter = await api.app.inject({
      method: 'GET',
      url: '/admin/queues',
      headers: basic(crafterUser),
    });
    expect(crafter.statusCode).toBe(401);
    const wrong = await api.app.inject({
      method: 'GET',
      url: '/admin/queues',
      headers: basic({ username: operator.username, password: 'wrong password!' }),
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('password guesses over HTTP Basic count against the login limits, shared with POST /v1/auth/login', async () => {
    const target = await makeUser(api.database.db, 'operator');
    const max = api.config.loginRateLimitMax;
    const guess = (password: string) =>
      api.app.inject({
        method: 'GET',
        url: '/admin/queues/api/queues',
        headers: basic({ username: target.username, password }),
      });
    for (let i = 0; i < max; i += 1) expect((await guess(`wrong ${i}`)).statusCode).toBe(401);
    const limited = await guess(target.password);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json().code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const login = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: target.username, password: target.password },
    });
    expect(login.statusCode).toBe(429);
  });

  it("the board's polling with a verified credential costs no login attempts", async () => {
    const user = await makeUser(api.database.db, 'operator');
    for (let i = 0; i < api.config.loginRateLimitMax + 3; i += 1) {
      const res = await api.app.inject({
        method: 'GET',
        url: '/admin/queues/api/queues',
        headers: basic(user),
      });
      expect(res.statusCode).toBe(200);
    }
  });

  it('a remembered dashboard login stops working as soon as the operator is disabled', async () => {
    const user = await makeUser(api.database.db, 'operator');
    const board = () =>
      api.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: basic(user) });
    expect((await board()).statusCode).toBe(200);
    await setUserDisabled({ db: api.database.db, principal: operator, requestId: null }, user.userId, true);
    expect((await board()).statusCode).toBe(401);
  });

  it('shows every queue to an operator', async () => {
    const page = await api.app.inject({ method: 'GET', url: '/admin/queues', headers: basic(operator) });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const queues = await api.app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: basic(operator),
    });
    expect(queues.statusCode).toBe(200);
    const names = (queues.json() as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual(api.queues.map((q) => q.name).sort());
  });
});

describe('metrics', () => {
  let metricsServer: FastifyInstance;
  let metricsUrl: string;
  beforeAll(async () => {
    metricsServer = await buildMetricsServer(api.app.metricsRegistry);
    metricsUrl = `${await metricsServer.listen({ host: '127.0.0.1', port: 0 })}/metrics`;
  });
  afterAll(async () => {
    await metricsServer?.close();
  });

  it('are not served on the public API port', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('kriya_');
  });

  it('exposes queue depth per queue and state on the metrics listener', async () => {
    const queue = api.queues.find((q) => q.name === 'maintenance')!;
    await queue.add('purge-idempotency-keys', { task: 'purge-idempotency-keys' });
    await queue.add('purge-relayed-outbox', { task: 'purge-relayed-outbox' });
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toMatch(/kriya_queue_jobs\{queue="maintenance",state="waiting"\} 2/);
    expect(body).toContain('kriya_process_resident_memory_bytes');
  });

  it('records request durations by route', async () => {
    await api.app.inject({ method: 'GET', url: '/health/live' });
    const body = await (await fetch(metricsUrl)).text();
    expect(body).toMatch(
      /kriya_http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="2xx"\} [1-9]/,
    );
  });

  it('the metrics listener serves nothing but /metrics', async () => {
    const res = await fetch(metricsUrl.replace(/\/metrics$/, '/v1/products'));
    expect(res.status).toBe(404);
  });
});

describe('metrics while Redis does not answer', () => {
  it('answers, with queue depth unknown (kriya_queue_up 0, no kriya_queue_jobs) and the outbox counts', async () => {
    const silent = await startSilentRedis();
    const queueConnection = createQueueRedis(silent.url);
    queueConnection.on('error', () => {});
    const redis = createApiRedis(silent.url);
    redis.on('error', () => {});
    const queues = Object.values(QUEUE).map((name) =>
      createQueue(name, queueConnection, api.config.queuePrefix),
    );
    const app = await buildApp({ config: api.config, db: api.database.db, redis, queues });
    try {
      await app.ready();
      const res = await scrape(app);
      expect(res.statusCode).toBe(200);
      for (const name of Object.values(QUEUE))
        expect(res.body).toContain(`kriya_queue_up{queue="${name}"} 0`);
      expect(res.body).not.toMatch(/^kriya_queue_jobs\{/m);
      expect(res.body).toMatch(/^kriya_outbox_up 1$/m);
      expect(res.body).toMatch(/^kriya_outbox_pending \d+$/m);
    } finally {
      await app.close();
      await Promise.all(queues.map((q) => q.close().catch(() => {})));
      queueConnection.disconnect();
      redis.disconnect();
      await silent.close();
    }
  });
});

describe('outbox dead letters', () => {
  it('are counted in /metrics and listed for operators only, newest first, page by page', async () => {
    const before = await scrape(api.app);
    expect(before.body).toMatch(/^kriya_queue_up\{queue="maintenance"\} 1$/m);
    const count = (body: string) => Number(/^kriya_outbox_dead_letters (\d+)$/m.exec(body)?.[1]);
    const initial = count(before.body);
    const rows = await api.database.db
      .insert(outbox)
      .values(
        [1, 2, 3].map((i) => ({
          topic: 'product.changed',
          aggregateType: 'product',
          aggregateId: `x${i}`,
          payload: { productId: `x${i}` },
          deadLetteredAt: new Date(),
          deadLetterReason: `payload does not parse: productId (${i})`,
        })),
      )
      .returning({ id: outbox.id });
    const after = await scrape(api.app);
    expect(count(after.body)).toBe(initial + 3);

    const crafterRes = await api.app.inject({
      method: 'GET',
      url: '/v1/ops/outbox/dead-letters',
      headers: api.auth(crafterUser),
    });
    expect(crafterRes.statusCode).toBe(403);
    const first = await api.app.inject({
      method: 'GET',
      url: '/v1/ops/outbox/dead-letters?limit=2',
      headers: api.auth(operator),
    });
    expect(first.statusCode, first.body).toBe(200);
    const page = first.json() as {
      items: Array<{ id: number; reason: string; topic: string }>;
      nextCursor: string;
    };
    const ids = rows.map((r) => r.id).sort((a, b) => b - a);
    expect(page.items.map((i) => i.id)).toEqual(ids.slice(0, 2));
    expect(page.items[0]).toMatchObject({
      topic: 'product.changed',
      reason: 'payload does not parse: productId (3)',
    });
    const second = await api.app.inject({
      method: 'GET',
      url: `/v1/ops/outbox/dead-letters?limit=2&cursor=${page.nextCursor}`,
      headers: api.auth(operator),
    });
    expect((second.json() as { items: Array<{ id: number }> }).items[0]?.id).toBe(ids[2]);
    const bad = await api.app.inject({
      method: 'GET',
      url: '/v1/ops/outbox/dead-letters?cursor=nonsense',
      headers: api.auth(operator),
    });
    expect(bad.statusCode).toBe(400);
  });
});
