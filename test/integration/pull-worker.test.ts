/**
 * The pull-orders queue as the worker runs it (real BullMQ worker, Redis, Postgres, in-process
 * sandbox): schedules declared once however often workers start, the scan fanning out one pull per
 * active shop, and a throttled pull moved back to delayed without spending an attempt.
 */
import { randomUUID } from 'node:crypto';
import { type Job, type Queue, Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelPullRuns } from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { type ChannelRuntime, createChannelRuntime } from '../../src/services/channel-runtime.js';
import { processPullOrders } from '../../workers/processors/pull-orders.js';
import { declarePullSchedules } from '../../workers/scheduler.js';
import { makeConnection } from '../factories/connections.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { type ChannelSandbox, startChannelSandbox } from '../helpers/channel-sandbox.js';
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

async function connectShopee(): Promise<string> {
  const link = await api.app.inject({
    method: 'POST',
    url: `/v1/crafters/${crafter.id}/connections/shopee/authorize`,
    headers: api.auth(user),
  });
  const redirect = await fetch(new URL(link.json().authorizationUrl), { redirect: 'manual' });
  const location = new URL(redirect.headers.get('location') as string);
  const res = await api.app.inject({ method: 'GET', url: `${location.pathname}${location.search}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().id;
}

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

beforeAll(async () => {
  channels = await startChannelSandbox();
  api = await startTestApi('pulls_worker', channels.env, { withQueues: true });
  queue = api.queues.find((q) => q.name === QUEUE.pullOrders) as Queue;
  redis = createQueueRedis('redis://127.0.0.1:6379');
  runtime = createChannelRuntime({
    db: api.database.db,
    redis,
    prefix,
    channels: api.config.channels,
    imagePolicy: { maxBytes: 5_000_000, timeoutMs: 5_000, allowedPrivateOrigins: [] },
    breakerFailures: 1_000,
  });
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
          pulls: { intervalMinutes: 5, overlapMinutes: 10, initialLookbackDays: 60, failureAlertAfter: 3 },
          breakerOpenMs: 10_000,
          pullQueue: queue,
        },
        job,
        token,
      ),
    { connection: redis, prefix: api.config.queuePrefix, concurrency: 2 },
  );
});

afterAll(async () => {
  await worker?.close();
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
});
