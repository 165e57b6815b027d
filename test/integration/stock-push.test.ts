/**
 * New stock reaching every channel, against the real sandbox, Postgres and Redis: a sale recorded in
 * the ledger writes a stock push request in the same transaction; the relay turns it into one push
 * per listing on each channel's queue; the push sends only the batch stock call, after each shop's
 * buffer; the product's content version (the crafter's ETag) never moves. And a crafter's title edit
 * made around the sale of the last unit never brings that unit back.
 */
import { type Job, Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelListings, channelListingVariants } from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { relayOutboxBatch } from '../../src/outbox/relay.js';
import { routesOf } from '../../src/outbox/routes.js';
import { createQueue } from '../../src/queues/connection.js';
import { EDIT_JOB, PUSH_QUEUE } from '../../src/queues/definitions.js';
import type { ChannelRuntime } from '../../src/services/channel-runtime.js';
import { type ListingPushDeps, pushListing } from '../../src/services/listing-push.js';
import { reconcileListings } from '../../src/services/listing-reconciler.js';
import { recordStockMovements } from '../../src/services/stock-ledger.js';
import { processPushListing } from '../../workers/processors/push-listing.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct, uniqueSku } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import {
  type ChannelSandbox,
  connectPushShops,
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
let photos: PhotoServer | undefined;
let photoOrigin: string;
let crafter: { id: string };
let user: Principal;
let shopee: { id: string; externalShopId: string };
let tiktok: { id: string; externalShopId: string };
const prefix = `ledger_push_${Date.now()}`;

const deps = (): ListingPushDeps => ({
  db: api.database.db,
  adapters: runtime.adapters,
  guard: runtime.guard,
  keyring: api.config.credentialsKeyring,
});

const calls = (platform: 'shopee' | 'tiktok-shop', endpoint: string) =>
  channels.sandbox.ctx.callLog.list({ platform, endpoint }).length;
const tiktokInventoryCalls = () =>
  channels.sandbox.ctx.callLog
    .list({ platform: 'tiktok-shop' })
    .filter((c: { endpoint: string }) => c.endpoint.endsWith('/inventory/update')).length;
const tiktokPriceCalls = () =>
  channels.sandbox.ctx.callLog
    .list({ platform: 'tiktok-shop' })
    .filter((c: { endpoint: string }) => c.endpoint.endsWith('/prices/update')).length;

async function sandboxState<T>(path: string): Promise<T> {
  const res = await fetch(`${channels.rootUrl}/__sandbox${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** The stock Tokopedia shows for a seller SKU. */
async function tiktokStock(sku: string): Promise<number | undefined> {
  const state = await sandboxState<{
    products: Array<{ skus: Array<{ seller_sku: string; stock: number }> }>;
  }>(`/tiktok-shop/shops/${tiktok.externalShopId}/state`);
  return state.products.flatMap((p) => p.skus).find((s) => s.seller_sku === sku)?.stock;
}

/** The stock Shopee shows for a model SKU. */
async function shopeeStock(sku: string): Promise<number | undefined> {
  const state = await sandboxState<{ items: Array<{ models: Array<{ modelSku: string; stock: number }> }> }>(
    `/shopee/shops/${shopee.externalShopId}/state`,
  );
  return state.items.flatMap((i) => i.models).find((m) => m.modelSku === sku)?.stock;
}

async function publish(productId: string, connectionId: string): Promise<string> {
  const [row] = await api.database.db
    .insert(channelListings)
    .values({ productId, connectionId })
    .returning({ id: channelListings.id });
  return (row as { id: string }).id;
}

async function listing(id: string) {
  const [row] = await api.database.db.select().from(channelListings).where(eq(channelListings.id, id));
  if (!row) throw new Error('no listing');
  return row;
}

/** A two-variant product live on Shopee and Tokopedia. */
async function liveProduct(stockA: number, stockB: number) {
  const product = await makeProduct(api.database.db, crafter.id, {
    category: 'kerajinan/anyaman',
    title: 'Tas Anyaman Pandan Motif Ciater Handmade',
    description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
    imageUrls: [`${photoOrigin}/tas-1.png`],
    variants: [
      {
        sku: uniqueSku('STK-A'),
        options: { warna: 'merah' },
        priceIdr: 150_000,
        stock: stockA,
        weightGrams: 400,
      },
      {
        sku: uniqueSku('STK-B'),
        options: { warna: 'hijau' },
        priceIdr: 175_000,
        stock: stockB,
        weightGrams: 400,
      },
    ],
  });
  const onShopee = await publish(product.id, shopee.id);
  const onTiktok = await publish(product.id, tiktok.id);
  expect((await pushListing(deps(), onShopee)).outcome).toBe('live');
  expect((await pushListing(deps(), onTiktok)).outcome).toBe('live');
  // TikTok Shop takes stock once its review of a new product ends (180 s on the sandbox clock).
  channels.sandbox.ctx.clock.advance(181_000);
  const [a, b] = product.variants as unknown as [{ id: string; sku: string }, { id: string; sku: string }];
  return { product, onShopee, onTiktok, a, b };
}

async function listingView(id: string) {
  const res = await api.app.inject({ method: 'GET', url: `/v1/listings/${id}`, headers: api.auth(user) });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    inSync: boolean;
    pushedVersion: number | null;
    productVersion: number;
    pushedStockRevision: number | null;
    productStockRevision: number;
  };
}

const sell = (variantId: string, units: number, orderLine: string) =>
  api.database.db.transaction((tx) =>
    recordStockMovements(tx, [
      { variantId, delta: -units, kind: 'sale', dedupeKey: `sale:${shopee.id}:${orderLine}` },
    ]),
  );

async function getProduct(id: string) {
  const res = await api.app.inject({ method: 'GET', url: `/v1/products/${id}`, headers: api.auth(user) });
  expect(res.statusCode).toBe(200);
  return {
    etag: res.headers.etag as string,
    body: res.json() as {
      version: number;
      stockRevision: number;
      title: string;
      variants: Array<{
        sku: string;
        options: Record<string, string>;
        priceIdr: number;
        stock: number;
        weightGrams: number;
      }>;
    },
  };
}

beforeAll(async () => {
  channels = await startChannelSandbox();
  api = await startTestApi('ledger_stock_push', channels.env);
  redis = createQueueRedis('redis://127.0.0.1:6379');
  photos = await servePhoto('/tas-1.png', makePng(600, 600));
  photoOrigin = photos.origin;
  runtime = sandboxRuntime(api, channels, redis, prefix, { photoOrigin, sandboxClock: 'now-and-sleep' });
  crafter = await makeCrafter(api.database.db);
  user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  // Shopee holds back 20 % of the stock; Tokopedia shows everything, at most 6 units.
  ({ shopee, tiktok } = await connectPushShops(api, channels, user, crafter.id, { stockBufferPercent: 20 }));
});

afterAll(async () => {
  redis?.disconnect();
  await api?.close();
  await channels?.close();
  await photos?.close();
});

describe('stock to every channel', () => {
  it('a sale queues a stock-only push of every listing; each shop gets the batch stock call after its buffer; the ETag stays', async () => {
    const { product, onShopee, onTiktok, a } = await liveProduct(10, 3);
    const before = await getProduct(product.id);
    const queues = [PUSH_QUEUE.shopee, PUSH_QUEUE.tiktok_shop, PUSH_QUEUE.partner_brand].map((name) =>
      createQueue(name, redis, `${prefix}_relay`),
    );
    try {
      const [sold] = await sell(a.id, 6, 'order-1:1');
      expect(sold).toMatchObject({ applied: true, onHand: 4 });
      // One stock push request for the product, relayed as one coalesced push per listing.
      const relayed = await relayOutboxBatch(api.database.db, queues, {
        limit: 1_000,
        routes: (topic) => (topic === 'product.stock_changed' ? routesOf(topic) : []),
      });
      expect(relayed).toBeTruthy();
      const [shopeeJobs, tiktokJobs] = await Promise.all(
        queues.slice(0, 2).map((q) => q.getJobs(['waiting', 'delayed', 'prioritized'])),
      );
      expect(shopeeJobs?.map((j) => [j.name, j.data])).toEqual([[EDIT_JOB, { listingId: onShopee }]]);
      expect(tiktokJobs?.map((j) => [j.name, j.data])).toEqual([[EDIT_JOB, { listingId: onTiktok }]]);
    } finally {
      for (const q of queues) {
        await q.obliterate({ force: true });
        await q.close();
      }
    }
    // The reconciler sees both listings behind on stock too (work lost with Redis still goes out).
    const reconcileQueue = createQueue(PUSH_QUEUE.shopee, redis, `${prefix}_reconcile`);
    try {
      await reconcileListings(api.database.db, [reconcileQueue], { staleAfterMs: 0 });
      const jobs = await reconcileQueue.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.map((j) => j.data.listingId)).toContain(onShopee);
    } finally {
      await reconcileQueue.obliterate({ force: true });
      await reconcileQueue.close();
    }

    // The crafter sees the listing behind on stock, not on content.
    const behind = await listingView(onShopee);
    expect(behind).toMatchObject({ inSync: false, pushedVersion: behind.productVersion });
    expect(behind.pushedStockRevision).toBeLessThan(behind.productStockRevision);

    const shopeeBefore = {
      stock: calls('shopee', '/api/v2/product/update_stock'),
      price: calls('shopee', '/api/v2/product/update_price'),
      item: calls('shopee', '/api/v2/product/update_item'),
    };
    const tiktokBefore = { stock: tiktokInventoryCalls(), price: tiktokPriceCalls() };
    expect(await pushListing(deps(), onShopee)).toMatchObject({ outcome: 'live', kind: 'price_stock' });
    expect(await pushListing(deps(), onTiktok)).toMatchObject({ outcome: 'live', kind: 'price_stock' });
    expect(calls('shopee', '/api/v2/product/update_stock')).toBe(shopeeBefore.stock + 1);
    expect(calls('shopee', '/api/v2/product/update_price')).toBe(shopeeBefore.price);
    expect(calls('shopee', '/api/v2/product/update_item')).toBe(shopeeBefore.item);
    expect(tiktokInventoryCalls()).toBe(tiktokBefore.stock + 1);
    expect(tiktokPriceCalls()).toBe(tiktokBefore.price);
    // 4 on hand: Shopee 4 − ceil(0.8) = 3 (was 8); Tokopedia min(4, 6) = 4 (was 6).
    expect(await shopeeStock(a.sku)).toBe(3);
    expect(await tiktokStock(a.sku)).toBe(4);
    const after = await getProduct(product.id);
    expect(after.etag).toBe(before.etag);
    expect(after.body.version).toBe(before.body.version);
    expect(after.body.stockRevision).toBe(before.body.stockRevision + 1);
    expect(await listingView(onShopee)).toMatchObject({ inSync: true });
    for (const id of [onShopee, onTiktok]) {
      const row = await listing(id);
      expect(row.pushedStockRevision).toBe(after.body.stockRevision);
      expect(row.pushedVersion).toBe(after.body.version);
    }
    const pushed = await api.database.db
      .select()
      .from(channelListingVariants)
      .where(eq(channelListingVariants.listingId, onShopee));
    expect(pushed.find((v) => v.variantId === a.id)?.pushedStock).toBe(3);
    // In sync now: the reconciler leaves them alone.
    const idle = createQueue(PUSH_QUEUE.shopee, redis, `${prefix}_idle`);
    try {
      await reconcileListings(api.database.db, [idle], { staleAfterMs: 0 });
      const jobs = await idle.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.map((j) => j.data.listingId)).not.toContain(onShopee);
    } finally {
      await idle.obliterate({ force: true });
      await idle.close();
    }
  });

  it('the last unit sold on Shopee: Tokopedia shows 0, and a title edit made meanwhile does not bring the unit back', async () => {
    const { product, onTiktok, a, b } = await liveProduct(1, 5);
    expect(await tiktokStock(a.sku)).toBe(1);
    // The crafter opens the product on the phone: stock 1.
    const read = await getProduct(product.id);
    expect(read.body.variants.find((v) => v.sku === a.sku)?.stock).toBe(1);
    // The last unit sells on Shopee.
    expect((await sell(a.id, 1, 'order-last:1'))[0]).toMatchObject({ applied: true, onHand: 0 });
    // The crafter saves a new title; the phone sends back the whole product as it read it (stock 1).
    const echo = read.body.variants.map(({ sku, options, priceIdr, stock, weightGrams }) => ({
      sku,
      options,
      priceIdr,
      stock,
      weightGrams,
    }));
    const patch = (payload: Record<string, unknown>) =>
      api.app.inject({
        method: 'PATCH',
        url: `/v1/products/${product.id}`,
        headers: { ...api.auth(user), 'if-match': read.etag },
        payload: { title: 'Tas Anyaman Pandan Ciater Edisi Baru', variants: echo, ...payload },
      });
    // Without the stock revision it read, the stale 1 is refused rather than applied; nothing is saved.
    const blind = await patch({});
    expect(blind.statusCode, blind.body).toBe(409);
    expect(blind.json()).toMatchObject({ code: 'stock_changed' });
    expect(blind.json().errors).toEqual([
      { path: 'body.variants.0.stock', message: expect.stringContaining('now 0') },
    ]);
    expect((await getProduct(product.id)).body.title).toBe(read.body.title);
    // With it (as the app sends it), the title is saved and the sale stands: the echoed 1 is no change.
    const edited = await patch({ stockRevision: read.body.stockRevision });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json().title).toBe('Tas Anyaman Pandan Ciater Edisi Baru');
    expect(edited.json().variants.map((v: { sku: string; stock: number }) => [v.sku, v.stock])).toEqual([
      [a.sku, 0],
      [b.sku, 5],
    ]);
    // The push the edit asked for carries title and stock 0 to Tokopedia.
    expect(await pushListing(deps(), onTiktok)).toMatchObject({ outcome: 'live', kind: 'update' });
    expect(await tiktokStock(a.sku)).toBe(0);
    const now = await getProduct(product.id);
    expect(now.body.title).toBe('Tas Anyaman Pandan Ciater Edisi Baru');
    expect(now.body.variants.find((v) => v.sku === a.sku)?.stock).toBe(0);
    const ledger = await api.database.sql<{ kind: string; delta: number }[]>`
      select kind, delta from stock_movements where variant_id = ${a.id} order by stock_revision`;
    expect(ledger.map((m) => [m.kind, m.delta])).toEqual([
      ['count', 1],
      ['sale', -1],
    ]);
  });

  it('through the relay and the push workers: the last unit sold on Shopee reaches Tokopedia as stock 0', async () => {
    const { onShopee, onTiktok, a } = await liveProduct(1, 2);
    expect(await tiktokStock(a.sku)).toBe(1);
    const workerPrefix = `${prefix}_workers`;
    const queues = [PUSH_QUEUE.shopee, PUSH_QUEUE.tiktok_shop, PUSH_QUEUE.partner_brand].map((name) =>
      createQueue(name, redis, workerPrefix),
    );
    const workerRedis = createQueueRedis('redis://127.0.0.1:6379');
    const workers = (['shopee', 'tiktok_shop'] as const).map(
      (channel) =>
        new Worker(
          PUSH_QUEUE[channel],
          (job: Job, token?: string) =>
            processPushListing({ ...deps(), channel, breakerOpenMs: 1_000 }, job, token),
          { connection: workerRedis, prefix: workerPrefix, concurrency: 2 },
        ),
    );
    try {
      const remoteItemId = (await listing(onTiktok)).remoteItemId as string;
      const inventoryCalls = () =>
        calls('tiktok-shop', `/product/202309/products/${remoteItemId}/inventory/update`);
      const before = inventoryCalls();
      await sell(a.id, 1, 'order-relay:1');
      const { stockRevision } = (await getProduct((await listing(onTiktok)).productId)).body;
      // Only this suite's stock rows matter here; other topics are not routed in this test.
      await relayOutboxBatch(api.database.db, queues, {
        limit: 1_000,
        routes: (topic) => (topic === 'product.stock_changed' ? routesOf(topic) : []),
      });
      // The push commits what it sent after the platform answered: wait for that, then look.
      for (const id of [onTiktok, onShopee]) {
        await waitFor(
          () => listing(id),
          (row) => row.pushedStockRevision === stockRevision,
        );
      }
      expect(await tiktokStock(a.sku)).toBe(0);
      expect(inventoryCalls()).toBe(before + 1);
      expect(await shopeeStock(a.sku)).toBe(0);
    } finally {
      for (const w of workers) await w.close();
      for (const q of queues) {
        await q.obliterate({ force: true });
        await q.close();
      }
      workerRedis.disconnect();
    }
  });
});

/** Polls a condition (no fixed sleeps): resolves once it holds, fails after `timeoutMs`. */
async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
