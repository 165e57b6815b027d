/**
 * The push pipeline against the real sandbox, Postgres and Redis: a Shopee shop connected through the
 * real authorization flow, listings pushed by the push service with the worker's channel runtime
 * (Redis shop budget as the gate, circuit breaker, image cache in Postgres). Shopee's mandated waits
 * (5 s before tiers) pass on the sandbox clock: the adapter's `sleep` moves it.
 */
import { randomUUID } from 'node:crypto';
import { type Job, type Queue, Worker } from 'bullmq';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alerts,
  channelCategoryMappings,
  channelConnections,
  channelListings,
  channelListingVariants,
  listingPushAttempts,
  outbox,
  products,
  variants,
} from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { registerSyncMetrics } from '../../src/http/metrics-collectors.js';
import { createQueueRedis } from '../../src/lib/redis.js';
import { relayOutboxBatch } from '../../src/outbox/relay.js';
import { routesOf } from '../../src/outbox/routes.js';
import { createQueue } from '../../src/queues/connection.js';
import {
  EDIT_COALESCE_MS,
  EDIT_JOB,
  PUSH_QUEUE,
  pushJobOptions,
  type QueueName,
  REVIEW_SWEEP_JOB,
  REVIEW_SWEEP_PRIORITY,
  reviewSweepJobOptions,
} from '../../src/queues/definitions.js';
import { createEditSpacing } from '../../src/queues/edit-spacing.js';
import { ShopRateLimiter } from '../../src/queues/shop-rate-limit.js';
import {
  budgetKey,
  type ChannelRuntime,
  createChannelRuntime,
  isOpenCircuit,
} from '../../src/services/channel-runtime.js';
import { sealSecrets } from '../../src/services/connections.js';
import {
  type ListingPushDeps,
  nothingCreated,
  pushListing,
  RemotePushError,
  recordPushFailure,
} from '../../src/services/listing-push.js';
import { reconcileListings } from '../../src/services/listing-reconciler.js';
import { sweepReviews } from '../../src/services/review-sweep.js';
import { processPushListing } from '../../workers/processors/push-listing.js';
import { makeCrafter, makeUser } from '../factories/index.js';
import { makeProduct } from '../factories/products.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import {
  type ChannelSandbox,
  connectPushShops,
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
let photos: PhotoServer | undefined;
let photoOrigin: string;
let crafter: { id: string };
let user: Principal;
let shopee: { id: string; externalShopId: string };
let tiktok: { id: string };
const prefix = `h11_push_${Date.now()}`;

const connectShopee = (shopId?: string) => connectShopeeShop(api, user, crafter.id, shopId);

const deps = (extra: Partial<ListingPushDeps> = {}): ListingPushDeps => ({
  db: api.database.db,
  adapters: runtime.adapters,
  guard: runtime.guard,
  keyring: api.config.credentialsKeyring,
  ...extra,
});

/** The outbox routes to the push queues only (this suite gives the relay no pull or alert queue). */
const pushRoutes = (topic: string) =>
  topic.startsWith('listing.') || topic.startsWith('product.') ? routesOf(topic) : [];

async function openAlert(dedupeKey: string) {
  const [row] = await api.database.db
    .select()
    .from(alerts)
    .where(and(eq(alerts.dedupeKey, dedupeKey), isNull(alerts.resolvedAt)));
  return row;
}

const shopeeCalls = (endpoint: string) =>
  channels.sandbox.ctx.callLog.list({ platform: 'shopee', endpoint }).length;

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

async function newProduct(stockA = 10, stockB = 7) {
  return makeProduct(api.database.db, crafter.id, {
    category: 'kerajinan/anyaman',
    title: 'Tas Anyaman Pandan Motif Ciater Handmade',
    description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
    imageUrls: [`${photoOrigin}/tas-1.png`],
    variants: [
      {
        sku: `H11-${Date.now()}-A`,
        options: { warna: 'merah' },
        priceIdr: 150_000,
        stock: stockA,
        weightGrams: 400,
      },
      {
        sku: `H11-${Date.now()}-B`,
        options: { warna: 'hijau' },
        priceIdr: 175_000,
        stock: stockB,
        weightGrams: 400,
      },
    ],
  });
}

/** An edit as the product service makes it: new values and a version bump. */
async function editPrice(productId: string, priceIdr: number): Promise<void> {
  await api.database.db.update(variants).set({ priceIdr }).where(eq(variants.productId, productId));
  await api.database.db
    .update(products)
    .set({ version: sql`${products.version} + 1` })
    .where(eq(products.id, productId));
}

beforeAll(async () => {
  channels = await startChannelSandbox();
  api = await startTestApi('h11_listing_push', channels.env);
  redis = createQueueRedis('redis://127.0.0.1:6379');
  photos = await servePhoto('/tas-1.png', makePng(600, 600));
  photoOrigin = photos.origin;
  // Shopee's "at least 5 s between add_item and init_tier_variation" passes on Shopee's clock.
  runtime = sandboxRuntime(api, channels, redis, prefix, { photoOrigin, sandboxClock: 'now-and-sleep' });
  crafter = await makeCrafter(api.database.db);
  user = await makeUser(api.database.db, 'crafter', { crafterId: crafter.id });
  // Shopee: a price rule of +10 % rounded up to Rp 500, and a stock buffer of 20 %. Tokopedia: the
  // shop's sales warehouse, at most 6 units.
  ({ shopee, tiktok } = await connectPushShops(api, channels, user, crafter.id, {
    priceMarkupKind: 'percent',
    priceMarkupValue: 1_000,
    priceRoundingStepIdr: 500,
    stockBufferPercent: 20,
  }));
  // The factories' category (`kerajinan/anyaman`) is placed on both channels by the default mappings
  // (migration 0010), as in a real deployment.
});

afterAll(async () => {
  redis?.disconnect();
  await api?.close();
  await channels?.close();
  await photos?.close();
});

describe('listing push (sandbox)', () => {
  it('one product, two variants, published to Shopee and Tokopedia: live in both shops with their own rules', async () => {
    const product = await newProduct(10, 7);
    const onShopee = await publish(product.id, shopee.id);
    const onTiktok = await publish(product.id, tiktok.id);
    expect((await pushListing(deps(), onShopee)).outcome).toBe('live');
    expect((await pushListing(deps(), onTiktok)).outcome).toBe('live');
    const tiktokRow = await listing(onTiktok);
    expect(tiktokRow.state).toBe('live');
    expect(tiktokRow.remoteItemId).toBeTruthy();
    expect(tiktokRow.remoteItemId).not.toBe((await listing(onShopee)).remoteItemId);
    const skus = await api.database.db
      .select()
      .from(channelListingVariants)
      .where(eq(channelListingVariants.listingId, onTiktok));
    // No price rule on this shop; a cap of 6 units: 10 → 6, 7 → 6.
    expect(skus.map((v) => [v.remoteSku, v.pushedPriceIdr, v.pushedStock]).sort()).toEqual(
      product.variants.map((v) => [v.sku, v.priceIdr, 6]).sort(),
    );
    expect(skus.every((v) => v.remoteModelId)).toBe(true);
    expect(
      channels.sandbox.ctx.callLog.list({ platform: 'tiktok-shop', endpoint: '/product/202309/products' })
        .length,
    ).toBe(1);
  });

  it('a product with two variants goes live with its models, prices after the rule and stock after the buffer', async () => {
    const product = await newProduct(10, 7);
    const id = await publish(product.id, shopee.id);
    const addsBefore = shopeeCalls('/api/v2/product/add_item');
    const result = await pushListing(deps(), id);
    expect(result.outcome).toBe('live');
    const row = await listing(id);
    expect(row.state).toBe('live');
    expect(row.remoteItemId).toBeTruthy();
    expect(row.pushedVersion).toBe(product.version);
    const models = await api.database.db
      .select()
      .from(channelListingVariants)
      .where(eq(channelListingVariants.listingId, id));
    expect(models).toHaveLength(2);
    expect(models.every((m) => m.remoteModelId)).toBe(true);
    // 150,000 + 10 % = 165,000; 175,000 + 10 % = 192,500. Stock 10 − 20 % = 8; 7 − ceil(1.4) = 5.
    expect(models.map((m) => [m.pushedPriceIdr, m.pushedStock]).sort()).toEqual(
      [
        [165_000, 8],
        [192_500, 5],
      ].sort(),
    );
    expect(shopeeCalls('/api/v2/product/add_item')).toBe(addsBefore + 1);
    const attempts = await api.database.db
      .select()
      .from(listingPushAttempts)
      .where(eq(listingPushAttempts.listingId, id));
    expect(attempts.map((a) => [a.kind, a.outcome])).toEqual([['create', 'success']]);

    // A price-only edit takes the batch price call, not a full update.
    const updatesBefore = shopeeCalls('/api/v2/product/update_item');
    await editPrice(product.id, 200_000);
    const edited = await pushListing(deps(), id);
    expect(edited).toMatchObject({ outcome: 'live', kind: 'price_stock' });
    expect(shopeeCalls('/api/v2/product/update_item')).toBe(updatesBefore);
    expect(shopeeCalls('/api/v2/product/update_price')).toBeGreaterThanOrEqual(1);
    // A content edit (the title) takes the full update.
    await api.database.db
      .update(products)
      .set({ title: 'Tas Anyaman Pandan Motif Ciater Edisi Baru', version: sql`${products.version} + 1` })
      .where(eq(products.id, product.id));
    expect(await pushListing(deps(), id)).toMatchObject({ outcome: 'live', kind: 'update' });
    expect(shopeeCalls('/api/v2/product/update_item')).toBe(updatesBefore + 1);
    // Nothing changed since: no remote call at all.
    const calls = channels.sandbox.ctx.callLog.list({ platform: 'shopee' }).length;
    expect((await pushListing(deps(), id)).outcome).toBe('unchanged');
    expect(channels.sandbox.ctx.callLog.list({ platform: 'shopee' }).length).toBe(calls);
  });

  it('a crash between the remote create and the commit: the retry adopts the item, no second add_item', async () => {
    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    const addsBefore = shopeeCalls('/api/v2/product/add_item');
    const crash = new Error('worker killed');
    await expect(
      pushListing(
        deps({
          afterRemoteCreate: () => {
            throw crash;
          },
        }),
        id,
      ),
    ).rejects.toBe(crash);
    const half = await listing(id);
    expect(half.remoteItemId).toBeNull();
    expect(half.createIntentSku).toBeTruthy();
    expect(shopeeCalls('/api/v2/product/add_item')).toBe(addsBefore + 1);

    const retry = await pushListing(deps(), id);
    expect(retry.outcome).toBe('live');
    expect(shopeeCalls('/api/v2/product/add_item')).toBe(addsBefore + 1);
    expect((await listing(id)).remoteItemId).toBeTruthy();
  });

  it('a create refused by our own shop budget before any call left drops its intent: the retry creates without a lookup', async () => {
    const budgetPrefix = `${prefix}_budget`;
    const tight = createChannelRuntime({
      db: api.database.db,
      redis,
      prefix: budgetPrefix,
      channels: api.config.channels,
      imagePolicy: { maxBytes: 5_000_000, timeoutMs: 5_000, allowedPrivateOrigins: [photoOrigin] },
      maxGateWaitMs: 0,
      sleep: async (ms) => {
        channels.sandbox.ctx.clock.advance(ms);
      },
      now: () => new Date(channels.sandbox.ctx.clock.nowMs()),
    });
    // The shop's budget is spent (by other pushes, as in a publish of thousands of products).
    const limit = tight.adapters.shopee?.rateLimit as { max: number; perMs: number };
    const limiter = new ShopRateLimiter(redis, budgetPrefix);
    const key = budgetKey('shopee', `shopee:${shopee.externalShopId}`);
    for (let i = 0; i < limit.max; i += 1) await limiter.acquire(key, limit, 60_000);

    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    const adds = shopeeCalls('/api/v2/product/add_item');
    const lookups = shopeeCalls('/api/v2/product/get_item_list');
    const refused = await pushListing({ ...deps(), adapters: tight.adapters, guard: tight.guard }, id).catch(
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(RemotePushError);
    expect(shopeeCalls('/api/v2/product/add_item')).toBe(adds);
    expect((await listing(id)).createIntentId).toBeNull();

    expect((await pushListing(deps(), id)).outcome).toBe('live');
    expect(shopeeCalls('/api/v2/product/add_item')).toBe(adds + 1);
    expect(shopeeCalls('/api/v2/product/get_item_list')).toBe(lookups);
  });

  it('a create the platform throttled drops its intent: the retry creates without a lookup; a 5xx keeps it', async () => {
    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    const adds = shopeeCalls('/api/v2/product/add_item');
    const lookups = shopeeCalls('/api/v2/product/get_item_list');
    channels.sandbox.ctx.faults.set([
      { platform: 'shopee', endpoint: '/api/v2/product/add_item', throttleRate: 1 },
    ]);
    try {
      const throttled = await pushListing(deps(), id).catch((err: unknown) => err);
      expect(throttled).toBeInstanceOf(RemotePushError);
      expect(nothingCreated(1, throttled)).toBe(true);
      // After an earlier call (add_item before init_tier_variation), the item may exist.
      expect(nothingCreated(2, throttled)).toBe(false);
    } finally {
      channels.sandbox.ctx.faults.clear();
    }
    expect(shopeeCalls('/api/v2/product/add_item')).toBe(adds + 1);
    expect((await listing(id)).createIntentId).toBeNull();
    expect((await pushListing(deps(), id)).outcome).toBe('live');
    expect(shopeeCalls('/api/v2/product/add_item')).toBe(adds + 2);
    expect(shopeeCalls('/api/v2/product/get_item_list')).toBe(lookups);

    // A 5xx may have come after the item was made: the intent stays and the retry looks it up first.
    const other = await newProduct();
    const otherId = await publish(other.id, shopee.id);
    channels.sandbox.ctx.faults.set([
      { platform: 'shopee', endpoint: '/api/v2/product/add_item', errorRate: 1 },
    ]);
    try {
      await expect(pushListing(deps(), otherId)).rejects.toBeInstanceOf(RemotePushError);
    } finally {
      channels.sandbox.ctx.faults.clear();
    }
    expect((await listing(otherId)).createIntentId).not.toBeNull();
    expect((await pushListing(deps(), otherId)).outcome).toBe('live');
    expect(shopeeCalls('/api/v2/product/get_item_list')).toBeGreaterThan(lookups);
  });

  it("a push commits while a publish holds the shop's connection row share-locked", async () => {
    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    // Its last success is old, so this commit would write the connection's health.
    await api.database.db
      .update(channelConnections)
      .set({ lastSuccessAt: sql`now() - interval '1 minute'` })
      .where(eq(channelConnections.id, shopee.id));
    const result = await api.database.db.transaction(async (tx) => {
      // What publishProduct holds while it inserts listings (a bulk publish holds it without a gap).
      await tx.select().from(channelConnections).where(eq(channelConnections.id, shopee.id)).for('share');
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the push waited for the share lock')), 15_000);
      });
      try {
        return await Promise.race([pushListing(deps(), id), stuck]);
      } finally {
        clearTimeout(timer);
      }
    });
    expect(result.outcome).toBe('live');
    expect((await listing(id)).state).toBe('live');
  });

  it('a category with no mapping leaves the listing needs_attention with what to fill in, and calls nothing', async () => {
    const product = await makeProduct(api.database.db, crafter.id, { category: 'kerajinan/batik' });
    const id = await publish(product.id, shopee.id);
    const calls = channels.sandbox.ctx.callLog.list({ platform: 'shopee' }).length;
    expect((await pushListing(deps(), id)).outcome).toBe('needs_attention');
    const row = await listing(id);
    expect(row.state).toBe('needs_attention');
    expect(row.lastError).toContain('kerajinan/batik');
    expect(row.lastErrorId).toContain('kerajinan/batik');
    expect(channels.sandbox.ctx.callLog.list({ platform: 'shopee' }).length).toBe(calls);
  });

  it('a permanent refusal: failed with the platform reason in plain words, fail without retry', async () => {
    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    // A category Shopee does not know: refused for good.
    await api.database.db
      .update(channelCategoryMappings)
      .set({ channelCategoryId: '999999' })
      .where(
        and(
          eq(channelCategoryMappings.channel, 'shopee'),
          eq(channelCategoryMappings.canonicalCategory, 'kerajinan/anyaman'),
        ),
      );
    try {
      const err = await pushListing(deps(), id).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RemotePushError);
      const action = await recordPushFailure(deps(), id, err, {
        attemptsMade: 0,
        maxAttempts: 8,
        backoffMs: 2_000,
      });
      expect(action.action).toBe('fail');
      const row = await listing(id);
      expect(row.state).toBe('failed');
      expect(row.lastError?.length).toBeGreaterThan(10);
      expect(row.lastErrorId).not.toBe(row.lastError);
      expect(row.nextAttemptAt).toBeNull();
      // The listing_failed alert carries the platform reason, once per listing.
      const open = await openAlert(`listing_failed:${id}`);
      expect(open).toMatchObject({
        kind: 'listing_failed',
        crafterId: crafter.id,
        count: 1,
        subject: { listingId: id, productId: product.id, connectionId: shopee.id },
      });
      expect(open?.messageEn).toContain(row.lastError ?? '?');
      expect(open?.messageId).toContain(row.lastErrorId ?? '?');
    } finally {
      await api.database.db
        .update(channelCategoryMappings)
        .set({ channelCategoryId: '100102' })
        .where(
          and(
            eq(channelCategoryMappings.channel, 'shopee'),
            eq(channelCategoryMappings.canonicalCategory, 'kerajinan/anyaman'),
          ),
        );
    }
    // Fixed mapping, pushed again: live, and the alert is resolved.
    expect((await pushListing(deps(), id)).outcome).toBe('live');
    expect(await openAlert(`listing_failed:${id}`)).toBeUndefined();
  });

  it('a refused token: the connection and its listings become reauth_required, the job ends', async () => {
    const other = await connectShopee();
    const product = await newProduct();
    const id = await publish(product.id, other.id);
    // The shop's token as Shopee sees it after the seller revoked the authorisation: unknown.
    await api.database.db
      .update(channelConnections)
      .set(
        sealSecrets(api.config.credentialsKeyring, other.id, {
          kind: 'oauth',
          accessToken: 'revoked-by-the-seller-0000000000',
          refreshToken: 'revoked-by-the-seller-1111111111',
        }),
      )
      .where(eq(channelConnections.id, other.id));
    const err = await pushListing(deps(), id).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RemotePushError);
    const action = await recordPushFailure(deps(), id, err, {
      attemptsMade: 0,
      maxAttempts: 8,
      backoffMs: 2_000,
    });
    expect(action.action).toBe('done');
    expect((await listing(id)).state).toBe('reauth_required');
    const [conn] = await api.database.db
      .select()
      .from(channelConnections)
      .where(eq(channelConnections.id, other.id));
    expect(conn?.status).toBe('reauth_required');
    expect(await openAlert(`connection_reauth_required:${other.id}`)).toMatchObject({
      kind: 'connection_reauth_required',
      subject: { connectionId: other.id },
    });

    // The crafter reconnects the shop: the waiting listing is pending again, its push is in the
    // outbox, the relay routes it to the Shopee queue, and the push makes it live.
    const queues = (Object.values(PUSH_QUEUE) as QueueName[]).map((name) =>
      createQueue(name, redis, `${prefix}_reconnect`),
    );
    try {
      // Earlier outbox rows (the product's creation) are relayed first: only the reconnect's count.
      await relayOutboxBatch(api.database.db, queues, { limit: 1_000, routes: pushRoutes });
      for (const q of queues) await q.obliterate({ force: true });
      await connectShopee(other.externalShopId);
      expect((await listing(id)).state).toBe('pending');
      await relayOutboxBatch(api.database.db, queues, { limit: 1_000, routes: pushRoutes });
      const jobs = await (queues[0] as Queue).getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.filter((j) => j.data.listingId === id)).toHaveLength(1);
      expect((await pushListing(deps(), id)).outcome).toBe('live');
      expect(await openAlert(`connection_reauth_required:${other.id}`)).toBeUndefined();
    } finally {
      for (const q of queues) {
        await q.obliterate({ force: true });
        await q.close();
      }
    }
  });

  it('a deleted product ends its remote listing: delisted, with the delist recorded', async () => {
    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    expect((await pushListing(deps(), id)).outcome).toBe('live');
    // Shopee takes no item down while it is in review: let the review pass on the sandbox clock.
    channels.sandbox.ctx.clock.advance(601_000);
    const before = channels.sandbox.ctx.callLog.list({ platform: 'shopee' }).length;
    await api.database.db
      .update(products)
      .set({ deletedAt: new Date(), version: sql`${products.version} + 1` })
      .where(eq(products.id, product.id));
    expect((await pushListing(deps(), id)).outcome).toBe('delisted');
    expect(channels.sandbox.ctx.callLog.list({ platform: 'shopee' }).length).toBeGreaterThan(before);
    const row = await listing(id);
    expect(row.state).toBe('delisted');
    expect(row.delistedAt).not.toBeNull();
    // Delisted stays delisted: a later job calls nothing.
    const after = channels.sandbox.ctx.callLog.list({ platform: 'shopee' }).length;
    expect((await pushListing(deps(), id)).outcome).toBe('skipped');
    expect(channels.sandbox.ctx.callLog.list({ platform: 'shopee' }).length).toBe(after);
  });

  it('an ended listing published again is back on sale in both shops (a content edit alone relists nothing)', async () => {
    const product = await newProduct();
    const onShopee = await publish(product.id, shopee.id);
    const onTiktok = await publish(product.id, tiktok.id);
    expect((await pushListing(deps(), onShopee)).outcome).toBe('live');
    expect((await pushListing(deps(), onTiktok)).outcome).toBe('live');
    // Reviews pass on the sandbox clock (Shopee takes no item down while it is in review).
    channels.sandbox.ctx.clock.advance(601_000);
    const shopeeStatus = async () => {
      const state = channels.shopee.control.shopState(shopee.externalShopId) as {
        items: Array<{ itemId: number; status: string }>;
      };
      const row = await listing(onShopee);
      return state.items.find((i) => String(i.itemId) === row.remoteItemId)?.status;
    };
    const tiktokStatus = async () => {
      const [conn] = await api.database.db
        .select({ shopId: channelConnections.externalShopId })
        .from(channelConnections)
        .where(eq(channelConnections.id, tiktok.id));
      const state = channels.tiktok.control.shopState(conn?.shopId as string) as {
        products: Array<{ product_id: string; status: string }>;
      };
      const row = await listing(onTiktok);
      return state.products.find((p) => p.product_id === row.remoteItemId)?.status;
    };
    expect(await shopeeStatus()).toBe('NORMAL');

    // The crafter ends both listings: the items are taken down.
    await api.database.db
      .update(channelListings)
      .set({ delistedAt: new Date() })
      .where(sql`${channelListings.id} in (${onShopee}, ${onTiktok})`);
    expect((await pushListing(deps(), onShopee)).outcome).toBe('delisted');
    expect((await pushListing(deps(), onTiktok)).outcome).toBe('delisted');
    expect(await shopeeStatus()).toBe('UNLIST');
    expect(await tiktokStatus()).toBe('SELLER_DEACTIVATED');

    // Published again with nothing changed: the push puts the same items back on sale.
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/products/${product.id}/listings`,
      headers: api.auth(user),
      payload: { connectionIds: [shopee.id, tiktok.id] },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    const itemsBefore = [(await listing(onShopee)).remoteItemId, (await listing(onTiktok)).remoteItemId];
    expect(await pushListing(deps(), onShopee)).toMatchObject({ outcome: 'live', kind: 'update' });
    expect(await pushListing(deps(), onTiktok)).toMatchObject({ outcome: 'live', kind: 'update' });
    expect([(await listing(onShopee)).remoteItemId, (await listing(onTiktok)).remoteItemId]).toEqual(
      itemsBefore,
    );
    expect(await shopeeStatus()).toBe('NORMAL');
    channels.sandbox.ctx.clock.advance(601_000);
    expect(await tiktokStatus()).toBe('ACTIVATE');
    // And once relisted, the next push is an ordinary one: nothing changed, nothing sent.
    expect((await pushListing(deps(), onShopee)).outcome).toBe('unchanged');
  });

  it('live while the platform reviews the item says so (remote status in_review), until a later look finds it on sale', async () => {
    const product = await newProduct();
    const onShopee = await publish(product.id, shopee.id);
    const onTiktok = await publish(product.id, tiktok.id);
    expect((await pushListing(deps(), onShopee)).outcome).toBe('live');
    expect((await pushListing(deps(), onTiktok)).outcome).toBe('live');
    // Shopee answered add_item with REVIEWING; TikTok Shop audits every new product.
    expect(await listing(onShopee)).toMatchObject({ state: 'live', remoteStatus: 'in_review' });
    expect(await listing(onTiktok)).toMatchObject({ state: 'live', remoteStatus: 'in_review' });
    const view = await api.app.inject({
      method: 'GET',
      url: `/v1/listings/${onShopee}`,
      headers: api.auth(user),
    });
    expect(view.json()).toMatchObject({ state: 'live', remoteStatus: 'in_review' });

    // The reconciler queues one review sweep per shop once the last look is old enough; nothing
    // changed, so no push is queued.
    const queues = Object.values(PUSH_QUEUE).map((name) => createQueue(name, redis, `${prefix}_review`));
    try {
      await api.database.db
        .update(channelListings)
        .set({ remoteStatusCheckedAt: sql`now() - interval '2 minutes'` })
        .where(eq(channelListings.id, onShopee));
      await reconcileListings(api.database.db, queues);
      await reconcileListings(api.database.db, queues);
      const waiting = await queues
        .find((q) => q.name === PUSH_QUEUE.shopee)
        ?.getJobs(['waiting', 'delayed', 'prioritized'], 0, -1);
      // One sweep of the Shopee shop however often the reconciler comes by, after every push
      // that carries a change; the TikTok listing's look is not due yet.
      expect(waiting?.map((j) => [j.name, j.data, j.opts.priority])).toEqual([
        [REVIEW_SWEEP_JOB, { connectionId: shopee.id }, REVIEW_SWEEP_PRIORITY],
      ]);
      const tiktokWaiting = await queues
        .find((q) => q.name === PUSH_QUEUE.tiktok_shop)
        ?.getJobs(['waiting', 'delayed', 'prioritized'], 0, -1);
      expect(tiktokWaiting).toEqual([]);
    } finally {
      for (const q of queues) {
        await q.obliterate({ force: true });
        await q.close();
      }
    }

    const lookedLongAgo = () =>
      api.database.db
        .update(channelListings)
        .set({ remoteStatusCheckedAt: sql`now() - interval '2 minutes'` })
        .where(sql`${channelListings.id} in (${onShopee}, ${onTiktok})`);
    const shopeeCalls = () => channels.sandbox.ctx.callLog.list({ platform: 'shopee' });
    const tiktokCalls = () => channels.sandbox.ctx.callLog.list({ platform: 'tiktok-shop' });
    // A look that is not due reads nothing.
    await api.database.db
      .update(channelListings)
      .set({ remoteStatusCheckedAt: sql`now()` })
      .where(sql`${channelListings.id} in (${onShopee}, ${onTiktok})`);
    const before = [shopeeCalls().length, tiktokCalls().length];
    expect(await sweepReviews(deps(), shopee.id)).toEqual({ due: 0, read: 0, changed: 0 });
    expect([shopeeCalls().length, tiktokCalls().length]).toEqual(before);
    // Still in review: the sweep reads the statuses (one batch call) and sends nothing else.
    await lookedLongAgo();
    expect(await sweepReviews(deps(), shopee.id)).toEqual({ due: 1, read: 1, changed: 0 });
    expect(await sweepReviews(deps(), tiktok.id)).toEqual({ due: 1, read: 1, changed: 0 });
    expect(
      shopeeCalls()
        .slice(before[0])
        .map((c) => c.endpoint),
    ).toEqual(['/api/v2/product/get_item_base_info']);
    expect(await listing(onShopee)).toMatchObject({ state: 'live', remoteStatus: 'in_review' });
    expect(await listing(onTiktok)).toMatchObject({ state: 'live', remoteStatus: 'in_review' });
    // The reviews end: the next sweep of each shop finds the item on sale.
    channels.sandbox.ctx.clock.advance(601_000);
    await lookedLongAgo();
    const [shopeeVersion, tiktokVersion] = [
      (await listing(onShopee)).version,
      (await listing(onTiktok)).version,
    ];
    expect(await sweepReviews(deps(), shopee.id)).toEqual({ due: 1, read: 1, changed: 1 });
    expect(await sweepReviews(deps(), tiktok.id)).toEqual({ due: 1, read: 1, changed: 1 });
    expect(await listing(onShopee)).toMatchObject({
      state: 'live',
      remoteStatus: 'live',
      version: shopeeVersion + 1,
    });
    expect(await listing(onTiktok)).toMatchObject({
      state: 'live',
      remoteStatus: 'live',
      version: tiktokVersion + 1,
    });
    // Nothing but reads went to either platform.
    expect(
      shopeeCalls()
        .slice(before[0])
        .filter((c) => c.method !== 'GET'),
    ).toEqual([]);
    expect(
      tiktokCalls()
        .slice(before[1])
        .map((c) => c.endpoint)
        .filter((e) => !e.endsWith('/products/search')),
    ).toEqual([]);
    // On sale: no more looks.
    await lookedLongAgo();
    const calls = [shopeeCalls().length, tiktokCalls().length];
    expect(await sweepReviews(deps(), shopee.id)).toEqual({ due: 0, read: 0, changed: 0 });
    expect((await pushListing(deps(), onShopee)).outcome).toBe('unchanged');
    expect([shopeeCalls().length, tiktokCalls().length]).toEqual(calls);
  });

  it('metrics: sync lag per channel and push outcomes per channel, read from Postgres', async () => {
    const registry = new Registry();
    registerSyncMetrics(registry, api.database.db, []);
    const product = await newProduct();
    await publish(product.id, tiktok.id);
    const text = await registry.metrics();
    expect(text).toMatch(/kriya_sync_lag_seconds\{channel="tiktok_shop"\} [0-9.]+/);
    expect(text).toMatch(/kriya_listing_pushes_last_hour\{channel="shopee",outcome="success"\} [1-9]/);
    expect(text).toContain('# TYPE kriya_shop_throttles_last_hour gauge');
  });

  it('a dead platform opens its own circuit: its pushes are delayed, the other channel still goes out', async () => {
    const own = createChannelRuntime({
      db: api.database.db,
      redis,
      prefix,
      channels: api.config.channels,
      imagePolicy: { maxBytes: 5_000_000, timeoutMs: 5_000, allowedPrivateOrigins: [photoOrigin] },
      breakerFailures: 2,
      breakerOpenMs: 60_000,
      sleep: async (ms) => {
        channels.sandbox.ctx.clock.advance(ms);
      },
      now: () => new Date(channels.sandbox.ctx.clock.nowMs()),
    });
    const guarded = deps({ adapters: own.adapters, guard: own.guard });
    const product = await newProduct();
    const onTiktok = await publish(product.id, tiktok.id);
    const onShopee = await publish(product.id, shopee.id);
    channels.sandbox.ctx.faults.set([{ platform: 'tiktok-shop', errorRate: 1 }]);
    try {
      for (let i = 0; i < 2; i += 1) {
        const err = await pushListing(guarded, onTiktok).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(RemotePushError);
      }
      expect(own.openCircuits()).toEqual(['tiktok_shop']);
      const calls = channels.sandbox.ctx.callLog.list({ platform: 'tiktok-shop' }).length;
      const err = await pushListing(guarded, onTiktok).then(
        () => null,
        (e: unknown) => e,
      );
      // No call reached the platform; the job is delayed for the open time, spending no attempt.
      expect(channels.sandbox.ctx.callLog.list({ platform: 'tiktok-shop' }).length).toBe(calls);
      const action = await recordPushFailure(guarded, onTiktok, err, {
        attemptsMade: 0,
        maxAttempts: 8,
        backoffMs: 2_000,
        ...(err instanceof RemotePushError && isOpenCircuit(err.cause) ? { circuitOpenMs: 60_000 } : {}),
      });
      expect(action).toMatchObject({ action: 'delay', reason: 'circuit_open' });
      expect((await pushListing(guarded, onShopee)).outcome).toBe('live');
    } finally {
      channels.sandbox.ctx.faults.clear();
    }
  });

  it('a product edit is routed to one job per listing, each on its own channel queue', async () => {
    const product = await newProduct();
    const onShopee = await publish(product.id, shopee.id);
    const onTiktok = await publish(product.id, tiktok.id);
    const queues = [
      createQueue(PUSH_QUEUE.shopee, redis, `${prefix}_routes`),
      createQueue(PUSH_QUEUE.tiktok_shop, redis, `${prefix}_routes`),
      createQueue(PUSH_QUEUE.partner_brand, redis, `${prefix}_routes`),
    ];
    try {
      await editPrice(product.id, 160_000);
      await api.database.db.insert(outbox).values({
        topic: 'product.changed',
        aggregateType: 'product',
        aggregateId: product.id,
        payload: { productId: product.id, crafterId: crafter.id, version: product.version + 1 },
      });
      await relayOutboxBatch(api.database.db, queues, { limit: 1_000, routes: pushRoutes });
      const [shopeeJobs, tiktokJobs] = await Promise.all(
        queues.slice(0, 2).map((q) => q.getJobs(['waiting', 'delayed', 'prioritized'])),
      );
      expect(shopeeJobs?.map((j) => j.data)).toContainEqual({ listingId: onShopee });
      expect(shopeeJobs?.map((j) => j.data)).not.toContainEqual({ listingId: onTiktok });
      expect(tiktokJobs?.map((j) => j.data)).toContainEqual({ listingId: onTiktok });
    } finally {
      for (const q of queues) {
        await q.obliterate({ force: true });
        await q.close();
      }
    }
  });

  it('the reconciler queues listings behind their product, once, on their channel queue', async () => {
    const queue: Queue = createQueue(PUSH_QUEUE.shopee, redis, prefix);
    try {
      const product = await newProduct();
      const id = await publish(product.id, shopee.id);
      const first = await reconcileListings(api.database.db, [queue]);
      expect(first).toBeGreaterThanOrEqual(1);
      const again = await reconcileListings(api.database.db, [queue]);
      expect(again).toBe(0);
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.filter((j) => j.data.listingId === id)).toHaveLength(1);
      expect((await listing(id)).queuedAt).not.toBeNull();
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
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

describe('push worker (BullMQ, Shopee queue)', () => {
  let queue: Queue;
  let worker: Worker;
  let workerRedis: Redis;
  /** As the outbox route adds an edit's push. */
  const enqueue = (listingId: string) => queue.add(EDIT_JOB, { listingId }, pushJobOptions(listingId));

  beforeAll(async () => {
    queue = createQueue(PUSH_QUEUE.shopee, redis, prefix);
    workerRedis = createQueueRedis('redis://127.0.0.1:6379');
    worker = new Worker(
      PUSH_QUEUE.shopee,
      (job: Job, token?: string) =>
        processPushListing(
          {
            ...deps(),
            channel: 'shopee',
            breakerOpenMs: 1_000,
            editSpacing: createEditSpacing(workerRedis, prefix, EDIT_COALESCE_MS),
          },
          job,
          token,
        ),
      { connection: workerRedis, prefix, concurrency: 4 },
    );
  });

  afterAll(async () => {
    await worker?.close();
    await queue?.obliterate({ force: true });
    await queue?.close();
    workerRedis?.disconnect();
    channels.sandbox.ctx.faults.clear();
  });

  it('many quick edits coalesce into few update calls, and the last edit arrives', async () => {
    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    await enqueue(id);
    await waitFor(
      () => listing(id),
      (l) => l.state === 'live',
    );
    const before = shopeeCalls('/api/v2/product/update_price');
    for (let i = 1; i <= 20; i += 1) {
      await editPrice(product.id, 150_000 + i * 1_000);
      await enqueue(id);
      // Edits spread over ~1 s, as a crafter's burst of PATCHes would be.
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const [current] = await api.database.db.select().from(products).where(eq(products.id, product.id));
    await waitFor(
      () => listing(id),
      (l) => l.pushedVersion === current?.version && l.state === 'live',
    );
    const calls = shopeeCalls('/api/v2/product/update_price') - before;
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(3);
    const models = await api.database.db
      .select()
      .from(channelListingVariants)
      .where(eq(channelListingVariants.listingId, id));
    // 170,000 + 10 % = 187,000 (already a multiple of 500).
    expect(models.every((m) => m.pushedPriceIdr === 187_000)).toBe(true);
  });

  it('edit spacing: an isolated edit pushes at once; an edit within the window after a push waits for its end', async () => {
    const spacing = createEditSpacing(redis, `${prefix}_spacing`, 60_000);
    const listingId = randomUUID();
    expect(await spacing.claim(listingId, true)).toBe(0);
    const left = await spacing.claim(listingId, true);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(60_000);
    // A run that already waited (or a retry) pushes, and opens a new window.
    expect(await spacing.claim(listingId, false)).toBe(0);
    expect(await spacing.claim(listingId, true)).toBeGreaterThan(0);
    // Another listing is not held up.
    expect(await spacing.claim(randomUUID(), true)).toBe(0);
    // No window configured: never waits.
    expect(await createEditSpacing(redis, `${prefix}_spacing`, 0).claim(listingId, true)).toBe(0);
  });

  it('a throttle delays the job without spending an attempt, then the edit arrives', async () => {
    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    await enqueue(id);
    await waitFor(
      () => listing(id),
      (l) => l.state === 'live',
    );
    channels.sandbox.ctx.faults.set([
      { platform: 'shopee', endpoint: '/api/v2/product/update_price', throttleRate: 1 },
    ]);
    await editPrice(product.id, 210_000);
    const job = await enqueue(id);
    const throttled = await waitFor(
      () => api.database.db.select().from(listingPushAttempts).where(eq(listingPushAttempts.listingId, id)),
      (rows) => rows.some((r) => r.outcome === 'throttled'),
    );
    expect(throttled.some((r) => r.outcome === 'throttled')).toBe(true);
    expect((await listing(id)).nextAttemptAt).not.toBeNull();
    channels.sandbox.ctx.faults.clear();
    const [current] = await api.database.db.select().from(products).where(eq(products.id, product.id));
    await waitFor(
      () => listing(id),
      (l) => l.pushedVersion === current?.version,
    );
    const done = await queue.getJob(job.id as string);
    // More runs than attempts: the throttled run (like a wait for the edit spacing, right after the
    // publish's push) was moved back to delayed without counting; one attempt in all.
    expect(done?.attemptsStarted).toBeGreaterThanOrEqual(2);
    expect(done?.attemptsMade).toBe(1);
    expect((await listing(id)).attempts).toBe(0);
  });

  it("the review sweep runs on the shop's push queue: a throttle delays it without failing it, then the item on sale is recorded", async () => {
    const product = await newProduct();
    const id = await publish(product.id, shopee.id);
    await enqueue(id);
    await waitFor(
      () => listing(id),
      (l) => l.state === 'live' && l.remoteStatus === 'in_review',
    );
    // Shopee's review ends; our last look is old enough for the next.
    channels.sandbox.ctx.clock.advance(601_000);
    await api.database.db
      .update(channelListings)
      .set({ remoteStatusCheckedAt: sql`now() - interval '2 minutes'` })
      .where(eq(channelListings.id, id));
    const reads = () => shopeeCalls('/api/v2/product/get_item_base_info');
    const before = reads();
    channels.sandbox.ctx.faults.set([
      { platform: 'shopee', endpoint: '/api/v2/product/get_item_base_info', throttleRate: 1 },
    ]);
    const job = await queue.add(
      REVIEW_SWEEP_JOB,
      { connectionId: shopee.id },
      reviewSweepJobOptions(shopee.id),
    );
    await waitFor(
      async () => reads(),
      (n) => n > before,
    );
    expect((await listing(id)).remoteStatus).toBe('in_review');
    channels.sandbox.ctx.faults.clear();
    await waitFor(
      () => listing(id),
      (l) => l.remoteStatus === 'live',
    );
    const done = await waitFor(
      async () => queue.getJob(job.id as string),
      (j) => j?.finishedOn !== undefined,
    );
    // Moved back to delayed by the throttle (runs without counting), then completed.
    expect(done?.failedReason).toBeUndefined();
    expect(done?.attemptsStarted).toBeGreaterThanOrEqual(2);
    expect(done?.returnvalue).toMatchObject({ changed: expect.any(Number) });
  });

  it('a permanent refusal fails the job at once: failed in plain words, one add_item in the call log', async () => {
    await api.database.db
      .update(channelCategoryMappings)
      .set({ channelCategoryId: '999999' })
      .where(
        and(
          eq(channelCategoryMappings.channel, 'shopee'),
          eq(channelCategoryMappings.canonicalCategory, 'kerajinan/anyaman'),
        ),
      );
    try {
      const product = await newProduct();
      const id = await publish(product.id, shopee.id);
      const before = shopeeCalls('/api/v2/product/add_item');
      const job = await enqueue(id);
      const row = await waitFor(
        () => listing(id),
        (l) => l.state === 'failed',
      );
      expect(row.lastError).toMatch(/Shopee/);
      expect(row.lastErrorId?.length).toBeGreaterThan(10);
      await waitFor(
        async () => (await queue.getJob(job.id as string))?.failedReason,
        (reason) => typeof reason === 'string',
      );
      expect(shopeeCalls('/api/v2/product/add_item') - before).toBe(1);
      expect((await queue.getJob(job.id as string))?.attemptsMade).toBe(1);
    } finally {
      await api.database.db
        .update(channelCategoryMappings)
        .set({ channelCategoryId: '100102' })
        .where(
          and(
            eq(channelCategoryMappings.channel, 'shopee'),
            eq(channelCategoryMappings.canonicalCategory, 'kerajinan/anyaman'),
          ),
        );
    }
  });
});
