/**
 * The pull pipeline against the real sandbox (Shopee, in-process), Postgres and Redis: a shop connected
 * through the authorization flow, orders scripted in the sandbox, pulled by `pullConnectionOrders` and
 * the processor's failure handling. The shop sells SKUs the crafter's catalogue does not have, so the
 * lines are kept unmatched and no stock moves: this suite is about pages, cursors and runs.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/types.js';
import {
  alerts,
  channelConnections,
  channelPullRuns,
  channelSyncCursors,
  orderLines,
  orders,
  salesDailyRollups,
} from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { QUEUE } from '../../src/queues/definitions.js';
import { queuePulls } from '../../src/queues/pulls.js';
import type { ChannelRuntime } from '../../src/services/channel-runtime.js';
import {
  LocalPullError,
  type OrderPullDeps,
  pullConnectionOrders,
  RemotePullError,
  recordPullFailure,
} from '../../src/services/order-pull.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import {
  type ChannelSandbox,
  sandboxRuntime,
  shopeeShopWithItem,
  startChannelSandbox,
} from '../helpers/channel-sandbox.js';
import { control } from '../sandbox/shopee/client.js';

let channels: ChannelSandbox;
let api: TestApi;
let redis: Redis;
let runtime: ChannelRuntime;
let crafter: { id: string };
let user: Principal;
const prefix = `pulls_order_pull_${Date.now()}`;
const DAY_S = 86_400;

const sandboxNow = () => new Date(channels.sandbox.ctx.clock.nowMs());

const deps = (extra: Partial<OrderPullDeps> = {}): OrderPullDeps => ({
  db: api.database.db,
  adapters: runtime.adapters,
  guard: runtime.guard,
  keyring: api.config.credentialsKeyring,
  // One transaction per page: most tests below pin what happens between pages.
  pulls: {
    intervalMinutes: 5,
    overlapMinutes: 10,
    initialLookbackDays: 60,
    failureAlertAfter: 3,
    ingestBatchOrders: 1,
  },
  now: sandboxNow,
  ...extra,
});

/** A shop with one live single-SKU item. Its SKU is not in the crafter's catalogue: the lines are
 * kept unmatched, no stock moves. */
const shopWithItem = () => shopeeShopWithItem(api, channels, user, crafter.id, 'PULL');

/** Scripts `count` paid orders over the last few days in the sandbox shop. */
async function scriptOrders(shop: { shopId: number; sku: string }, count: number): Promise<string[]> {
  const now = channels.sandbox.ctx.clock.nowSeconds();
  const made = await control(channels.sandbox, 'POST', '/shopee/orders', {
    shopId: shop.shopId,
    orders: Array.from({ length: count }, (_, i) => ({
      createTime: now - 3 * DAY_S + i * 60,
      status: 'READY_TO_SHIP',
      lines: [{ sku: shop.sku, quantity: 1 + (i % 3) }],
    })),
  });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return (made.body.orders as Array<{ orderSn: string }>).map((o) => o.orderSn);
}

async function storedOrderCount(connectionId: string): Promise<number> {
  const [row] = await api.database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(orders)
    .where(eq(orders.connectionId, connectionId));
  return row?.n ?? 0;
}

async function runsOf(connectionId: string) {
  return api.database.db
    .select()
    .from(channelPullRuns)
    .where(eq(channelPullRuns.connectionId, connectionId))
    .orderBy(asc(channelPullRuns.startedAt));
}

async function cursorOf(connectionId: string) {
  const [row] = await api.database.db
    .select()
    .from(channelSyncCursors)
    .where(and(eq(channelSyncCursors.connectionId, connectionId), eq(channelSyncCursors.stream, 'orders')));
  return row;
}

/** Everything the figures are made of, for "a replay changes nothing". */
async function figures(connectionId: string): Promise<string> {
  const db = api.database.db;
  const o = await db
    .select({
      id: orders.id,
      status: orders.status,
      counted: orders.counted,
      updatedAt: orders.updatedAt,
    })
    .from(orders)
    .where(eq(orders.connectionId, connectionId))
    .orderBy(asc(orders.id));
  const l = await db
    .select()
    .from(orderLines)
    .innerJoin(orders, eq(orders.id, orderLines.orderId))
    .where(eq(orders.connectionId, connectionId))
    .orderBy(asc(orderLines.id));
  const r = await db
    .select()
    .from(salesDailyRollups)
    .where(eq(salesDailyRollups.connectionId, connectionId))
    .orderBy(asc(salesDailyRollups.grain), asc(salesDailyRollups.day));
  return JSON.stringify({ o, l: l.map((x) => x.order_lines), r });
}

beforeAll(async () => {
  channels = await startChannelSandbox();
  api = await startTestApi('pulls_order_pull', channels.env, { withQueues: true });
  redis = createQueueRedis('redis://127.0.0.1:6379');
  runtime = sandboxRuntime(api, channels, redis, prefix, { sandboxClock: 'now', breakerFailures: 1_000 });
  // Items are live at once; the sandbox clock stays near ours (the API signs links with real time).
  channels.shopee.control.configure({ reviewDelayMs: 0 });
  crafter = await makeCrafter(api.database.db);
  user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await api?.close();
  await channels?.close();
});

describe('incremental pull', () => {
  it('ingests every order page by page, each page with its cursor move and run counts, then the watermark', async () => {
    const shop = await shopWithItem();
    const sns = await scriptOrders(shop, 130);
    const seenAfterPage: Array<{ stored: number; fetched: number; next: boolean }> = [];
    const result = await pullConnectionOrders(
      deps({
        afterPage: async () => {
          const [run] = await runsOf(shop.connectionId);
          const cursor = await cursorOf(shop.connectionId);
          seenAfterPage.push({
            stored: await storedOrderCount(shop.connectionId),
            fetched: run?.fetched ?? -1,
            next: ((cursor?.cursor as { next?: unknown } | null)?.next ?? null) !== null,
          });
        },
      }),
      { connectionId: shop.connectionId, reason: 'schedule' },
    );
    expect(result).toMatchObject({ outcome: 'succeeded', fetched: 130, inserted: 130, updated: 0 });
    expect(result.pages).toBeGreaterThan(1);
    // After each committed page, the stored orders, the run's count and the cursor agree.
    for (const seen of seenAfterPage.slice(0, -1)) {
      expect(seen.stored).toBe(seen.fetched);
      expect(seen.next).toBe(true);
    }
    expect(seenAfterPage.at(-1)).toEqual({ stored: 130, fetched: 130, next: false });
    const stored = await api.database.db
      .select({ id: orders.externalOrderId })
      .from(orders)
      .where(eq(orders.connectionId, shop.connectionId));
    expect(stored.map((o) => o.id).sort()).toEqual([...sns].sort());

    const [run] = await runsOf(shop.connectionId);
    expect(run).toMatchObject({ status: 'succeeded', reason: 'schedule', fetched: 130, inserted: 130 });
    expect(run?.error).toBeNull();
    // First pull: the configured lookback; the watermark is the window's end.
    const cursor = await cursorOf(shop.connectionId);
    expect(cursor?.cursor).toBeNull();
    expect(cursor?.watermark?.toISOString()).toBe(result.window?.to);
    expect(
      new Date(result.window?.to as string).getTime() - new Date(result.window?.from as string).getTime(),
    ).toBe(60 * DAY_S * 1000);

    // The next pull starts at the watermark minus the overlap and finds nothing new.
    await control(channels.sandbox, 'POST', '/clock', { advanceMs: 20_000 });
    const again = await pullConnectionOrders(deps(), { connectionId: shop.connectionId, reason: 'webhook' });
    expect(new Date(again.window?.from as string).getTime()).toBe(
      Number(cursor?.watermark?.getTime()) - 10 * 60_000,
    );
    expect(again).toMatchObject({ outcome: 'succeeded', inserted: 0, updated: 0 });
    expect(await storedOrderCount(shop.connectionId)).toBe(130);
  });

  it('pages are stored several at a time; a platform failure part-way stores the pages read before it', async () => {
    const shop = await shopWithItem();
    await scriptOrders(shop, 230);
    const batched = (ingestBatchOrders: number, failOnCall?: number): OrderPullDeps => {
      const base = deps();
      const shopee = base.adapters.shopee as ChannelAdapter;
      let calls = 0;
      const adapter = Object.create(shopee, {
        pullOrders: {
          value: (...args: Parameters<ChannelAdapter['pullOrders']>) => {
            calls += 1;
            if (calls === failOnCall) return Promise.reject(new Error('platform down'));
            return shopee.pullOrders(...args);
          },
        },
      }) as ChannelAdapter;
      return { ...base, adapters: { shopee: adapter }, pulls: { ...base.pulls, ingestBatchOrders } };
    };
    // Batches of 250 orders: pages 1 and 2 (200 orders) are gathered, page 3 fails; the two are stored.
    const committed: number[] = [];
    const failed = await pullConnectionOrders(
      { ...batched(250, 3), afterPage: (pages) => void committed.push(pages) },
      { connectionId: shop.connectionId, reason: 'schedule' },
    ).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(await storedOrderCount(shop.connectionId)).toBe(200);
    const [open] = await runsOf(shop.connectionId);
    expect(open).toMatchObject({ status: 'running', fetched: 200 });
    // The next attempt reads only the rest, in one transaction.
    const resumed = await pullConnectionOrders(
      { ...batched(1000), afterPage: (pages) => void committed.push(pages) },
      { connectionId: shop.connectionId, reason: 'schedule' },
    );
    expect(resumed).toMatchObject({ outcome: 'succeeded', runId: open?.id, fetched: 30 });
    expect(committed).toEqual([resumed.pages]);
    expect(await storedOrderCount(shop.connectionId)).toBe(230);
    const runs = await runsOf(shop.connectionId);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded', fetched: 230, inserted: 230 });
  });

  it('a pull that dies after its first page resumes at the stored cursor: no order twice, one run', async () => {
    const shop = await shopWithItem();
    await scriptOrders(shop, 130);
    const crash = new Error('worker killed');
    await expect(
      pullConnectionOrders(
        deps({
          afterPage: (page) => {
            if (page === 1) throw crash;
          },
        }),
        { connectionId: shop.connectionId, reason: 'schedule' },
      ),
    ).rejects.toBe(crash);
    const afterCrash = await storedOrderCount(shop.connectionId);
    expect(afterCrash).toBeGreaterThan(0);
    expect(afterCrash).toBeLessThan(130);
    const [open] = await runsOf(shop.connectionId);
    expect(open).toMatchObject({ status: 'running', fetched: afterCrash });
    expect(await cursorOf(shop.connectionId)).toMatchObject({ watermark: null });

    const resumed = await pullConnectionOrders(deps(), {
      connectionId: shop.connectionId,
      reason: 'schedule',
    });
    // Only the pages after the committed one were fetched again.
    expect(resumed).toMatchObject({ outcome: 'succeeded', runId: open?.id, fetched: 130 - afterCrash });
    expect(await storedOrderCount(shop.connectionId)).toBe(130);
    const runs = await runsOf(shop.connectionId);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded', fetched: 130, inserted: 130 });
  });

  it('a page whose ingest fails moves no cursor and stores none of its orders; the next pull resumes there', async () => {
    const shop = await shopWithItem();
    await scriptOrders(shop, 130);
    // The database refuses the 101st order of this shop: page 1 (100 orders) commits, page 2 fails inside
    // its transaction, after some of its rows were written.
    await api.database.sql.unsafe(`
      create function pulls_test_refuse_101st() returns trigger language plpgsql as $$
      begin
        if (select count(*) from orders where connection_id = new.connection_id) >= 100 then
          raise exception 'refused by the test';
        end if;
        return new;
      end $$;
      create trigger pulls_test_refuse_101st before insert on orders for each row
        when (new.connection_id = '${shop.connectionId}') execute function pulls_test_refuse_101st();
    `);
    let failed: unknown;
    try {
      failed = await pullConnectionOrders(deps(), {
        connectionId: shop.connectionId,
        reason: 'schedule',
      }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(LocalPullError);
      expect(
        await recordPullFailure(deps(), shop.connectionId, failed, {
          circuitOpen: false,
          breakerOpenMs: 1,
          exhausted: true,
        }),
      ).toEqual({ action: 'retry' });
    } finally {
      await api.database.sql.unsafe(
        'drop trigger pulls_test_refuse_101st on orders; drop function pulls_test_refuse_101st();',
      );
    }
    expect(await storedOrderCount(shop.connectionId)).toBe(100);
    const [run] = await runsOf(shop.connectionId);
    expect(run).toMatchObject({ status: 'failed', fetched: 100, inserted: 100 });
    expect(run?.error).toMatch(/internal error/);
    const cursor = await cursorOf(shop.connectionId);
    expect(cursor?.watermark).toBeNull();
    expect((cursor?.cursor as { next?: unknown } | null)?.next).toBeTruthy();

    const resumed = await pullConnectionOrders(deps(), {
      connectionId: shop.connectionId,
      reason: 'schedule',
    });
    expect(resumed).toMatchObject({ outcome: 'succeeded', fetched: 30, inserted: 30 });
    expect(resumed.window).toEqual({ from: run?.windowFrom.toISOString(), to: run?.windowTo.toISOString() });
    expect(await storedOrderCount(shop.connectionId)).toBe(130);
    expect((await runsOf(shop.connectionId)).map((r) => r.status)).toEqual(['failed', 'succeeded']);
  });

  it('a replayed pull (the same window again) changes no order, line or rollup, and leaves the watermark', async () => {
    const shop = await shopWithItem();
    await scriptOrders(shop, 40);
    const first = await pullConnectionOrders(deps(), { connectionId: shop.connectionId, reason: 'schedule' });
    const before = await figures(shop.connectionId);
    const watermark = (await cursorOf(shop.connectionId))?.watermark;
    const window = first.window as { from: string; to: string };
    for (let i = 0; i < 2; i += 1) {
      const replay = await pullConnectionOrders(deps(), {
        connectionId: shop.connectionId,
        reason: 'nightly',
        window,
      });
      expect(replay).toMatchObject({ outcome: 'succeeded', fetched: 40, inserted: 0, updated: 0 });
    }
    expect(await figures(shop.connectionId)).toBe(before);
    expect((await cursorOf(shop.connectionId))?.watermark).toEqual(watermark);
    // The windowed pulls kept no paging state behind.
    const cursors = await api.database.db
      .select()
      .from(channelSyncCursors)
      .where(eq(channelSyncCursors.connectionId, shop.connectionId));
    expect(cursors.map((c) => c.stream)).toEqual(['orders']);
  });

  it('a status change in the sandbox is picked up by the next pull, in place', async () => {
    const shop = await shopWithItem();
    const [sn] = await scriptOrders(shop, 3);
    await pullConnectionOrders(deps(), { connectionId: shop.connectionId, reason: 'schedule' });
    await control(channels.sandbox, 'POST', '/clock', { advanceMs: 20_000 });
    const moved = await control(channels.sandbox, 'POST', `/shopee/orders/${sn}/status`, {
      status: 'CANCELLED',
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await control(channels.sandbox, 'POST', '/clock', { advanceMs: 20_000 });
    const next = await pullConnectionOrders(deps(), { connectionId: shop.connectionId, reason: 'webhook' });
    expect(next).toMatchObject({ outcome: 'succeeded', inserted: 0, updated: 1 });
    const [row] = await api.database.db
      .select({ status: orders.status })
      .from(orders)
      .where(and(eq(orders.connectionId, shop.connectionId), eq(orders.externalOrderId, sn as string)));
    expect(row?.status).toBe('cancelled');
    expect(await storedOrderCount(shop.connectionId)).toBe(3);
  });
});

describe('failures', () => {
  it('a failing platform leaves failed runs (never a succeeded one), raises pull_failing after 3, resolved by a success', async () => {
    const shop = await shopWithItem();
    await scriptOrders(shop, 5);
    await control(channels.sandbox, 'PUT', '/faults', [
      { platform: 'shopee', endpoint: '/api/v2/order/get_order_list', errorRate: 1 },
    ]);
    const openAlerts = () =>
      api.database.db
        .select()
        .from(alerts)
        .where(
          and(eq(alerts.dedupeKey, `pull_failing:${shop.connectionId}`), sql`${alerts.resolvedAt} is null`),
        );
    try {
      // Three pulls, each a job of two attempts: the first attempt keeps the run open for the retry
      // (error noted, no alert), the last one fails it.
      for (let pull = 1; pull <= 3; pull += 1) {
        for (const exhausted of [false, true]) {
          const err = await pullConnectionOrders(deps(), {
            connectionId: shop.connectionId,
            reason: 'schedule',
          }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(RemotePullError);
          const action = await recordPullFailure(deps(), shop.connectionId, err, {
            circuitOpen: false,
            breakerOpenMs: 10_000,
            exhausted,
          });
          expect(action).toEqual({ action: 'retry' });
          const latest = (await runsOf(shop.connectionId)).at(-1);
          expect(latest?.status).toBe(exhausted ? 'failed' : 'running');
          expect(latest?.error).toMatch(/marketplace|Shopee/i);
          expect(await openAlerts()).toHaveLength(pull === 3 && exhausted ? 1 : 0);
        }
      }
    } finally {
      await control(channels.sandbox, 'DELETE', '/faults');
    }
    const runs = await runsOf(shop.connectionId);
    expect(runs.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    for (const run of runs) {
      expect(run.error).toMatch(/marketplace|Shopee/i);
      expect(run.finishedAt).not.toBeNull();
    }
    expect(await storedOrderCount(shop.connectionId)).toBe(0);
    const [alert] = await openAlerts();
    expect(alert).toMatchObject({ kind: 'pull_failing', crafterId: crafter.id });

    const ok = await pullConnectionOrders(deps(), { connectionId: shop.connectionId, reason: 'schedule' });
    expect(ok).toMatchObject({ outcome: 'succeeded', inserted: 5 });
    expect(await openAlerts()).toHaveLength(0);
    expect((await runsOf(shop.connectionId)).map((r) => r.status)).toEqual([
      'failed',
      'failed',
      'failed',
      'succeeded',
    ]);
  });

  it('a throttle delays the pull without failing it: the run stays open and the next attempt finishes it', async () => {
    const shop = await shopWithItem();
    await scriptOrders(shop, 5);
    await control(channels.sandbox, 'PUT', '/faults', [
      { platform: 'shopee', endpoint: '/api/v2/order/get_order_list', throttleRate: 1 },
    ]);
    let action: unknown;
    try {
      const err = await pullConnectionOrders(deps(), {
        connectionId: shop.connectionId,
        reason: 'schedule',
      }).catch((e: unknown) => e);
      action = await recordPullFailure(deps(), shop.connectionId, err, {
        circuitOpen: false,
        breakerOpenMs: 1,
        exhausted: false,
      });
    } finally {
      await control(channels.sandbox, 'DELETE', '/faults');
    }
    expect(action).toMatchObject({ action: 'delay', reason: 'throttled' });
    const [open] = await runsOf(shop.connectionId);
    expect(open?.status).toBe('running');
    const done = await pullConnectionOrders(deps(), { connectionId: shop.connectionId, reason: 'schedule' });
    expect(done).toMatchObject({ outcome: 'succeeded', runId: open?.id, inserted: 5 });
    expect(await runsOf(shop.connectionId)).toHaveLength(1);
  });

  it('a refused token marks the connection reauth_required; it is not pulled until reconnected', async () => {
    const shop = await shopWithItem();
    await api.database.db
      .update(channelConnections)
      .set(
        (await import('../../src/services/connections.js')).sealSecrets(
          api.config.credentialsKeyring,
          shop.connectionId,
          { kind: 'oauth', accessToken: 'revoked-token', refreshToken: 'rt' },
        ),
      )
      .where(eq(channelConnections.id, shop.connectionId));
    const err = await pullConnectionOrders(deps(), {
      connectionId: shop.connectionId,
      reason: 'schedule',
    }).catch((e: unknown) => e);
    const action = await recordPullFailure(deps(), shop.connectionId, err, {
      circuitOpen: false,
      breakerOpenMs: 1,
      exhausted: false,
    });
    expect(action).toEqual({ action: 'done' });
    const [conn] = await api.database.db
      .select({ status: channelConnections.status })
      .from(channelConnections)
      .where(eq(channelConnections.id, shop.connectionId));
    expect(conn?.status).toBe('reauth_required');
    expect((await runsOf(shop.connectionId)).map((r) => r.status)).toEqual(['failed']);
    const skipped = await pullConnectionOrders(deps(), {
      connectionId: shop.connectionId,
      reason: 'schedule',
    });
    expect(skipped).toMatchObject({ outcome: 'skipped', reason: 'reauth_required' });
  });
});

describe('queueing', () => {
  it('one pull waits per connection however often it is asked for', async () => {
    const queue = api.queues.find((q) => q.name === QUEUE.pullOrders);
    if (!queue) throw new Error('no pull queue');
    const a = randomUUID();
    const b = randomUUID();
    await queuePulls(queue, [a, b], 'schedule');
    await queuePulls(queue, [a], 'webhook');
    await queuePulls(queue, [a, b], 'webhook');
    const waiting = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(waiting.map((j) => (j.data as { connectionId: string }).connectionId).sort()).toEqual(
      [a, b].sort(),
    );
  });
});
