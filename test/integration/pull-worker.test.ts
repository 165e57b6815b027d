/**
 * The pull-orders queue as the worker runs it (real BullMQ worker, Redis, Postgres, in-process
 * sandbox): schedules declared once however often workers start, the scan fanning out one pull per
 * active shop, a throttled pull moved back to delayed without spending an attempt, and a sale whose
 * signed push, delivered by the sandbox over HTTP, gets the order pulled.
 */
import { randomUUID } from 'node:crypto';
import { type Job, type Queue, Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShopeeLostPushClient } from '../../src/channels/shopee/index.js';
import { channelPullRuns, orders } from '../../src/db/schema/index.js';
import { freePort } from '../../src/dev/ports.js';
import type { Principal } from '../../src/domain/scope.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { relayOutboxBatch } from '../../src/outbox/relay.js';
import { routesOf } from '../../src/outbox/routes.js';
import { QUEUE } from '../../src/queues/definitions.js';
import type { ChannelRuntime } from '../../src/services/channel-runtime.js';
import { processPullOrders } from '../../workers/processors/pull-orders.js';
import { declarePullSchedules } from '../../workers/scheduler.js';
import { makeConnection } from '../factories/connections.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import {
  type ChannelSandbox,
  connectShopeeShop,
  sandboxRuntime,
  shopeeShopWithItem,
  startChannelSandbox,
} from '../helpers/channel-sandbox.js';
import { control } from '../sandbox/shopee/client.js';

let channels: ChannelSandbox;
let api: TestApi;
let redis: Redis;
let runtime: ChannelRuntime;
let queue: Queue;
let worker: Worker;
let crafter: { id: string };
let user: Principal;
const prefix = `pulls_worker_${Date.now()}`;

const connectShopee = async () => (await connectShopeeShop(api, user, crafter.id)).id;

/** A connected shop with one live item, made with the shop's own token. */
const shopWithItem = () => shopeeShopWithItem(api, channels, user, crafter.id, 'HOOK');

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const runsOf = (connectionId: string) =>
  api.database.db.select().from(channelPullRuns).where(eq(channelPullRuns.connectionId, connectionId));

/** Waits for a succeeded webhook-reason pull of the shop, then expects the order stored once. */
async function pulledByWebhook(connectionId: string, orderSn: string, what: string): Promise<void> {
  await until(what, async () =>
    (await runsOf(connectionId)).some((r) => r.reason === 'webhook' && r.status === 'succeeded')
      ? true
      : undefined,
  );
  const stored = await api.database.db
    .select({ id: orders.id })
    .from(orders)
    .where(eq(orders.externalOrderId, orderSn));
  expect(stored).toHaveLength(1);
}

beforeAll(async () => {
  channels = await startChannelSandbox();
  // The API listens for real: the sandbox delivers its signed webhooks over HTTP, to the URL it signs.
  const port = await freePort();
  api = await startTestApi(
    'pulls_worker',
    { ...channels.env, WEBHOOK_PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
    { withQueues: true },
  );
  await api.app.listen({ host: '127.0.0.1', port });
  channels.shopee.control.configure({
    reviewDelayMs: 0,
    app: {
      partnerId: channels.shopeePartner.partnerId,
      pushCallbackUrl: `${api.config.webhookBaseUrl}/v1/webhooks/shopee`,
    },
  });
  queue = api.queues.find((q) => q.name === QUEUE.pullOrders) as Queue;
  redis = createQueueRedis('redis://127.0.0.1:6379');
  runtime = sandboxRuntime(api, channels, redis, prefix, { breakerFailures: 1_000 });
  crafter = await makeCrafter(api.database.db);
  user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  worker = new Worker(
    QUEUE.pullOrders,
    (job, token) =>
      processPullOrders(
        {
          db: api.database.db,
          adapters: runtime.adapters,
          guard: runtime.guard,
          keyring: api.config.credentialsKeyring,
          pulls: {
            intervalMinutes: 5,
            overlapMinutes: 10,
            initialLookbackDays: 60,
            failureAlertAfter: 3,
            ingestBatchOrders: 500,
          },
          breakerOpenMs: 10_000,
          pullQueue: queue,
          shopeeLostPush: createShopeeLostPushClient({
            baseUrl: `${channels.env.SANDBOX_URL}/shopee`,
            partnerId: channels.shopeePartner.partnerId,
            partnerKey: channels.shopeePartner.partnerKey,
            timeoutMs: 5_000,
          }),
        },
        job,
        token,
      ),
    { connection: redis, prefix: api.config.queuePrefix, concurrency: 2 },
  );
});

afterAll(async () => {
  await worker?.close();
  if (!redis) return;
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await api?.close();
  await channels?.close();
});

describe('pull-orders worker', () => {
  it('declaring the schedules on every worker start leaves one of each', async () => {
    for (let start = 0; start < 5; start += 1) await declarePullSchedules(queue, 5);
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(['pulls:scan', 'pulls:shopee-lost-push']);
    for (const s of schedulers) await queue.removeJobScheduler(s.key);
  });

  it('the scan pulls every active shop and no other', async () => {
    const active = await connectShopee();
    const keyring = api.config.credentialsKeyring;
    const waiting = await makeConnection(api.database.db, keyring, crafter.id, { status: 'reauth_required' });
    const gone = await makeConnection(api.database.db, keyring, crafter.id, {
      status: 'disconnected',
      secretsSealed: null,
      secretsKeyId: null,
    });
    await queue.add('scan', { task: 'scan' }, { jobId: `scan-${randomUUID()}` });
    const [run] = await until('a pull of the active shop', async () => {
      const runs = await runsOf(active);
      return runs.some((r) => r.reason === 'schedule' && r.status === 'succeeded') ? runs : undefined;
    });
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(await runsOf(waiting)).toEqual([]);
    expect(await runsOf(gone)).toEqual([]);
  });

  it('a throttled pull goes back to delayed without spending an attempt, and finishes its run later', async () => {
    const connectionId = await connectShopee();
    await control(channels.sandbox, 'PUT', '/faults', [
      { platform: 'shopee', endpoint: '/api/v2/order/get_order_list', throttleRate: 1 },
    ]);
    let job: Job | undefined;
    try {
      job = await queue.add(
        'pull',
        { connectionId, reason: 'manual' },
        { jobId: `throttled-${randomUUID()}` },
      );
      const id = job.id as string;
      const delayed = await until('the job to be delayed', async () => {
        const current = await queue.getJob(id);
        return current && (await current.getState()) === 'delayed' ? current : undefined;
      });
      expect(delayed.attemptsMade).toBe(0);
      const open = (await runsOf(connectionId)).filter((r) => r.status === 'running');
      expect(open).toHaveLength(1);
    } finally {
      await control(channels.sandbox, 'DELETE', '/faults');
    }
    const id = job?.id as string;
    await (await queue.getJob(id))?.promote();
    await until('the job to complete', async () => {
      const current = await queue.getJob(id);
      return current && (await current.getState()) === 'completed' ? true : undefined;
    });
    const runs = await runsOf(connectionId);
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
    expect(runs.some((r) => r.status === 'failed')).toBe(false);
  });

  it('a sale in the sandbox shop: its signed push reaches the webhook route, which queues the pull that stores it', async () => {
    const { connectionId, shopId, sku } = await shopWithItem();

    const made = await control(channels.sandbox, 'POST', '/shopee/orders', {
      shopId,
      orders: [{ status: 'READY_TO_SHIP', lines: [{ sku, quantity: 2 }] }],
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const orderSn = (made.body.orders as Array<{ orderSn: string }>)[0]?.orderSn as string;
    // A webhook-triggered pull finishes (its pages may commit one by one), with the order stored.
    await pulledByWebhook(connectionId, orderSn, 'a succeeded webhook pull');
  });

  it('a push Shopee could not deliver comes back through the lost-push scan, which queues the pull, once', async () => {
    const { connectionId, shopId, sku } = await shopWithItem();
    // No callback: every push of this partner is lost until read back and confirmed.
    channels.shopee.control.configure({
      app: { partnerId: channels.shopeePartner.partnerId, pushCallbackUrl: null },
    });
    const made = await control(channels.sandbox, 'POST', '/shopee/orders', {
      shopId,
      orders: [{ status: 'READY_TO_SHIP', lines: [{ sku, quantity: 1 }] }],
    });
    const orderSn = (made.body.orders as Array<{ orderSn: string }>)[0]?.orderSn as string;
    const scan = await queue.add(
      'shopee-lost-push',
      { task: 'shopee-lost-push' },
      { jobId: `lost-${randomUUID()}` },
    );
    const result = await until('the lost-push scan', async () => {
      const job = await queue.getJob(scan.id as string);
      return job?.returnvalue ?? undefined;
    });
    expect(result).toEqual({ task: 'shopee-lost-push', queued: 1 });
    await pulledByWebhook(connectionId, orderSn, 'a succeeded pull after the lost push');
    // Confirmed consumed: the next scan finds nothing.
    const again = await queue.add(
      'shopee-lost-push',
      { task: 'shopee-lost-push' },
      { jobId: `lost-${randomUUID()}` },
    );
    expect(
      await until(
        'the second scan',
        async () => (await queue.getJob(again.id as string))?.returnvalue ?? undefined,
      ),
    ).toEqual({ task: 'shopee-lost-push', queued: 0 });
  });

  it('a shop connected through the authorization flow gets its first pull at once, through the outbox', async () => {
    const connectionId = await connectShopee();
    const relayed = await relayOutboxBatch(api.database.db, [queue], {
      routes: (topic) => (topic === 'connection.pull_requested' ? routesOf(topic) : []),
    });
    expect(relayed.relayed).toBeGreaterThanOrEqual(1);
    const [run] = await until('the first pull', async () => {
      const runs = await runsOf(connectionId);
      return runs.some((r) => r.status === 'succeeded') ? runs : undefined;
    });
    expect(run).toMatchObject({ reason: 'manual', status: 'succeeded' });
  });
});
