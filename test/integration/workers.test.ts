import { randomBytes, randomUUID } from 'node:crypto';
import { Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { connectionAuthStates, idempotencyKeys, outbox, products } from '../../src/db/schema/index.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { enqueueOutbox } from '../../src/outbox/enqueue.js';
import { relayOutboxBatch } from '../../src/outbox/relay.js';
import { createQueue } from '../../src/queues/connection.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { processCatalogueSync } from '../../workers/processors/catalogue-sync.js';
import { processMaintenance } from '../../workers/processors/maintenance.js';
import { declareSchedules, SCHEDULES } from '../../workers/scheduler.js';
import { makeCrafter } from '../factories/index.js';
import { createTestDatabase } from '../helpers/db-template.js';

let database: DatabaseHandle;
let drop: () => Promise<void>;
let redis: Redis;
let catalogue: Queue;
let maintenance: Queue;
const prefix = `t_workers_${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  const testDb = await createTestDatabase('workers');
  drop = testDb.drop;
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
    expect(await relayOutboxBatch(database.db, catalogue)).toBe(4);
    expect(await relayOutboxBatch(database.db, catalogue)).toBe(0);
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
      relayOutboxBatch(database.db, catalogue, 25),
      relayOutboxBatch(database.db, catalogue, 25),
    ]);
    const rest = await relayOutboxBatch(database.db, catalogue, 100);
    expect(x + y + rest).toBe(40);
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
      await relayOutboxBatch(database.db, catalogue);
      await firstRunning;
      await change(3);
      await change(4);
      await relayOutboxBatch(database.db, catalogue);
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
      state: 'completed',
      lockedUntil: past,
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
