/**
 * The nightly jobs (issue 9 §6): schedulers declared five times stay one each, on Jakarta time; the
 * complete pull of the previous Jakarta day queues one windowed pull per active connection, twice →
 * still one; the read-back finds a drift made directly in the sandbox shop and repairs it through
 * the push pipeline; the rollup rebuild run twice changes no figure; each run is one row per night,
 * readable (scoped) through GET /v1/ops/nightly-runs.
 */
import { type Queue, QueueEvents, Worker } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalListing, CanonicalOrder } from '../../src/channels/types.js';
import { parseNightlyArgs } from '../../src/cli/nightly.js';
import {
  channelConnections,
  channelListings,
  channelListingVariants,
  channelPullRuns,
  nightlyRuns,
  outbox,
} from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { createQueue } from '../../src/queues/connection.js';
import { type PullOrdersJob, QUEUE, SCHEDULE_TIMEZONE } from '../../src/queues/definitions.js';
import type { ChannelRuntime } from '../../src/services/channel-runtime.js';
import { connectionContext, pushListing, remoteRefOf } from '../../src/services/listing-push.js';
import {
  jakartaDayWindow,
  type NightlyDeps,
  previousJakartaDay,
  runNightlyJob,
} from '../../src/services/nightly.js';
import { ingestOrders } from '../../src/services/order-ingest.js';
import { pullConnectionOrders } from '../../src/services/order-pull.js';
import { processNightly } from '../../workers/processors/nightly.js';
import {
  CONNECTION_SCHEDULES,
  declareConnectionSchedules,
  declareNightlySchedules,
  declarePullSchedules,
  declareSchedules,
  NIGHTLY_SCHEDULES,
  pullSchedules,
  SCHEDULES,
} from '../../workers/scheduler.js';
import { makeConnection } from '../factories/connections.js';
import { KELURAHAN, makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import {
  type ChannelSandbox,
  connectShopeeShop,
  type PhotoServer,
  sandboxRuntime,
  servePhoto,
  startChannelSandbox,
} from '../helpers/channel-sandbox.js';
import { makePng } from '../sandbox/tiktok-shop/client.js';

let channels: ChannelSandbox;
let api: TestApi;
let redis: Redis;
let runtime: ChannelRuntime;
let pullQueue: Queue;
let photos: PhotoServer | undefined;
let photoOrigin: string;
let crafter: { id: string };
let user: Principal;
const prefix = `nightly_${Date.now()}`;

const deps = (): NightlyDeps => ({
  db: api.database.db,
  pullQueue,
  channels: {
    adapters: runtime.adapters,
    guard: runtime.guard,
    keyring: api.config.credentialsKeyring,
  },
  refresh: { channels: api.config.channels, keyring: api.config.credentialsKeyring },
});

beforeAll(async () => {
  channels = await startChannelSandbox();
  api = await startTestApi('nightly', channels.env);
  redis = createQueueRedis('redis://127.0.0.1:6379');
  pullQueue = createQueue(QUEUE.pullOrders, redis, prefix);
  photos = await servePhoto('/tas.png', makePng(600, 600));
  photoOrigin = photos.origin;
  // Shopee's wait between add_item and init_tier_variation passes on the sandbox clock.
  runtime = sandboxRuntime(api, channels, redis, prefix, { photoOrigin, sandboxClock: 'now-and-sleep' });
  crafter = await makeCrafter(api.database.db, { kelurahanCode: KELURAHAN.ciater });
  user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
});

afterAll(async () => {
  await pullQueue?.obliterate({ force: true });
  await pullQueue?.close();
  redis?.disconnect();
  await api?.close();
  await channels?.close();
  await photos?.close();
});

describe('Jakarta days', () => {
  it('a night is the Jakarta day before the run, its window [00:00, 24:00) WIB', () => {
    // 00:30 WIB on 2 December is 17:30 UTC on 1 December.
    expect(previousJakartaDay(new Date('2026-12-01T17:30:00Z'))).toBe('2026-12-01');
    // 06:59 WIB on 1 December (23:59 UTC on 30 November) closes 30 November.
    expect(previousJakartaDay(new Date('2026-11-30T23:59:00Z'))).toBe('2026-11-30');
    expect(jakartaDayWindow('2026-12-01')).toEqual({
      from: '2026-11-30T17:00:00.000Z',
      to: '2026-12-01T17:00:00.000Z',
    });
  });

  it('the command line takes a job and an optional night', () => {
    expect(parseNightlyArgs(['read-back'])).toEqual({ job: 'read-back' });
    expect(parseNightlyArgs(['pull-previous-day', '--day', '2026-11-30'])).toEqual({
      job: 'pull-previous-day',
      day: '2026-11-30',
    });
    expect(() => parseNightlyArgs(['sweep'])).toThrow(/usage/);
    expect(() => parseNightlyArgs(['read-back', '--day', '30/11/2026'])).toThrow(/usage/);
  });
});

describe('schedules', () => {
  it('declaring every schedule five times (five worker starts) leaves one scheduler per id, on Jakarta time', async () => {
    const restartPrefix = `${prefix}_restart`;
    const queues = {
      maintenance: createQueue(QUEUE.maintenance, redis, restartPrefix),
      connections: createQueue(QUEUE.connections, redis, restartPrefix),
      pulls: createQueue(QUEUE.pullOrders, redis, restartPrefix),
      nightly: createQueue(QUEUE.nightly, redis, restartPrefix),
    };
    try {
      for (let start = 0; start < 5; start += 1) {
        // What workers/main.ts does at every start.
        await declareSchedules(queues.maintenance);
        await declareConnectionSchedules(queues.connections);
        await declarePullSchedules(queues.pulls, api.config.pulls.intervalMinutes);
        await declareNightlySchedules(queues.nightly);
      }
      const expected: Array<[Queue, readonly { id: string; pattern: string }[]]> = [
        [queues.maintenance, SCHEDULES],
        [queues.connections, CONNECTION_SCHEDULES],
        [queues.pulls, pullSchedules(api.config.pulls.intervalMinutes)],
        [queues.nightly, NIGHTLY_SCHEDULES],
      ];
      for (const [queue, schedules] of expected) {
        const declared = await queue.getJobSchedulers(0, -1);
        expect(declared.map((s) => s.key).sort()).toEqual(schedules.map((s) => s.id).sort());
        // One delayed job per scheduler, not one per start.
        expect(await queue.getDelayedCount()).toBe(schedules.length);
        for (const s of declared) expect(s.tz).toBe(SCHEDULE_TIMEZONE);
      }
      // The nightly jobs' next runs fall at their WIB times (00:30, 01:00, 01:30, 03:00).
      const nightly = await queues.nightly.getJobSchedulers(0, -1);
      const wib = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Jakarta',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
      const at = Object.fromEntries(nightly.map((s) => [s.key, wib.format(new Date(Number(s.next)))]));
      expect(at).toEqual({
        'nightly:pull-previous-day': '00:30',
        'nightly:refresh-tokens': '01:00',
        'nightly:read-back': '01:30',
        'nightly:rebuild-rollups': '03:00',
      });
      for (const s of nightly) expect(Number(s.next)).toBeGreaterThan(Date.now());
    } finally {
      for (const q of Object.values(queues)) {
        await q.obliterate({ force: true });
        await q.close();
      }
    }
  });
});

describe('the nightly queue', () => {
  it('a scheduled job (no day) runs for the Jakarta night before it was scheduled', async () => {
    const nightly = createQueue(QUEUE.nightly, redis, prefix);
    const workerRedis = createQueueRedis('redis://127.0.0.1:6379');
    const eventsRedis = createQueueRedis('redis://127.0.0.1:6379');
    const worker = new Worker(QUEUE.nightly, (job) => processNightly(deps(), job), {
      connection: workerRedis,
      prefix,
    });
    const events = new QueueEvents(QUEUE.nightly, { connection: eventsRedis, prefix });
    try {
      await events.waitUntilReady();
      const job = await nightly.add('refresh-tokens', { job: 'refresh-tokens' });
      const result = await job.waitUntilFinished(events, 30_000);
      const expected = previousJakartaDay(new Date(job.timestamp));
      expect(result).toMatchObject({ job: 'refresh-tokens', day: expected });
      const [row] = await api.database.db
        .select()
        .from(nightlyRuns)
        .where(and(eq(nightlyRuns.job, 'refresh-tokens'), eq(nightlyRuns.day, expected)));
      expect(row).toMatchObject({ status: 'succeeded', runs: 1 });
    } finally {
      await events.close();
      await worker.close();
      workerRedis.disconnect();
      eventsRedis.disconnect();
      await nightly.obliterate({ force: true });
      await nightly.close();
    }
  });
});

describe('nightly pull of the previous Jakarta day', () => {
  it('queues one windowed pull per active connection; run twice, still one each and one run row', async () => {
    const db = api.database.db;
    const other = await makeCrafter(db, { kelurahanCode: KELURAHAN.pakulonan });
    const a = await makeConnection(db, api.config.credentialsKeyring, crafter.id);
    const b = await makeConnection(db, api.config.credentialsKeyring, other.id, { channel: 'tiktok_shop' });
    const waiting = await makeConnection(db, api.config.credentialsKeyring, crafter.id, {
      status: 'reauth_required',
    });
    const day = '2026-11-29';
    await runNightlyJob(deps(), 'pull-previous-day', day);
    await runNightlyJob(deps(), 'pull-previous-day', day);

    const jobs = await pullQueue.getJobs(['waiting', 'delayed', 'prioritized']);
    const active = (
      await db
        .select({ id: channelConnections.id })
        .from(channelConnections)
        .where(eq(channelConnections.status, 'active'))
    ).map((c) => c.id);
    expect(active).toEqual(expect.arrayContaining([a, b]));
    expect(jobs.map((j) => j.data.connectionId).sort()).toEqual([...active].sort());
    expect(jobs.some((j) => j.data.connectionId === waiting)).toBe(false);
    for (const job of jobs) {
      expect(job.data).toEqual({
        connectionId: job.data.connectionId,
        reason: 'nightly',
        window: { from: '2026-11-28T17:00:00.000Z', to: '2026-11-29T17:00:00.000Z' },
      });
    }
    const rows = await db.select().from(nightlyRuns).where(eq(nightlyRuns.job, 'pull-previous-day'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ day, status: 'succeeded', runs: 2 });

    // The pull of connection a ran (as the pull job records it): its counts show in the summary.
    await db.insert(channelPullRuns).values({
      connectionId: a,
      stream: 'orders',
      reason: 'nightly',
      windowFrom: new Date('2026-11-28T17:00:00.000Z'),
      windowTo: new Date('2026-11-29T17:00:00.000Z'),
      status: 'succeeded',
      fetched: 12,
      inserted: 3,
      updated: 2,
      failed: 0,
      finishedAt: new Date(),
    });
    const operator = await makeUser(db, 'operator');
    const res = await api.app.inject({
      method: 'GET',
      url: `/v1/ops/nightly-runs?from=${day}&to=${day}&job=pull-previous-day`,
      headers: api.auth(operator),
    });
    expect(res.statusCode, res.body).toBe(200);
    const [run] = res.json().items;
    const entry = (id: string) =>
      run.connections.find((c: { connectionId: string }) => c.connectionId === id);
    expect(entry(a).pull).toEqual({
      status: 'succeeded',
      fetched: 12,
      new: 3,
      updated: 2,
      failed: 0,
      error: null,
    });
    expect(entry(b).pull).toEqual({ status: 'not_run' });

    // A kelurahan admin of Ciater sees crafter's connection, not Pakulonan's.
    const admin = await makeUser(db, 'admin', { regionCode: KELURAHAN.ciater });
    const scoped = await api.app.inject({
      method: 'GET',
      url: `/v1/ops/nightly-runs?from=${day}&to=${day}`,
      headers: api.auth(admin),
    });
    const ids = scoped.json().items[0].connections.map((c: { connectionId: string }) => c.connectionId);
    expect(ids).toContain(a);
    expect(ids).not.toContain(b);
    expect(scoped.json().items[0].totals).toBeNull();
    // Bad ranges are 400s.
    for (const q of [
      '?from=2026-11-30&to=2026-11-01',
      '?from=2026-01-01&to=2026-12-01',
      '?job=sweep',
      '?from=yesterday',
    ]) {
      const bad = await api.app.inject({
        method: 'GET',
        url: `/v1/ops/nightly-runs${q}`,
        headers: api.auth(operator),
      });
      expect(bad.statusCode, q).toBe(400);
      expect(bad.json().code).toBe('validation_failed');
    }
    // Leave the other suites' connections out of the pulls below.
    await db.update(channelConnections).set({ status: 'disconnected' }).where(eq(channelConnections.id, b));
  });
});

describe('nightly read-back', () => {
  let shopee: { id: string; externalShopId: string };
  let skus: string[] = [];

  it('finds a price and stock changed in the shop behind our back, and pushes ours again', async () => {
    const db = api.database.db;
    shopee = await connectShopeeShop(api, user, crafter.id);
    const product = await makeProduct(db, crafter.id, {
      category: 'kerajinan/anyaman',
      title: 'Tas Anyaman Pandan Motif Ciater Handmade',
      description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
      imageUrls: [`${photoOrigin}/tas.png`],
      variants: [
        {
          sku: `NB-${Date.now()}-A`,
          options: { warna: 'merah' },
          priceIdr: 150_000,
          stock: 10,
          weightGrams: 400,
        },
        {
          sku: `NB-${Date.now()}-B`,
          options: { warna: 'hijau' },
          priceIdr: 175_000,
          stock: 7,
          weightGrams: 400,
        },
      ],
    });
    skus = product.variants.map((v) => v.sku);
    const [created] = await db
      .insert(channelListings)
      .values({ productId: product.id, connectionId: shopee.id })
      .returning({ id: channelListings.id });
    const listingId = (created as { id: string }).id;
    const pushDeps = {
      db,
      adapters: runtime.adapters,
      guard: runtime.guard,
      keyring: api.config.credentialsKeyring,
    };
    expect((await pushListing(pushDeps, listingId)).outcome).toBe('live');
    const day = '2026-11-30';
    const nightlyOf = async () => {
      const result = await runNightlyJob(deps(), 'read-back', day);
      const connections = result.summary.connections as Array<Record<string, unknown>>;
      return connections.find((c) => c.connectionId === shopee.id);
    };

    // In sync: checked, nothing drifted.
    expect(await nightlyOf()).toMatchObject({ checked: 1, drifted: 0, repaired: 0, failed: 0 });

    // The seller changes price and stock of the first model in the shop itself.
    const [listingRow] = await db.select().from(channelListings).where(eq(channelListings.id, listingId));
    if (!listingRow) throw new Error('no listing');
    const ref = await remoteRefOf(db, listingRow);
    const [conn] = await db.select().from(channelConnections).where(eq(channelConnections.id, shopee.id));
    if (!ref || !conn) throw new Error('no remote ref');
    const pushed = await db
      .select()
      .from(channelListingVariants)
      .where(eq(channelListingVariants.listingId, listingId))
      .orderBy(channelListingVariants.variantId);
    const adapter = runtime.adapters.shopee;
    if (!adapter) throw new Error('shopee not configured');
    const ctx = connectionContext({ keyring: api.config.credentialsKeyring }, conn);
    const remoteBefore = await adapter.read(ctx, ref);
    const tampered = {
      productId: product.id,
      version: 1,
      title: '',
      description: '',
      imageUrls: [],
      placement: {},
      variants: pushed.map((p, i) => ({
        variantId: p.variantId,
        sku: p.remoteSku ?? '',
        options: {},
        priceIdr: i === 0 ? (p.pushedPriceIdr ?? 0) + 11_000 : (p.pushedPriceIdr ?? 0),
        stock: i === 0 ? 1 : (p.pushedStock ?? 0),
        weightGrams: 400,
      })),
    } as unknown as CanonicalListing;
    await adapter.updatePriceAndStock(ctx, ref, tampered, { price: true, stock: true });
    const drifted = await adapter.read(ctx, ref);
    expect(drifted).not.toEqual(remoteBefore);

    const outboxBefore = await pushRequests(listingId);
    expect(await nightlyOf()).toMatchObject({
      checked: 1,
      drifted: 1,
      repaired: 1,
      failed: 0,
      drifts: { price: 1, stock: 1 },
    });
    // The repair went through the push pipeline: one push request for the listing.
    expect(await pushRequests(listingId)).toBe(outboxBefore + 1);
    const push = await pushListing(pushDeps, listingId);
    expect(push.outcome).toBe('live');
    expect(push.remoteCalls).toBeGreaterThan(0);
    const repaired = await adapter.read(ctx, ref);
    expect(repaired?.variants.map((v) => [v.remoteVariantId, v.priceIdr, v.stock]).sort()).toEqual(
      remoteBefore?.variants.map((v) => [v.remoteVariantId, v.priceIdr, v.stock]).sort(),
    );
    // Run again: nothing drifted, nothing queued; still one row for the night.
    expect(await nightlyOf()).toMatchObject({ checked: 1, drifted: 0, repaired: 0 });
    expect(await pushRequests(listingId)).toBe(outboxBefore + 1);
    const rows = await db
      .select()
      .from(nightlyRuns)
      .where(and(eq(nightlyRuns.job, 'read-back'), eq(nightlyRuns.day, day)));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.runs).toBe(3);
  });

  it('every nightly job run twice in a row changes no figure (the previous day pulled from the shop)', async () => {
    const db = api.database.db;
    // Sales of the shop's models (our SKUs) on one Jakarta day: orders, figures and stock move.
    const day = previousJakartaDay(new Date(channels.sandbox.ctx.clock.nowMs()));
    const at = (hhmm: string) => `${day}T${hhmm}:00+07:00`;
    channels.shopee.control.generateOrders({
      shopId: Number(shopee.externalShopId),
      orders: [
        { createTime: at('09:15'), status: 'COMPLETED', lines: [{ sku: skus[0], quantity: 2 }] },
        {
          createTime: at('13:40'),
          status: 'READY_TO_SHIP',
          lines: [
            { sku: skus[1], quantity: 1 },
            { sku: skus[0], quantity: 1 },
          ],
        },
        { createTime: at('21:05'), status: 'CANCELLED', lines: [{ sku: skus[1], quantity: 3 }] },
      ],
    });
    const pullDeps = {
      db,
      adapters: runtime.adapters,
      guard: runtime.guard,
      keyring: api.config.credentialsKeyring,
      pulls: api.config.pulls,
      now: () => new Date(channels.sandbox.ctx.clock.nowMs()),
    };
    const figures = async () => ({
      rollups: await db.execute(sql`
        select grain, day::text, coalesce(category, '') as category, coalesce(product_id::text, '') as product,
               gross_idr::bigint as gross, net_idr::bigint as net, units, orders
        from sales_daily_rollups where connection_id = ${shopee.id} order by 1, 2, 3, 4`),
      orders: await db.execute(sql`
        select external_order_id, status, counted, sale_day::text from orders
        where connection_id = ${shopee.id} order by 1`),
      stock: await db.execute(
        sql`select sku, stock from variants where sku in (${sql.join(
          skus.map((k) => sql`${k}`),
          sql`, `,
        )}) order by 1`,
      ),
      offers: await db.execute(sql`
        select variant_id, pushed_price_idr, pushed_stock from channel_listing_variants lv
        join channel_listings l on l.id = lv.listing_id where l.connection_id = ${shopee.id} order by 1`),
    });
    const night = async () => {
      for (const job of ['pull-previous-day', 'refresh-tokens', 'read-back'] as const)
        await runNightlyJob(deps(), job, day);
      // The worker runs the queued pull of this shop (the job stays queued here: run its data).
      const pulls = (await pullQueue.getJobs(['waiting', 'delayed', 'prioritized'])).filter(
        (j) => j.data.connectionId === shopee.id && j.data.window?.from === jakartaDayWindow(day).from,
      );
      expect(pulls).toHaveLength(1);
      const result = await pullConnectionOrders(pullDeps, (pulls[0] as { data: PullOrdersJob }).data);
      expect(result.outcome).toBe('succeeded');
      await runNightlyJob(deps(), 'rebuild-rollups', day);
      return figures();
    };
    const first = await night();
    expect(first.orders).toHaveLength(3);
    // The sales took stock: 10 - 2 - 1 and 7 - 1 (the cancelled order takes nothing).
    expect(first.stock.map((v) => Number(v.stock))).toEqual([7, 6]);
    expect(first.rollups.length).toBeGreaterThan(0);
    expect(await night()).toEqual(first);
  });

  async function pushRequests(listingId: string): Promise<number> {
    const [row] = await api.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(and(eq(outbox.topic, 'listing.push_requested'), eq(outbox.aggregateId, listingId)));
    return row?.n ?? 0;
  }
});

describe('nightly rollup rebuild', () => {
  it('rebuilds the days with late changes; run twice in a row, no figure changes', async () => {
    const db = api.database.db;
    const seller = await makeCrafter(db, { kelurahanCode: KELURAHAN.rawabuntu });
    const connectionId = await makeConnection(db, api.config.credentialsKeyring, seller.id);
    const order = (
      id: string,
      day: string,
      price: number,
      status: CanonicalOrder['status'],
    ): CanonicalOrder => ({
      externalOrderId: id,
      status,
      createdAt: new Date(`${day}T03:00:00Z`),
      updatedAt: new Date(`${day}T04:00:00Z`),
      paidAt: new Date(`${day}T03:05:00Z`),
      lines: [{ lineKey: '1', sellerSku: `UNMATCHED-${id}`, quantity: 2, unitPriceIdr: price }],
    });
    await db.transaction((tx) =>
      ingestOrders(tx, { connectionId, channel: 'shopee', crafterId: seller.id }, [
        order(`RB-${Date.now()}-1`, '2026-11-20', 50_000, 'completed'),
        order(`RB-${Date.now()}-2`, '2026-11-21', 75_000, 'awaiting_shipment'),
        order(`RB-${Date.now()}-3`, '2026-11-21', 20_000, 'cancelled'),
      ]),
    );
    const figures = async () =>
      db.execute(sql`
        select grain, day::text, coalesce(category, '') as category, coalesce(product_id::text, '') as product,
               gross_idr::bigint as gross, net_idr::bigint as net, units, orders
        from sales_daily_rollups where connection_id = ${connectionId}
        order by grain, day, category, product`);
    const before = await figures();
    expect(before.length).toBeGreaterThan(0);
    // A figure knocked out of line (as a bug or a lost write would): the rebuild repairs it.
    await db.execute(
      sql`update sales_daily_rollups set gross_idr = gross_idr + 999 where connection_id = ${connectionId}`,
    );

    const first = await runNightlyJob(deps(), 'rebuild-rollups', '2026-11-30');
    expect(first.summary.days).toEqual(expect.arrayContaining(['2026-11-20', '2026-11-21']));
    const afterFirst = await figures();
    expect(afterFirst).toEqual(before);
    const second = await runNightlyJob(deps(), 'rebuild-rollups', '2026-11-30');
    // Rebuilding again (the same days: they changed within the overlap) changes no figure.
    expect(second.summary.rows).toBe(first.summary.rows);
    expect(await figures()).toEqual(before);
    // A night whose last rebuild is well past its orders' changes rebuilds only that night.
    await db.execute(
      sql`update nightly_state set at = now() + interval '1 hour' where key = 'rollups_rebuilt_at'`,
    );
    const third = await runNightlyJob(deps(), 'rebuild-rollups', '2026-11-30');
    expect(third.summary.days).toEqual(['2026-11-30']);
    expect(await figures()).toEqual(before);
  });
});
