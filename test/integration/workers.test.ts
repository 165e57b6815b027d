import { randomBytes, randomUUID } from 'node:crypto';
import { Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { listenForNotifications } from '../../src/db/notification-listener.js';
import { connectionAuthStates, idempotencyKeys, outbox, products } from '../../src/db/schema/index.js';
import { DependencyUnavailableError } from '../../src/lib/errors.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { enqueueOutbox } from '../../src/outbox/enqueue.js';
import {
  MAX_ROUTE_ATTEMPTS,
  OUTBOX_PENDING_CHANNEL,
  relayOutboxBatch,
  startOutboxRelay,
} from '../../src/outbox/relay.js';
import { type OutboxRoute, routesOf } from '../../src/outbox/routes.js';
import { createQueue } from '../../src/queues/connection.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { processCatalogueSync } from '../../workers/processors/catalogue-sync.js';
import { processMaintenance } from '../../workers/processors/maintenance.js';
import { declareSchedules, SCHEDULES } from '../../workers/scheduler.js';
import { makeCrafter } from '../factories/index.js';
import { createTestDatabase } from '../helpers/db-template.js';
import { startSilentRedis } from '../helpers/silent-redis.js';

let database: DatabaseHandle;
let databaseUrl: string;
let drop: () => Promise<void>;
let redis: Redis;
let catalogue: Queue;
let maintenance: Queue;
const prefix = `t_workers_${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  const testDb = await createTestDatabase('workers');
  drop = testDb.drop;
  databaseUrl = testDb.url;
  database = createDatabase(testDb.url, { max: 5 });
  redis = createQueueRedis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  catalogue = createQueue(QUEUE.catalogueSync, redis, prefix);
  maintenance = createQueue(QUEUE.maintenance, redis, prefix);
});
afterAll(async () => {
  await catalogue?.obliterate({ force: true });
  await maintenance?.obliterate({ force: true });
  await catalogue?.close();
  await maintenance?.close();
  redis?.disconnect();
  await database?.close();
  await drop?.();
});

async function makeProduct(crafterId: string, version = 1): Promise<string> {
  const [p] = await database.db
    .insert(products)
    .values({ crafterId, title: 'Tas anyaman', category: 'bags', version })
    .returning({ id: products.id });
  return p!.id;
}

describe('outbox relay', () => {
  it('moves pending rows to one coalesced job per product and marks them relayed', async () => {
    await catalogue.obliterate({ force: true });
    const crafter = await makeCrafter(database.db);
    const a = await makeProduct(crafter.id);
    const b = await makeProduct(crafter.id);
    for (const version of [2, 3, 4]) {
      await enqueueOutbox(database.db, {
        topic: 'product.changed',
        aggregateType: 'product',
        aggregateId: a,
        payload: { productId: a, crafterId: crafter.id, version },
      });
    }
    await enqueueOutbox(database.db, {
      topic: 'product.deleted',
      aggregateType: 'product',
      aggregateId: b,
      payload: { productId: b, crafterId: crafter.id, version: 2 },
    });
    expect(await relayOutboxBatch(database.db, [catalogue])).toMatchObject({ claimed: 4, relayed: 4 });
    expect((await relayOutboxBatch(database.db, [catalogue])).claimed).toBe(0);
    const waiting = await catalogue.getJobs(['waiting']);
    expect(waiting.map((j) => j.data.productId).sort()).toEqual([a, b].sort());
    expect(waiting.find((j) => j.data.productId === b)?.data.deleted).toBe(true);
    const pending = await database.sql`select count(*)::int as n from outbox where relayed_at is null`;
    expect(pending[0]?.n).toBe(0);
  });

  it('two relays running at once relay every row exactly once', async () => {
    await catalogue.obliterate({ force: true });
    const crafter = await makeCrafter(database.db);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const id = await makeProduct(crafter.id);
      ids.push(id);
      await enqueueOutbox(database.db, {
        topic: 'product.changed',
        aggregateType: 'product',
        aggregateId: id,
        payload: { productId: id, crafterId: crafter.id, version: 1 },
      });
    }
    const [x, y] = await Promise.all([
      relayOutboxBatch(database.db, [catalogue], { limit: 25 }),
      relayOutboxBatch(database.db, [catalogue], { limit: 25 }),
    ]);
    const rest = await relayOutboxBatch(database.db, [catalogue], { limit: 100 });
    expect(x.relayed + y.relayed + rest.relayed).toBe(40);
    const rows = await database.db.select({ attempts: outbox.attempts }).from(outbox);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    expect(await catalogue.getJobCountByTypes('waiting')).toBe(40);
  });

  it('an edit relayed while its product is being synced runs once more afterwards, never in parallel', async () => {
    await catalogue.obliterate({ force: true });
    const crafter = await makeCrafter(database.db);
    const id = await makeProduct(crafter.id);
    const change = (version: number) =>
      enqueueOutbox(database.db, {
        topic: 'product.changed',
        aggregateType: 'product',
        aggregateId: id,
        payload: { productId: id, crafterId: crafter.id, version },
      });
    let worker: Worker | undefined;
    let running = 0;
    let maxRunning = 0;
    const seen: number[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const firstRunning = new Promise<void>((started) => {
      worker = new Worker(
        QUEUE.catalogueSync,
        async (job) => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          seen.push(job.data.version);
          if (seen.length === 1) {
            started();
            await gate;
          }
          running -= 1;
        },
        { connection: redis, prefix, concurrency: 5 },
      );
    });
    try {
      await change(2);
      await relayOutboxBatch(database.db, [catalogue]);
      await firstRunning;
      await change(3);
      await change(4);
      await relayOutboxBatch(database.db, [catalogue]);
      release();
      const deadline = Date.now() + 10_000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([2, 4]);
      expect(maxRunning).toBe(1);
    } finally {
      await worker?.close();
    }
  });
});

describe('outbox relay woken on commit', () => {
  it('relays a committed row at once when notified, although its next poll is an hour away; a rolled-back row never', async () => {
    await catalogue.obliterate({ force: true });
    const crafter = await makeCrafter(database.db);
    const productId = await makeProduct(crafter.id);
    const relayed = async () =>
      (
        await database.sql<{ n: number }[]>`
          select count(*)::int as n from outbox where aggregate_id = ${productId} and relayed_at is not null`
      )[0]?.n ?? 0;
    const relay = startOutboxRelay(database.db, [catalogue], { idleMs: 3_600_000 });
    let notified = 0;
    let listening: () => void = () => {};
    const up = new Promise<void>((resolve) => {
      listening = resolve;
    });
    const listener = listenForNotifications(databaseUrl, OUTBOX_PENDING_CHANNEL, {
      onNotify: () => {
        notified += 1;
        relay.wake();
      },
      onListening: () => listening(),
    });
    try {
      await up;
      await database.db
        .transaction(async (tx) => {
          await enqueueOutbox(tx, {
            topic: 'product.changed',
            aggregateType: 'product',
            aggregateId: productId,
            payload: { productId, crafterId: crafter.id, version: 1 },
          });
          throw new Error('rolled back');
        })
        .catch(() => {});
      await database.db.transaction(async (tx) => {
        for (const version of [2, 3]) {
          await enqueueOutbox(tx, {
            topic: 'product.changed',
            aggregateType: 'product',
            aggregateId: productId,
            payload: { productId, crafterId: crafter.id, version },
          });
        }
      });
      const deadline = Date.now() + 15_000;
      while ((await relayed()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await relayed()).toBe(2);
      // One notification for the committed transaction (its two rows folded), none for the rollback.
      expect(notified).toBe(1);
      const waiting = await catalogue.getJobs(['waiting']);
      expect(waiting.map((j) => j.data.productId)).toContain(productId);
    } finally {
      await listener.stop();
      await relay.stop();
    }
  });
});

describe('outbox relay: rows that cannot be relayed, and Redis outages', () => {
  /** Relays until nothing is left to claim; returns the totals. */
  async function relayAll(): Promise<{ relayed: number; deadLettered: number }> {
    const total = { relayed: 0, deadLettered: 0 };
    for (let i = 0; i < 50; i++) {
      const r = await relayOutboxBatch(database.db, [catalogue], { limit: 10 });
      if (r.claimed === 0) return total;
      total.relayed += r.relayed;
      total.deadLettered += r.deadLettered;
    }
    throw new Error('the relay kept claiming rows: something blocks it');
  }

  it('sets aside a row whose payload does not parse or whose topic no queue handles, with its reason, and relays the rows behind it', async () => {
    await catalogue.obliterate({ force: true });
    await database.sql`delete from outbox`;
    const crafter = await makeCrafter(database.db);
    // More bad rows than one batch holds, ahead of the good ones: they must not block them.
    for (let i = 0; i < 12; i++) {
      await database.db.insert(outbox).values({
        topic: 'product.changed',
        aggregateType: 'product',
        aggregateId: `broken-${i}`,
        payload: { productId: 'not-a-uuid', version: 0 },
      });
    }
    await database.db.insert(outbox).values({
      topic: 'crafter.changed',
      aggregateType: 'crafter',
      aggregateId: crafter.id,
      payload: { crafterId: crafter.id, version: 2 },
    });
    const good: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await makeProduct(crafter.id);
      good.push(id);
      await enqueueOutbox(database.db, {
        topic: 'product.changed',
        aggregateType: 'product',
        aggregateId: id,
        payload: { productId: id, crafterId: crafter.id, version: 1 },
      });
    }

    expect(await relayAll()).toEqual({ relayed: 3, deadLettered: 13 });
    const waiting = await catalogue.getJobs(['waiting']);
    expect(waiting.map((j) => j.data.productId).sort()).toEqual([...good].sort());

    const dead = await database.sql<{ topic: string; reason: string; relayed: boolean }[]>`
      select topic, dead_letter_reason as reason, relayed_at is not null as relayed
      from outbox where dead_lettered_at is not null order by id`;
    expect(dead).toHaveLength(13);
    expect(dead.every((d) => !d.relayed)).toBe(true);
    expect(dead[0]?.reason).toMatch(/payload does not parse: .*productId/);
    expect(dead[0]?.reason).toMatch(/crafterId/);
    // Nothing handles crafter changes: the row is set aside and said so, not marked relayed and dropped.
    expect(dead[12]).toMatchObject({
      topic: 'crafter.changed',
      reason: 'no queue handles topic "crafter.changed"',
    });
    const pending =
      await database.sql`select count(*)::int as n from outbox where relayed_at is null and dead_lettered_at is null`;
    expect(pending[0]?.n).toBe(0);
  });

  it('retries a row whose route fails for another reason than its payload after its lease, without holding up the others, and sets it aside after repeated failures', async () => {
    await catalogue.obliterate({ force: true });
    await database.sql`delete from outbox`;
    const crafter = await makeCrafter(database.db);
    const [flaky, fine] = [await makeProduct(crafter.id), await makeProduct(crafter.id)];
    for (const id of [flaky, fine]) {
      await enqueueOutbox(database.db, {
        topic: 'product.changed',
        aggregateType: 'product',
        aggregateId: id,
        payload: { productId: id, crafterId: crafter.id, version: 1 },
      });
    }
    // A route that reads something that is not there yet (as a per-listing route reading listings
    // while Postgres fails over would).
    const routes = (topic: string) =>
      routesOf(topic).map(
        (route): OutboxRoute =>
          (row, ctx) => {
            if (row.aggregateId === flaky) throw new Error('listings unavailable');
            return route(row, ctx);
          },
      );
    const first = await relayOutboxBatch(database.db, [catalogue], { routes });
    expect(first).toMatchObject({ claimed: 2, relayed: 1, deadLettered: 0, routeFailures: 1 });
    expect((await catalogue.getJobs(['waiting'])).map((j) => j.data.productId)).toEqual([fine]);
    // Leased: not claimed again until the lease lapses.
    expect((await relayOutboxBatch(database.db, [catalogue], { routes })).claimed).toBe(0);
    await database.sql`
      update outbox set claimed_until = now() - interval '1 second', attempts = ${MAX_ROUTE_ATTEMPTS - 1}
      where aggregate_id = ${flaky}`;
    expect(await relayOutboxBatch(database.db, [catalogue], { routes })).toMatchObject({
      claimed: 1,
      deadLettered: 1,
    });
    const [row] = await database.sql<{ reason: string }[]>`
      select dead_letter_reason as reason from outbox where aggregate_id = ${flaky}`;
    expect(row?.reason).toBe(`routing failed ${MAX_ROUTE_ATTEMPTS} times, last: listings unavailable`);
  });

  it('holds no Postgres transaction open while Redis does not answer, gives up within its bound and leaves the rows for the next attempt', async () => {
    await database.sql`delete from outbox`;
    const crafter = await makeCrafter(database.db);
    const id = await makeProduct(crafter.id);
    await enqueueOutbox(database.db, {
      topic: 'product.changed',
      aggregateType: 'product',
      aggregateId: id,
      payload: { productId: id, crafterId: crafter.id, version: 1 },
    });
    const silent = await startSilentRedis();
    const hungConnection = createQueueRedis(silent.url);
    hungConnection.on('error', () => {});
    const hungQueue = createQueue(QUEUE.catalogueSync, hungConnection, prefix);
    try {
      let settled = false;
      const attempt = relayOutboxBatch(database.db, [hungQueue], { redisTimeoutMs: 500 }).finally(() => {
        settled = true;
      });
      attempt.catch(() => {});
      // Watch the server's sessions for as long as the relay waits on Redis.
      const openTransactions = new Set<string>();
      while (!settled) {
        const rows = await database.sql<{ state: string; query: string }[]>`
          select state, query from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and state like 'idle in transaction%'`;
        for (const r of rows) openTransactions.add(`${r.state}: ${r.query}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await expect(attempt).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect([...openTransactions]).toEqual([]);
      const [row] = await database.sql<{ relayed: boolean; claimed: boolean }[]>`
        select relayed_at is not null as relayed, claimed_until is not null as claimed from outbox`;
      expect(row).toEqual({ relayed: false, claimed: false });
    } finally {
      await hungQueue.close().catch(() => {});
      hungConnection.disconnect();
      await silent.close();
    }
    // Redis is back: the next attempt relays the row at once.
    await catalogue.obliterate({ force: true });
    expect(await relayOutboxBatch(database.db, [catalogue])).toMatchObject({ claimed: 1, relayed: 1 });
  });
});

describe('catalogue-sync processor', () => {
  it('loads the current product version, not the job snapshot', async () => {
    const crafter = await makeCrafter(database.db);
    const id = await makeProduct(crafter.id, 7);
    const job = new Job(catalogue, 'product.changed', {
      productId: id,
      crafterId: crafter.id,
      version: 2,
      deleted: false,
    });
    const result = await processCatalogueSync(database.db, job);
    expect(result).toMatchObject({ productId: id, currentVersion: 7, deleted: false });
  });

  it('rejects job data that is not ids and versions', async () => {
    const job = new Job(catalogue, 'product.changed', { productId: randomUUID(), accessToken: 'secret' });
    await expect(processCatalogueSync(database.db, job)).rejects.toThrow();
  });
});

describe('maintenance', () => {
  it('purges expired idempotency keys and old relayed outbox rows, and a second run deletes nothing', async () => {
    const past = new Date(Date.now() - 3_600_000);
    await database.db.insert(idempotencyKeys).values({
      principal: 'p',
      key: 'k',
      method: 'POST',
      path: '/v1/x',
      requestHash: 'h',
      responseStatus: 201,
      responseHeaders: {},
      responseBody: '{}',
      expiresAt: past,
    });
    await database.db.insert(outbox).values({
      topic: 'product.changed',
      aggregateType: 'product',
      aggregateId: 'x',
      payload: {},
      relayedAt: new Date(Date.now() - 8 * 86_400_000),
    });
    const job = (task: string) => new Job(maintenance, task, { task });
    expect((await processMaintenance(database.db, job('purge-idempotency-keys'))).deleted).toBe(1);
    expect((await processMaintenance(database.db, job('purge-idempotency-keys'))).deleted).toBe(0);
    expect(
      (await processMaintenance(database.db, job('purge-relayed-outbox'))).deleted,
    ).toBeGreaterThanOrEqual(1);
    expect((await processMaintenance(database.db, job('purge-relayed-outbox'))).deleted).toBe(0);
  });

  it('purges connection authorization states a day past expiry, keeping recent ones', async () => {
    const crafter = await makeCrafter(database.db);
    await database.db.insert(connectionAuthStates).values([
      {
        nonce: `old-${randomUUID()}`,
        crafterId: crafter.id,
        channel: 'shopee',
        expiresAt: new Date(Date.now() - 2 * 86_400_000),
      },
      {
        nonce: `recent-${randomUUID()}`,
        crafterId: crafter.id,
        channel: 'shopee',
        expiresAt: new Date(Date.now() - 60_000),
      },
    ]);
    const job = new Job(maintenance, 'purge-connection-auth-states', {
      task: 'purge-connection-auth-states',
    });
    expect((await processMaintenance(database.db, job)).deleted).toBe(1);
    expect((await processMaintenance(database.db, job)).deleted).toBe(0);
    expect(await database.db.select().from(connectionAuthStates)).toHaveLength(1);
  });

  it('declaring the schedules twice keeps one of each, on Jakarta time', async () => {
    await declareSchedules(maintenance);
    await declareSchedules(maintenance);
    const schedulers = await maintenance.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(SCHEDULES.map((s) => s.id).sort());
    for (const s of schedulers) {
      expect(s.tz).toBe('Asia/Jakarta');
      // 02:xx in Jakarta (UTC+7) is 19:xx UTC the previous day.
      expect(new Date(s.next ?? 0).getUTCHours()).toBe(19);
    }
  });
});
