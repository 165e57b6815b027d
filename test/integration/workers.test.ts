import { randomBytes, randomUUID } from 'node:crypto';
import { Job, type Queue, Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { listenForNotifications } from '../../src/db/notification-listener.js';
import {
  channelListings,
  connectionAuthStates,
  idempotencyKeys,
  outbox,
  products,
} from '../../src/db/schema/index.js';
import { DependencyUnavailableError } from '../../src/lib/errors.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { generateKeySpec, parseKeyring } from '../../src/lib/secrets.js';
import { enqueueOutbox } from '../../src/outbox/enqueue.js';
import {
  MAX_ROUTE_ATTEMPTS,
  OUTBOX_PENDING_CHANNEL,
  relayOutboxBatch,
  startOutboxRelay,
} from '../../src/outbox/relay.js';
import { type OutboxRoute, routesOf } from '../../src/outbox/routes.js';
import { createQueue } from '../../src/queues/connection.js';
import { EDIT_JOB, PUSH_QUEUE, QUEUE } from '../../src/queues/definitions.js';
import { processMaintenance } from '../../workers/processors/maintenance.js';
import { declareSchedules, SCHEDULES } from '../../workers/scheduler.js';
import { makeConnection } from '../factories/connections.js';
import { makeCrafter } from '../factories/index.js';
import { createTestDatabase } from '../helpers/db-template.js';
import { startSilentRedis } from '../helpers/silent-redis.js';

let database: DatabaseHandle;
let databaseUrl: string;
let drop: () => Promise<void>;
let redis: Redis;
/** The Shopee push queue: where the outbox sends a product's edits for its Shopee listings. */
let pushes: Queue;
let maintenance: Queue;
const prefix = `t_workers_${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  const testDb = await createTestDatabase('workers');
  drop = testDb.drop;
  databaseUrl = testDb.url;
  database = createDatabase(testDb.url, { max: 5 });
  redis = createQueueRedis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  pushes = createQueue(PUSH_QUEUE.shopee, redis, prefix);
  maintenance = createQueue(QUEUE.maintenance, redis, prefix);
});
afterAll(async () => {
  await pushes?.obliterate({ force: true });
  await maintenance?.obliterate({ force: true });
  await pushes?.close();
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

const keyring = parseKeyring(generateKeySpec('k1'), 'k1');

interface Shop {
  crafterId: string;
  connectionId: string;
}

/** A crafter with a Shopee shop: edits of their listed products go to `pushes`. */
async function makeShop(): Promise<Shop> {
  const crafter = await makeCrafter(database.db);
  return { crafterId: crafter.id, connectionId: await makeConnection(database.db, keyring, crafter.id) };
}

/** A product of the shop's crafter, listed in the shop. */
async function makeListedProduct(shop: Shop, version = 1): Promise<{ productId: string; listingId: string }> {
  const productId = await makeProduct(shop.crafterId, version);
  const [row] = await database.db
    .insert(channelListings)
    .values({ productId, connectionId: shop.connectionId })
    .returning({ id: channelListings.id });
  return { productId, listingId: row!.id };
}

/** The outbox row a product service writes with an edit (or a deletion) of version `version`. */
function productEvent(
  shop: Shop,
  productId: string,
  version: number,
  topic: 'product.changed' | 'product.deleted' = 'product.changed',
) {
  return {
    topic,
    aggregateType: 'product',
    aggregateId: productId,
    payload: { productId, crafterId: shop.crafterId, version },
  } as const;
}

const listingIdsOf = (jobs: Job[]) => jobs.map((j) => (j.data as { listingId: string }).listingId).sort();

describe('outbox relay', () => {
  it('moves pending rows to one coalesced push per listing and marks them relayed; a product sold nowhere gets no job', async () => {
    await pushes.obliterate({ force: true });
    const shop = await makeShop();
    const a = await makeListedProduct(shop);
    const b = await makeListedProduct(shop);
    const unlisted = await makeProduct(shop.crafterId);
    for (const version of [2, 3, 4]) {
      await enqueueOutbox(database.db, productEvent(shop, a.productId, version));
    }
    await enqueueOutbox(database.db, productEvent(shop, b.productId, 2, 'product.deleted'));
    await enqueueOutbox(database.db, productEvent(shop, unlisted, 2));
    expect(await relayOutboxBatch(database.db, [pushes])).toMatchObject({ claimed: 5, relayed: 5 });
    expect((await relayOutboxBatch(database.db, [pushes])).claimed).toBe(0);
    const waiting = await pushes.getJobs(['waiting']);
    // Ids only: the push reads the product's current state (gone, for b) when it runs.
    expect(waiting.map((j) => ({ name: j.name, data: j.data }))).toEqual(
      expect.arrayContaining([
        { name: EDIT_JOB, data: { listingId: a.listingId } },
        { name: EDIT_JOB, data: { listingId: b.listingId } },
      ]),
    );
    expect(listingIdsOf(waiting)).toEqual([a.listingId, b.listingId].sort());
    const pending = await database.sql`select count(*)::int as n from outbox where relayed_at is null`;
    expect(pending[0]?.n).toBe(0);
  });

  it('two relays running at once relay every row exactly once', async () => {
    await pushes.obliterate({ force: true });
    const shop = await makeShop();
    for (let i = 0; i < 40; i++) {
      const { productId } = await makeListedProduct(shop);
      await enqueueOutbox(database.db, productEvent(shop, productId, 1));
    }
    const [x, y] = await Promise.all([
      relayOutboxBatch(database.db, [pushes], { limit: 25 }),
      relayOutboxBatch(database.db, [pushes], { limit: 25 }),
    ]);
    const rest = await relayOutboxBatch(database.db, [pushes], { limit: 100 });
    expect(x.relayed + y.relayed + rest.relayed).toBe(40);
    const rows = await database.db.select({ attempts: outbox.attempts }).from(outbox);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    expect(await pushes.getJobCountByTypes('waiting')).toBe(40);
  });

  it('an edit relayed while its listing is being pushed runs once more afterwards, never in parallel', async () => {
    await pushes.obliterate({ force: true });
    const shop = await makeShop();
    const { productId } = await makeListedProduct(shop);
    // As the product service does: the new version and its outbox row.
    const change = async (version: number) => {
      await database.db.update(products).set({ version }).where(eq(products.id, productId));
      await enqueueOutbox(database.db, productEvent(shop, productId, version));
    };
    let worker: Worker | undefined;
    let running = 0;
    let maxRunning = 0;
    let completed = 0;
    /** The product version each run read (a push reads the current state, never a snapshot). */
    const seen: number[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let secondDone: () => void = () => {};
    const twoCompleted = new Promise<void>((r) => {
      secondDone = r;
    });
    const firstRunning = new Promise<void>((started) => {
      worker = new Worker(
        PUSH_QUEUE.shopee,
        async (job) => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          const [row] = await database.db
            .select({ version: products.version })
            .from(channelListings)
            .innerJoin(products, eq(products.id, channelListings.productId))
            .where(eq(channelListings.id, (job.data as { listingId: string }).listingId));
          seen.push(row!.version);
          if (seen.length === 1) {
            started();
            await gate;
          }
          running -= 1;
        },
        { connection: redis, prefix, concurrency: 5 },
      );
      worker.on('completed', () => {
        completed += 1;
        if (completed === 2) secondDone();
      });
    });
    try {
      await change(2);
      await relayOutboxBatch(database.db, [pushes]);
      await firstRunning;
      await change(3);
      await change(4);
      await relayOutboxBatch(database.db, [pushes]);
      release();
      // Bounded, so that a lost edit fails on what was seen rather than on the test's timeout.
      await Promise.race([twoCompleted, new Promise((r) => setTimeout(r, 10_000))]);
      expect(seen).toEqual([2, 4]);
      expect(maxRunning).toBe(1);
      // The edits 3 and 4 became that one run: nothing else waits.
      expect(await pushes.getJobCounts('waiting', 'delayed', 'active', 'prioritized')).toEqual({
        waiting: 0,
        delayed: 0,
        active: 0,
        prioritized: 0,
      });
    } finally {
      await worker?.close();
    }
  });
});

describe('outbox relay woken on commit', () => {
  it('relays a committed row at once when notified, although its next poll is an hour away; a rolled-back row never', async () => {
    await pushes.obliterate({ force: true });
    const shop = await makeShop();
    const { productId, listingId } = await makeListedProduct(shop);
    const relayed = async () =>
      (
        await database.sql<{ n: number }[]>`
          select count(*)::int as n from outbox where aggregate_id = ${productId} and relayed_at is not null`
      )[0]?.n ?? 0;
    const relay = startOutboxRelay(database.db, [pushes], { idleMs: 3_600_000 });
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
          await enqueueOutbox(tx, productEvent(shop, productId, 1));
          throw new Error('rolled back');
        })
        .catch(() => {});
      await database.db.transaction(async (tx) => {
        for (const version of [2, 3]) {
          await enqueueOutbox(tx, productEvent(shop, productId, version));
        }
      });
      const deadline = Date.now() + 15_000;
      while ((await relayed()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await relayed()).toBe(2);
      // One notification for the committed transaction (its two rows folded), none for the rollback.
      expect(notified).toBe(1);
      const waiting = await pushes.getJobs(['waiting']);
      expect(listingIdsOf(waiting)).toContain(listingId);
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
      const r = await relayOutboxBatch(database.db, [pushes], { limit: 10 });
      if (r.claimed === 0) return total;
      total.relayed += r.relayed;
      total.deadLettered += r.deadLettered;
    }
    throw new Error('the relay kept claiming rows: something blocks it');
  }

  it('sets aside a row whose payload does not parse or whose topic no queue handles, with its reason, and relays the rows behind it', async () => {
    await pushes.obliterate({ force: true });
    await database.sql`delete from outbox`;
    const shop = await makeShop();
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
      aggregateId: shop.crafterId,
      payload: { crafterId: shop.crafterId, version: 2 },
    });
    const good: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { productId, listingId } = await makeListedProduct(shop);
      good.push(listingId);
      await enqueueOutbox(database.db, productEvent(shop, productId, 1));
    }

    expect(await relayAll()).toEqual({ relayed: 3, deadLettered: 13 });
    const waiting = await pushes.getJobs(['waiting']);
    expect(listingIdsOf(waiting)).toEqual([...good].sort());

    const dead = await database.sql<{ topic: string; reason: string; relayed: boolean }[]>`
      select topic, dead_letter_reason as reason, relayed_at is not null as relayed
      from outbox where dead_lettered_at is not null order by id`;
    expect(dead).toHaveLength(13);
    expect(dead.every((d) => !d.relayed)).toBe(true);
    expect(dead[0]?.reason).toMatch(/payload does not parse: productId: /);
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
    await pushes.obliterate({ force: true });
    await database.sql`delete from outbox`;
    const shop = await makeShop();
    const [flaky, fine] = [await makeListedProduct(shop), await makeListedProduct(shop)];
    for (const { productId } of [flaky, fine]) {
      await enqueueOutbox(database.db, productEvent(shop, productId, 1));
    }
    // A route that reads something that is not there yet (as the per-listing route reading listings
    // while Postgres fails over would).
    const routes = (topic: string) =>
      routesOf(topic).map(
        (route): OutboxRoute =>
          (row, ctx) => {
            if (row.aggregateId === flaky.productId) throw new Error('listings unavailable');
            return route(row, ctx);
          },
      );
    const first = await relayOutboxBatch(database.db, [pushes], { routes });
    expect(first).toMatchObject({ claimed: 2, relayed: 1, deadLettered: 0, routeFailures: 1 });
    expect(listingIdsOf(await pushes.getJobs(['waiting']))).toEqual([fine.listingId]);
    // Leased: not claimed again until the lease lapses.
    expect((await relayOutboxBatch(database.db, [pushes], { routes })).claimed).toBe(0);
    await database.sql`
      update outbox set claimed_until = now() - interval '1 second', attempts = ${MAX_ROUTE_ATTEMPTS - 1}
      where aggregate_id = ${flaky.productId}`;
    expect(await relayOutboxBatch(database.db, [pushes], { routes })).toMatchObject({
      claimed: 1,
      deadLettered: 1,
    });
    const [row] = await database.sql<{ reason: string }[]>`
      select dead_letter_reason as reason from outbox where aggregate_id = ${flaky.productId}`;
    expect(row?.reason).toBe(`routing failed ${MAX_ROUTE_ATTEMPTS} times, last: listings unavailable`);
  });

  it('holds no Postgres transaction open while Redis does not answer, gives up within its bound and leaves the rows for the next attempt', async () => {
    await database.sql`delete from outbox`;
    const shop = await makeShop();
    const { productId, listingId } = await makeListedProduct(shop);
    await enqueueOutbox(database.db, productEvent(shop, productId, 1));
    const silent = await startSilentRedis();
    const hungConnection = createQueueRedis(silent.url);
    hungConnection.on('error', () => {});
    const hungQueue = createQueue(PUSH_QUEUE.shopee, hungConnection, prefix);
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
    await pushes.obliterate({ force: true });
    expect(await relayOutboxBatch(database.db, [pushes])).toMatchObject({ claimed: 1, relayed: 1 });
    expect(listingIdsOf(await pushes.getJobs(['waiting']))).toEqual([listingId]);
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
