/**
 * The one conformance suite every channel adapter passes, run against the marketplace sandbox (started
 * in-process, all platforms mounted, faithful rules on). Each channel is authorised the way a real shop
 * is: Shopee by the code → token exchange, TikTok Shop by the auth code → token exchange plus a
 * warehouse from Get Warehouse List, the partner brand by a key issued through the control API.
 * Product photos come from a local HTTP server that the image policy allows explicitly.
 *
 * Platform waits (Shopee review, the 5 s before init_tier_variation, TikTok's audit) are passed by
 * moving the sandbox clock, never by switching the rules off, and the adapters sign with that clock.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import type { ImageFetchPolicy } from '../../../src/channels/images.js';
import { createPartnerBrandAdapter } from '../../../src/channels/partner-brand/index.js';
import { createShopeeAdapter } from '../../../src/channels/shopee/index.js';
import { createTiktokShopAdapter } from '../../../src/channels/tiktok-shop/index.js';
import {
  type CanonicalListing,
  type CanonicalOrder,
  type CanonicalVariant,
  type CategoryPlacement,
  type Channel,
  type ChannelAdapter,
  ChannelFailure,
  type ConnectionContext,
  type FailureKind,
  type ImageUploadCache,
  type PullCursor,
  type RemoteListingRef,
} from '../../../src/channels/types.js';
import { figuresByDay } from '../../helpers/sales-figures.js';
import { PartnerTestClient } from '../../sandbox/partner-brand/client.js';
import { authorizedClient } from '../../sandbox/shopee/client.js';
import { makePng } from '../../sandbox/tiktok-shop/client.js';
import { authorizedShop } from '../../sandbox/tiktok-shop/fixtures.js';

let sandbox: Sandbox;
let rootUrl: string;
let photos: Server;
let photoOrigin: string;

beforeAll(async () => {
  sandbox = await buildSandbox({ seed: 9 });
  await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
  rootUrl = sandbox.ctx.baseUrl();
  const photo = makePng(600, 600);
  const otherPhoto = makePng(640, 640);
  photos = createServer((req, res) => {
    if (req.url === '/tas-1.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(photo);
    if (req.url === '/tas-2.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(otherPhoto);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => photos.listen(0, '127.0.0.1', resolve));
  photoOrigin = `http://127.0.0.1:${(photos.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise<void>((resolve) => photos.close(() => resolve()));
});

/** The adapters' HTTP timeout here: far above a local sandbox call, short enough to test a hung call. */
const CALL_TIMEOUT_MS = 2_000;
const sandboxNow = (): Date => new Date(sandbox.ctx.clock.nowMs());
const imagePolicy = (): ImageFetchPolicy => ({
  maxBytes: 5_000_000,
  timeoutMs: 5_000,
  allowedPrivateOrigins: [photoOrigin],
});
/**
 * Holds calls to one shop to a declared rate, as the production gate (Redis, all workers) does; here
 * one process is enough. The sandbox enforces the platforms' limits, so bursting past them would be
 * throttled.
 */
function rateGate(perSecond: number): (key: string) => Promise<void> {
  const next = new Map<string, number>();
  return async (key) => {
    const now = Date.now();
    const at = Math.max(now, next.get(key) ?? 0);
    next.set(key, at + 1000 / perSecond);
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}

function memoryImageCache(): ImageUploadCache {
  const ids = new Map<string, string>();
  return {
    get: async (connection, sha) => ids.get(`${connection}:${sha}`),
    put: async (connection, sha, id) => {
      ids.set(`${connection}:${sha}`, id);
    },
  };
}

/** What the suite needs from one channel, set up against the sandbox. */
interface ChannelFixture {
  adapter: ChannelAdapter;
  ctx: ConnectionContext;
  placement: CategoryPlacement;
  /** A placement whose category the platform does not know. */
  unknownCategory: CategoryPlacement;
  /** Lets the platform finish reviewing what was submitted (sandbox clock). */
  passReview(): void;
  /** Moves the sandbox clock past the shop's access-token lifetime (0 when the channel has no tokens). */
  tokenLifetimeMs: number;
  /** A context whose credentials the platform no longer accepts, for channels without expiring tokens. */
  revokedCtx?: ConnectionContext;
  /** The title buyers see now, read from the platform by an independent test client. */
  remoteTitle(ref: RemoteListingRef): Promise<string>;
  /**
   * Buyers place these orders (one list of SKU × quantity per order) at `createdAt` (Unix seconds),
   * through the sandbox control API; returns the platform's order ids.
   */
  placeOrders(orders: Array<Array<{ sku: string; quantity: number }>>, createdAt: number): Promise<string[]>;
  /** Cancels an order on the platform (control API); absent where sales are final (partner reports). */
  cancelOrder?(id: string): Promise<void>;
}

/** The sandbox control API, over HTTP as tests and demos use it. */
async function sandboxControl(
  method: 'GET' | 'POST',
  url: string,
  payload?: object,
): Promise<Record<string, unknown>> {
  const res = await sandbox.app.inject({ method, url: `/__sandbox${url}`, ...(payload ? { payload } : {}) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json() as Record<string, unknown>;
}

interface ChannelCase {
  channel: Channel;
  platform: 'shopee' | 'tiktok-shop' | 'partner-brand';
  setup(): Promise<ChannelFixture>;
}

const cases: ChannelCase[] = [
  {
    channel: 'shopee',
    platform: 'shopee',
    async setup() {
      const shopee = await authorizedClient(sandbox, { partnerId: 2009901, shopId: 99001 });
      const adapter = createShopeeAdapter(
        {
          baseUrl: `${rootUrl}/shopee`,
          partnerId: shopee.partnerId,
          partnerKey: shopee.partnerKey,
          tierWaitMs: 5_000,
          timeoutMs: CALL_TIMEOUT_MS,
        },
        {
          imageCache: memoryImageCache(),
          imagePolicy: imagePolicy(),
          now: sandboxNow,
          gate: rateGate(10),
          // Waiting on Shopee's clock: the honest emulation of "wait at least 5 s" is to let 5 s pass
          // there, not here.
          sleep: async (ms) => {
            sandbox.ctx.clock.advance(ms);
          },
        },
      );
      const placement: CategoryPlacement = {
        categoryId: '100102',
        attributes: [{ attributeId: '200001', valueId: '3001', value: 'Katun' }],
        logisticsChannelId: '8003',
        packageCm: { length: 30, width: 20, height: 5 },
      };
      return {
        adapter,
        ctx: {
          connectionId: 'conn-shopee',
          externalShopId: String(shopee.shopId),
          accessToken: String(shopee.accessToken),
        },
        placement,
        unknownCategory: { ...placement, categoryId: '999999' },
        passReview: () => sandbox.ctx.clock.advance(601_000),
        tokenLifetimeMs: 4 * 3600_000 + 60_000,
        async remoteTitle(ref) {
          const res = await shopee.get('/api/v2/product/get_item_base_info', {
            item_id_list: ref.remoteItemId,
          });
          const items = res.body.response?.item_list as Array<{ item_name: string }> | undefined;
          return String(items?.[0]?.item_name);
        },
        async placeOrders(orders, createdAt) {
          const body = await sandboxControl('POST', '/shopee/orders', {
            shopId: shopee.shopId,
            orders: orders.map((lines) => ({ createTime: createdAt, status: 'READY_TO_SHIP', lines })),
          });
          return (body.orders as Array<{ orderSn: string }>).map((o) => o.orderSn);
        },
        async cancelOrder(id) {
          await sandboxControl('POST', `/shopee/orders/${id}/status`, { status: 'CANCELLED' });
        },
      };
    },
  },
  {
    channel: 'tiktok_shop',
    platform: 'tiktok-shop',
    async setup() {
      const platform = sandbox.platforms.find((p) => p.name === 'tiktok-shop');
      if (!platform) throw new Error('tiktok-shop is not mounted');
      const shop = await authorizedShop({
        baseUrl: `${rootUrl}${platform.prefix}`,
        rootUrl,
        ctx: sandbox.ctx,
        platform,
        close: async () => {},
      });
      // logistics/202309/warehouses (Get Warehouse List): where the shop's stock sits.
      const warehouses = await shop.client.call('GET', '/logistics/202309/warehouses', {
        shopCipher: shop.cipher,
      });
      expect(warehouses.body.code, warehouses.body.message).toBe(0);
      const list = warehouses.body.data.warehouses as Array<{ id: string; type: string }>;
      const warehouseId = list.find((w) => w.type === 'SALES_WAREHOUSE')?.id;
      expect(warehouseId).toBeDefined();
      const adapter = createTiktokShopAdapter(
        {
          baseUrl: `${rootUrl}${platform.prefix}`,
          appKey: shop.appKey,
          appSecret: shop.appSecret,
          timeoutMs: CALL_TIMEOUT_MS,
        },
        { imageCache: memoryImageCache(), imagePolicy: imagePolicy(), now: sandboxNow, gate: rateGate(20) },
      );
      const settings = platform.control.configure({}) as { settings: { auditDelaySeconds: number } };
      const placement: CategoryPlacement = {
        categoryId: '600201',
        attributes: [{ attributeId: '102001', valueId: '1020010', value: 'Pandan' }],
        warehouseId: String(warehouseId),
      };
      return {
        adapter,
        ctx: {
          connectionId: 'conn-tiktok',
          externalShopId: shop.shopId,
          shopCipher: shop.cipher,
          accessToken: String(shop.client.accessToken),
        },
        placement,
        unknownCategory: { ...placement, categoryId: '999999' },
        passReview: () => sandbox.ctx.clock.advance((settings.settings.auditDelaySeconds + 1) * 1000),
        tokenLifetimeMs: 7 * 24 * 3600_000 + 60_000,
        async remoteTitle(ref) {
          const res = await shop.client.call('GET', `/product/202309/products/${ref.remoteItemId}`, {
            shopCipher: shop.cipher,
          });
          return String(res.body.data.title);
        },
        async placeOrders(orders, createdAt) {
          const body = await sandboxControl('POST', '/tiktok-shop/orders', {
            shop_id: shop.shopId,
            orders: orders.map((lines) => ({
              create_time: createdAt,
              status: 'AWAITING_SHIPMENT',
              lines: lines.map((l) => ({ seller_sku: l.sku, quantity: l.quantity })),
            })),
          });
          return (body.orders as Array<{ id: string }>).map((o) => o.id);
        },
        async cancelOrder(id) {
          await sandboxControl('POST', `/tiktok-shop/orders/${id}/status`, { status: 'CANCELLED' });
        },
      };
    },
  },
  {
    channel: 'partner_brand',
    platform: 'partner-brand',
    async setup() {
      const platform = sandbox.platforms.find((p) => p.name === 'partner-brand');
      if (!platform) throw new Error('partner-brand is not mounted');
      const partner = platform.control.createApp({ name: 'Galeri Nusantara' }) as {
        partner_id: string;
        key: string;
        secret: string;
      };
      const adapter = createPartnerBrandAdapter(
        { timeoutMs: CALL_TIMEOUT_MS },
        { now: sandboxNow, gate: rateGate(10) },
      );
      const ctx: ConnectionContext = {
        connectionId: 'conn-partner',
        externalShopId: partner.partner_id,
        apiKey: partner.key,
        apiSecret: partner.secret,
        endpoint: `${rootUrl}${platform.prefix}`,
      };
      return {
        adapter,
        ctx,
        placement: { categoryId: 'kriya', attributes: [] },
        unknownCategory: { categoryId: 'kriya', attributes: [] },
        passReview: () => {},
        tokenLifetimeMs: 0,
        // A key the partner no longer recognises (revoked or rotated on their side).
        revokedCtx: { ...ctx, apiKey: 'pk_revoked_long_ago' },
        async remoteTitle(ref) {
          const client = new PartnerTestClient(ctx.endpoint ?? '', partner.key, partner.secret, () =>
            sandbox.ctx.clock.nowSeconds(),
          );
          const res = await client.call('GET', '/v1/assortment/items?limit=200');
          const items = (res.json as { items: Array<{ sku: string; title: string }> }).items;
          // One item per variant, titled "<product title> (<options>)".
          const title = items.find((i) => Object.values(ref.remoteVariantIds).includes(i.sku))?.title ?? '';
          return title.replace(/ \([^)]*\)$/, '');
        },
        async placeOrders(orders, createdAt) {
          // A report line is one sale of one SKU: each line of each order becomes one report line.
          const body = await sandboxControl('POST', '/partner-brand/orders', {
            partner_id: partner.partner_id,
            sales: orders.flat().map((l) => ({ sku: l.sku, quantity: l.quantity, sold_at: createdAt })),
          });
          return (body.lines as Array<{ report_line_id: string }>).map((l) => l.report_line_id);
        },
      };
    },
  },
];

function variant(sku: string, colour: string, priceIdr: number, stock: number): CanonicalVariant {
  return { variantId: `v-${sku}`, sku, options: { warna: colour }, priceIdr, stock, weightGrams: 400 };
}

function listing(f: ChannelFixture, productId: string, variants: CanonicalVariant[]): CanonicalListing {
  return {
    productId,
    version: 1,
    title: 'Tas Anyaman Pandan Motif Ciater Handmade',
    description: 'Tas anyaman pandan buatan tangan perajin Tangerang Selatan, kuat dan ringan.',
    imageUrls: [`${photoOrigin}/tas-1.png`],
    placement: f.placement,
    variants,
  };
}

async function failureOf(work: Promise<unknown>): Promise<ChannelFailure> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelFailure);
  return err as ChannelFailure;
}

function expectPlainWords(failure: ChannelFailure, kind: FailureKind): void {
  expect(failure.kind, `${failure.platformCode}: ${failure.human.en}`).toBe(kind);
  expect(failure.human.en.length).toBeGreaterThan(10);
  expect(failure.human.id.length).toBeGreaterThan(10);
  expect(failure.human.id).not.toBe(failure.human.en);
}

describe.each(cases)('channel conformance: $channel', ({ channel, platform, setup }) => {
  let f: ChannelFixture;
  let ref: RemoteListingRef;
  const p = `KS-${channel.replace('_', '').toUpperCase().slice(0, 6)}`;
  const red = variant(`${p}-A`, 'merah', 150_000, 5);
  const blue = variant(`${p}-B`, 'biru', 165_000, 3);
  const green = variant(`${p}-C`, 'hijau', 170_000, 2);

  beforeAll(async () => {
    f = await setup();
  });

  it('names the problems of a product beyond its limits, in English and Bahasa', () => {
    expect(f.adapter.validate(listing(f, 'p-ok', [red, blue]))).toEqual([]);
    const tooMuch: CanonicalListing = {
      ...listing(f, 'p-big', [
        {
          ...red,
          options: { warna: 'merah', ukuran: 'M', motif: 'parang', bahan: 'pandan' },
          priceIdr: 0,
        },
      ]),
      title: 'T'.repeat(f.adapter.limits.titleMax + 1),
    };
    const problems = f.adapter.validate(tooMuch);
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const problem of problems) {
      expect(problem.message.en).not.toBe('');
      expect(problem.message.id).not.toBe('');
    }
    expect(problems.map((x) => x.field)).toContain('title');
  });

  it('creates a product with two variants: the right SKUs, prices and stock', async () => {
    const wanted = listing(f, 'p-1', [red, blue]);
    ref = await f.adapter.create(f.ctx, wanted);
    expect(Object.keys(ref.remoteVariantIds).sort()).toEqual([red.variantId, blue.variantId].sort());
    f.passReview();
    const state = await f.adapter.read(f.ctx, ref);
    expect(state?.status).toBe('live');
    expect(
      state?.variants.map((v) => ({ sku: v.sku, priceIdr: v.priceIdr, stock: v.stock })).sort(bySku),
    ).toEqual([
      { sku: red.sku, priceIdr: 150_000, stock: 5 },
      { sku: blue.sku, priceIdr: 165_000, stock: 3 },
    ]);
    for (const v of state?.variants ?? []) {
      const ours = v.sku === red.sku ? red : blue;
      expect(ref.remoteVariantIds[ours.variantId]).toBe(v.remoteVariantId);
    }
  });

  it('a price or stock change while the platform still reviews a new listing is applied or retried, never refused', async () => {
    const fresh = await f.adapter.create(
      f.ctx,
      listing(f, 'p-review', [{ ...variant(`${p}-R`, 'merah', 120_000, 4), options: {} }]),
    );
    const changed = listing(f, 'p-review', [{ ...variant(`${p}-R`, 'merah', 125_000, 6), options: {} }]);
    const outcome = await f.adapter.updatePriceAndStock(f.ctx, fresh, changed).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (outcome !== undefined) {
      expect(outcome).toBeInstanceOf(ChannelFailure);
      expect((outcome as ChannelFailure).kind).toBe('retryable');
      expect((outcome as ChannelFailure).waitMs).toBeGreaterThan(0);
    }
    // A content edit during the review is taken, or retried after a wait.
    const edited = { ...changed, title: 'Tas Anyaman Pandan Motif Ciater Edisi Kedua' };
    const editOutcome = await f.adapter.update(f.ctx, fresh, edited).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (editOutcome !== undefined) {
      expect(editOutcome).toBeInstanceOf(ChannelFailure);
      expect((editOutcome as ChannelFailure).kind, String(editOutcome)).toBe('retryable');
    }
    f.passReview();
    if (editOutcome !== undefined) await f.adapter.update(f.ctx, fresh, edited);
    f.passReview();
    expect(await f.remoteTitle(fresh)).toBe(edited.title);
    await f.adapter.updatePriceAndStock(f.ctx, fresh, changed);
    expect((await f.adapter.read(f.ctx, fresh))?.variants).toMatchObject([
      { sku: `${p}-R`, priceIdr: 125_000, stock: 6 },
    ]);

    // A single-variant product that gains a second variant (no options → one kind of option).
    const two = listing(f, 'p-review', [
      variant(`${p}-R`, 'merah', 125_000, 6),
      variant(`${p}-S`, 'biru', 128_000, 2),
    ]);
    const grown = await f.adapter.update(f.ctx, fresh, two);
    f.passReview();
    expect(
      (await f.adapter.read(f.ctx, grown))?.variants
        .map((v) => ({ sku: v.sku, priceIdr: v.priceIdr, stock: v.stock }))
        .sort(bySku),
    ).toEqual([
      { sku: `${p}-R`, priceIdr: 125_000, stock: 6 },
      { sku: `${p}-S`, priceIdr: 128_000, stock: 2 },
    ]);
    expect(Object.keys(grown.remoteVariantIds).sort()).toEqual([`v-${p}-R`, `v-${p}-S`]);
    await f.adapter.delist(f.ctx, grown);
  });

  it('updates the title and a price; the variants keep their remote ids', async () => {
    const edited = {
      ...listing(f, 'p-1', [{ ...red, priceIdr: 155_000 }, blue]),
      title: 'Tas Anyaman Pandan Motif Ciater Buatan Tangan',
      imageUrls: [`${photoOrigin}/tas-2.png`],
    };
    const next = await f.adapter.update(f.ctx, ref, edited);
    expect(next.remoteVariantIds).toEqual(ref.remoteVariantIds);
    f.passReview();
    expect(await f.remoteTitle(next)).toBe('Tas Anyaman Pandan Motif Ciater Buatan Tangan');
    const state = await f.adapter.read(f.ctx, next);
    expect(state?.variants.find((v) => v.sku === red.sku)?.priceIdr).toBe(155_000);
    expect(state?.variants.find((v) => v.sku === blue.sku)?.priceIdr).toBe(165_000);
    ref = next;
  });

  it('updates prices and stock through the batch calls', async () => {
    await f.adapter.updatePriceAndStock(
      f.ctx,
      ref,
      listing(f, 'p-1', [
        { ...red, priceIdr: 149_000, stock: 9 },
        { ...blue, priceIdr: 166_000, stock: 1 },
      ]),
    );
    const state = await f.adapter.read(f.ctx, ref);
    expect(
      state?.variants.map((v) => ({ sku: v.sku, priceIdr: v.priceIdr, stock: v.stock })).sort(bySku),
    ).toEqual([
      { sku: red.sku, priceIdr: 149_000, stock: 9 },
      { sku: blue.sku, priceIdr: 166_000, stock: 1 },
    ]);
  });

  it('a sold-out variant shows stock 0, by the batch call and by a full update', async () => {
    const soldOut = listing(f, 'p-1', [
      { ...red, priceIdr: 149_000, stock: 9 },
      { ...blue, priceIdr: 166_000, stock: 0 },
    ]);
    // An existing listing with a sold-out SKU still validates for an update.
    expect(f.adapter.validate(soldOut, { creating: false })).toEqual([]);
    await f.adapter.updatePriceAndStock(f.ctx, ref, soldOut);
    expect((await f.adapter.read(f.ctx, ref))?.variants.find((v) => v.sku === blue.sku)?.stock).toBe(0);

    await f.adapter.updatePriceAndStock(
      f.ctx,
      ref,
      listing(f, 'p-1', [soldOut.variants[0] as CanonicalVariant, { ...blue, priceIdr: 166_000, stock: 1 }]),
    );
    const next = await f.adapter.update(f.ctx, ref, soldOut);
    expect(next.remoteVariantIds).toEqual(ref.remoteVariantIds);
    f.passReview();
    expect((await f.adapter.read(f.ctx, ref))?.variants.find((v) => v.sku === blue.sku)?.stock).toBe(0);
    await f.adapter.updatePriceAndStock(
      f.ctx,
      ref,
      listing(f, 'p-1', [soldOut.variants[0] as CanonicalVariant, { ...blue, priceIdr: 166_000, stock: 1 }]),
    );
  });

  it('creating with a sold-out variant: stock 0 where the platform takes it, else refused up front in plain words', async () => {
    const wanted = listing(f, 'p-empty', [
      variant(`${p}-E1`, 'merah', 90_000, 3),
      variant(`${p}-E2`, 'biru', 90_000, 0),
    ]);
    const problems = f.adapter.validate(wanted, { creating: true });
    if (channel === 'tiktok_shop') {
      expect(problems.map((x) => x.field)).toEqual([`variants.${p}-E2.stock`]);
      const before = sandbox.ctx.callLog.list({ platform }).length;
      const failure = await failureOf(f.adapter.create(f.ctx, wanted));
      expectPlainWords(failure, 'permanent');
      expect(failure.human.en).toContain('at least 1 unit of every variant');
      expect(sandbox.ctx.callLog.list({ platform }).length).toBe(before);
      return;
    }
    expect(problems).toEqual([]);
    const created = await f.adapter.create(f.ctx, wanted);
    f.passReview();
    expect((await f.adapter.read(f.ctx, created))?.variants.find((v) => v.sku === `${p}-E2`)?.stock).toBe(0);
    await f.adapter.delist(f.ctx, created);
  });

  it('adds and removes a variant through update: the removed SKU is gone, the others keep their ids', async () => {
    const redNow = { ...red, priceIdr: 149_000, stock: 9 };
    const added = await f.adapter.update(
      f.ctx,
      ref,
      listing(f, 'p-1', [redNow, { ...blue, priceIdr: 166_000, stock: 1 }, green]),
    );
    expect(added.remoteVariantIds[red.variantId]).toBe(ref.remoteVariantIds[red.variantId]);
    expect(added.remoteVariantIds[blue.variantId]).toBe(ref.remoteVariantIds[blue.variantId]);
    expect(added.remoteVariantIds[green.variantId]).toBeDefined();
    f.passReview();
    expect((await f.adapter.read(f.ctx, added))?.variants.map((v) => v.sku).sort()).toEqual(
      [red.sku, blue.sku, green.sku].sort(),
    );

    const removed = await f.adapter.update(f.ctx, added, listing(f, 'p-1', [redNow, green]));
    expect(removed.remoteVariantIds).toEqual({
      [red.variantId]: added.remoteVariantIds[red.variantId],
      [green.variantId]: added.remoteVariantIds[green.variantId],
    });
    f.passReview();
    const state = await f.adapter.read(f.ctx, removed);
    expect(state?.variants.map((v) => v.sku).sort()).toEqual([red.sku, green.sku].sort());
    expect(state?.variants.find((v) => v.sku === green.sku)).toMatchObject({ priceIdr: 170_000, stock: 2 });
    ref = removed;
  });

  it('delists: the remote listing reads back inactive or deleted', async () => {
    await f.adapter.delist(f.ctx, ref);
    const state = await f.adapter.read(f.ctx, ref);
    if (state !== null) expect(['inactive', 'deleted']).toContain(state.status);
    // Delisting twice is harmless (a retried job).
    await f.adapter.delist(f.ctx, ref);
  });

  it('findCreated finds an item created after `since`, never one created before it (a reused SKU)', async () => {
    // The SKUs of the delisted product are reused by a new product, well after the old one was made.
    sandbox.ctx.clock.advance(5 * 60_000);
    const since = sandboxNow();
    expect(await f.adapter.findCreated(f.ctx, red.sku, since)).toBeNull();

    const reused = await f.adapter.create(f.ctx, listing(f, 'p-2', [red, blue]));
    f.passReview();
    const found = await f.adapter.findCreated(f.ctx, red.sku, since);
    expect(found?.remoteItemId).toBe(reused.remoteItemId);
    if (channel !== 'partner_brand') expect(found?.remoteItemId).not.toBe(ref.remoteItemId);

    sandbox.ctx.clock.advance(5 * 60_000);
    expect(await f.adapter.findCreated(f.ctx, red.sku, sandboxNow())).toBeNull();
    ref = reused;
  });

  it('the review sweep tells what a read tells of an item, while the platform reviews it and after', async () => {
    const since = sandboxNow();
    const fresh = await f.adapter.create(f.ctx, listing(f, 'p-3', [green]));
    const sweep = async () =>
      (await f.adapter.readReviewStatuses(f.ctx, [{ remoteItemId: fresh.remoteItemId, since }])).get(
        fresh.remoteItemId,
      );
    expect(await sweep()).toBe((await f.adapter.read(f.ctx, fresh))?.status);
    f.passReview();
    expect(await sweep()).toBe('live');
    expect((await f.adapter.read(f.ctx, fresh))?.status).toBe('live');
    await f.adapter.delist(f.ctx, fresh);
  });

  it('classifies an injected 5xx as retryable', async () => {
    sandbox.ctx.faults.set([{ platform, errorRate: 1 }]);
    try {
      expectPlainWords(await failureOf(f.adapter.read(f.ctx, ref)), 'retryable');
    } finally {
      sandbox.ctx.faults.clear();
    }
  });

  it('classifies a call the platform never answers (timeout) as retryable', async () => {
    sandbox.ctx.faults.set([{ platform, timeoutRate: 1, timeoutHoldMs: 10_000 }]);
    try {
      expectPlainWords(await failureOf(f.adapter.read(f.ctx, ref)), 'retryable');
    } finally {
      sandbox.ctx.faults.clear();
    }
  });

  it('classifies a throttle as throttled, with a wait', async () => {
    sandbox.ctx.faults.set([{ platform, throttleRate: 1 }]);
    try {
      const failure = await failureOf(f.adapter.read(f.ctx, ref));
      expectPlainWords(failure, 'throttled');
      expect(failure.waitMs).toBeGreaterThan(0);
    } finally {
      sandbox.ctx.faults.clear();
    }
  });

  it('classifies an expired or revoked authorisation as reauth', async () => {
    if (f.revokedCtx) {
      expectPlainWords(await failureOf(f.adapter.read(f.revokedCtx, ref)), 'reauth');
      return;
    }
    const offset = sandbox.ctx.clock.nowMs();
    sandbox.ctx.clock.advance(f.tokenLifetimeMs);
    try {
      expectPlainWords(await failureOf(f.adapter.read(f.ctx, ref)), 'reauth');
    } finally {
      sandbox.ctx.clock.set(offset);
    }
  });

  it('pulls orders placed on the platform: each once, lines by seller SKU, figures equal the platform’s own totals', async () => {
    const createdAt = Math.floor(sandboxNow().getTime() / 1000) - 86_400;
    const ids = await f.placeOrders(
      [
        [{ sku: red.sku, quantity: 2 }],
        [
          { sku: blue.sku, quantity: 1 },
          { sku: red.sku, quantity: 1 },
        ],
        [{ sku: red.sku, quantity: 1 }],
      ],
      createdAt,
    );
    const window = {
      from: new Date((createdAt - 3_600) * 1000),
      to: new Date(sandboxNow().getTime() + 60_000),
    };
    const pullAll = async () => {
      const orders: CanonicalOrder[] = [];
      let cursor: PullCursor | null = null;
      do {
        const page = await f.adapter.pullOrders(f.ctx, window, cursor);
        orders.push(...page.orders);
        cursor = page.next;
      } while (cursor);
      return orders;
    };
    const truth = async () =>
      (await sandboxControl('GET', `/${platform}/shops/${f.ctx.externalShopId}/sales-totals`))
        .totals as unknown[];

    const first = await pullAll();
    const ours = first.filter((o) => ids.includes(o.externalOrderId));
    expect(new Set(ours.map((o) => o.externalOrderId)).size).toBe(ids.length);
    expect(new Set(first.map((o) => o.externalOrderId)).size).toBe(first.length);
    const units = (o: CanonicalOrder) =>
      o.lines
        .map((l) => `${l.sellerSku}×${l.quantity}`)
        .sort()
        .join(',');
    // Partner reports have one order per report line (one SKU each); marketplaces keep the basket.
    const expected =
      channel === 'partner_brand'
        ? [`${red.sku}×2`, `${blue.sku}×1`, `${red.sku}×1`, `${red.sku}×1`]
        : [`${red.sku}×2`, [`${blue.sku}×1`, `${red.sku}×1`].sort().join(','), `${red.sku}×1`];
    expect(ours.map(units).sort()).toEqual(expected.sort());
    for (const order of ours) {
      expect(order.status).not.toBe('cancelled');
      expect(order.createdAt.getTime()).toBe(createdAt * 1000);
      for (const line of order.lines)
        expect(Number.isInteger(line.unitPriceIdr) && line.unitPriceIdr > 0).toBe(true);
    }
    expect(figuresByDay(first, f.ctx.externalShopId)).toEqual(await truth());

    // A cancellation on the platform is seen by the next pull, and both sides still agree.
    if (f.cancelOrder) {
      await f.cancelOrder(ids[2] as string);
      const again = await pullAll();
      expect(again.find((o) => o.externalOrderId === ids[2])?.status).toBe('cancelled');
      expect(figuresByDay(again, f.ctx.externalShopId)).toEqual(await truth());
    }
  });

  it('classifies a content refusal as permanent, with the reason in plain words', async () => {
    const refused =
      channel === 'partner_brand'
        ? listing(f, 'p-3', [{ ...red, sku: 'SKU WITH SPACES' }])
        : { ...listing(f, 'p-3', [variant(`${p}-X`, 'merah', 150_000, 5)]), placement: f.unknownCategory };
    const failure = await failureOf(f.adapter.create(f.ctx, refused));
    expectPlainWords(failure, 'permanent');
  });
});

function bySku(a: { sku: string }, b: { sku: string }): number {
  return a.sku.localeCompare(b.sku);
}
