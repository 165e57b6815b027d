/**
 * The real marketplace sandbox, in-process on a free port, with one app per platform whose
 * credentials the API under test is configured with (as an operator would configure the real ones).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { PlatformModule } from '../../sandbox/core/contract.js';
import { buildSandbox, type Sandbox } from '../../sandbox/server.js';
import type { ConnectionSecrets } from '../../src/channels/auth.js';
import { channelConnections } from '../../src/db/schema/index.js';
import type { Principal } from '../../src/domain/scope.js';
import { openJson } from '../../src/lib/secrets.js';
import {
  type ChannelRuntime,
  type ChannelRuntimeOptions,
  createChannelRuntime,
} from '../../src/services/channel-runtime.js';
import { secretsContext } from '../../src/services/connections.js';
import { addItemBody, ShopeeTestClient, tinyPng } from '../sandbox/shopee/client.js';
import type { TestApi } from './api.js';

export interface ChannelSandbox {
  sandbox: Sandbox;
  rootUrl: string;
  shopee: PlatformModule;
  tiktok: PlatformModule;
  /** Environment for `startTestApi`/`loadConfig` pointing every channel at this sandbox. */
  env: Record<string, string>;
  shopeePartner: { partnerId: number; partnerKey: string };
  tiktokApp: { appKey: string; appSecret: string };
  close(): Promise<void>;
}

export async function startChannelSandbox(): Promise<ChannelSandbox> {
  const sandbox = await buildSandbox({ seed: 8 });
  await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
  const byName = (name: string) => {
    const p = sandbox.platforms.find((candidate) => candidate.name === name);
    if (!p) throw new Error(`${name} not mounted`);
    return p;
  };
  const shopee = byName('shopee');
  const tiktok = byName('tiktok-shop');
  const shopeePartner = { partnerId: 2_008_008, partnerKey: 'h8-shopee-partner-key-0123456789' };
  shopee.control.createApp({ ...shopeePartner, name: 'kriya-sync test' });
  const tiktokApp = { appKey: 'h8appkey01', appSecret: 'h8-tiktok-app-secret-0123456789' };
  tiktok.control.createApp({
    app_key: tiktokApp.appKey,
    app_secret: tiktokApp.appSecret,
    name: 'kriya-sync test',
  });
  const rootUrl = sandbox.ctx.baseUrl();
  return {
    sandbox,
    rootUrl,
    shopee,
    tiktok,
    shopeePartner,
    tiktokApp,
    env: {
      SANDBOX_URL: rootUrl,
      SHOPEE_PARTNER_ID: String(shopeePartner.partnerId),
      SHOPEE_PARTNER_KEY: shopeePartner.partnerKey,
      TIKTOK_SHOP_APP_KEY: tiktokApp.appKey,
      TIKTOK_SHOP_APP_SECRET: tiktokApp.appSecret,
      CHANNEL_HTTP_TIMEOUT_MS: '5000',
    },
    close: () => sandbox.close(),
  };
}

/** A writable that keeps every log line, for asserting what was (not) logged. */
export function captureLogs(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

export interface ShopConnection {
  id: string;
  externalShopId: string;
}

/**
 * Connects a sandbox Shopee shop for the crafter through our authorization flow (the API in-process,
 * the sandbox's approval page over HTTP); with `shopId`, that existing shop again (a reconnect).
 */
export async function connectShopeeShop(
  api: TestApi,
  user: Principal,
  crafterId: string,
  shopId?: string,
): Promise<ShopConnection> {
  const link = await api.app.inject({
    method: 'POST',
    url: `/v1/crafters/${crafterId}/connections/shopee/authorize`,
    headers: api.auth(user),
  });
  const url = new URL(link.json().authorizationUrl);
  if (shopId) url.searchParams.set('shop_id', shopId);
  const redirect = await fetch(url, { redirect: 'manual' });
  const location = new URL(redirect.headers.get('location') as string);
  const res = await api.app.inject({ method: 'GET', url: `${location.pathname}${location.search}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Connects a new Tokopedia shop (TikTok Shop API) selling from `warehouseId` through the real flow. */
export async function connectTiktokShop(
  api: TestApi,
  channels: ChannelSandbox,
  user: Principal,
  crafterId: string,
  warehouseId: string,
): Promise<ShopConnection> {
  const link = await api.app.inject({
    method: 'POST',
    url: `/v1/crafters/${crafterId}/connections/tiktok-shop/authorize`,
    headers: api.auth(user),
  });
  const state = new URL(link.json().authorizationUrl).searchParams.get('state') as string;
  const shop = channels.tiktok.control.createShop({ tokopedia: true, warehouse_id: warehouseId }) as {
    shop_id: string;
  };
  const { auth_code } = channels.tiktok.control.authorizeShop({
    app_key: channels.tiktokApp.appKey,
    shop_id: shop.shop_id,
  }) as { auth_code: string };
  const res = await api.app.inject({
    method: 'GET',
    url: `/v1/connections/callback/tiktok-shop?code=${encodeURIComponent(auth_code)}&state=${encodeURIComponent(state)}`,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/**
 * The push suites' two shops of the crafter, connected through the real flows: Shopee with
 * `shopeeSettings` (its price rule, stock buffer), and Tokopedia selling from its warehouse
 * 7300000000000000001 (as Get Warehouse List names it; the connection keeps it) showing at most 6 units.
 */
export async function connectPushShops(
  api: TestApi,
  channels: ChannelSandbox,
  user: Principal,
  crafterId: string,
  shopeeSettings: Partial<typeof channelConnections.$inferInsert>,
): Promise<{ shopee: ShopConnection; tiktok: ShopConnection }> {
  const db = api.database.db;
  const shopee = await connectShopeeShop(api, user, crafterId);
  await db.update(channelConnections).set(shopeeSettings).where(eq(channelConnections.id, shopee.id));
  const warehouseId = '7300000000000000001';
  const tiktok = await connectTiktokShop(api, channels, user, crafterId, warehouseId);
  await db
    .update(channelConnections)
    .set({ warehouseId, stockBufferMaxUnits: 6 })
    .where(eq(channelConnections.id, tiktok.id));
  return { shopee, tiktok };
}

/**
 * A Shopee shop connected through our flow with one live single-SKU item (`<skuPrefix>-XXXXXXXX`),
 * added with the shop's own token as the platform has it.
 */
export async function shopeeShopWithItem(
  api: TestApi,
  channels: ChannelSandbox,
  user: Principal,
  crafterId: string,
  skuPrefix: string,
): Promise<{ connectionId: string; shopId: number; sku: string }> {
  const connection = await connectShopeeShop(api, user, crafterId);
  const [row] = await api.database.db
    .select({ sealed: channelConnections.secretsSealed })
    .from(channelConnections)
    .where(eq(channelConnections.id, connection.id));
  const secrets = openJson<ConnectionSecrets>(
    api.config.credentialsKeyring,
    row?.sealed as string,
    secretsContext(connection.id),
  );
  const client = new ShopeeTestClient(
    channels.sandbox,
    channels.shopeePartner.partnerId,
    channels.shopeePartner.partnerKey,
  );
  client.accessToken = secrets.kind === 'oauth' ? secrets.accessToken : '';
  client.shopId = Number(connection.externalShopId);
  const upload = await client.uploadImage(tinyPng);
  const imageId = String((upload.body.response?.image_info as { image_id?: string } | undefined)?.image_id);
  const sku = `${skuPrefix}-${randomUUID().slice(0, 8).toUpperCase()}`;
  const added = await client.post('/api/v2/product/add_item', addItemBody(imageId, { item_sku: sku }));
  expect(added.body.error, JSON.stringify(added.body)).toBe('');
  return { connectionId: connection.id, shopId: client.shopId, sku };
}

/** An HTTP server on a free port answering `path` with the PNG (product photos the push fetches). */
export interface PhotoServer {
  origin: string;
  close(): Promise<void>;
}

export async function servePhoto(path: string, png: Buffer): Promise<PhotoServer> {
  const server = createServer((req, res) => {
    if (req.url === path) return res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The worker's channel runtime for the API's channels (images from `photoOrigin` allowed though
 * private). With `sandboxClock`, waits pass on the sandbox clock and "now" is its time (Shopee's
 * mandated 5 s between add_item and init_tier_variation costs nothing).
 */
export function sandboxRuntime(
  api: TestApi,
  channels: ChannelSandbox,
  redis: Redis,
  prefix: string,
  options: {
    photoOrigin?: string;
    sandboxClock?: 'now' | 'now-and-sleep';
    breakerFailures?: number;
  } = {},
): ChannelRuntime {
  const clock = channels.sandbox.ctx.clock;
  const runtimeOptions: ChannelRuntimeOptions = {
    db: api.database.db,
    redis,
    prefix,
    channels: api.config.channels,
    imagePolicy: {
      maxBytes: 5_000_000,
      timeoutMs: 5_000,
      allowedPrivateOrigins: options.photoOrigin ? [options.photoOrigin] : [],
    },
  };
  if (options.breakerFailures !== undefined) runtimeOptions.breakerFailures = options.breakerFailures;
  if (options.sandboxClock) runtimeOptions.now = () => new Date(clock.nowMs());
  if (options.sandboxClock === 'now-and-sleep') {
    runtimeOptions.sleep = async (ms) => {
      clock.advance(ms);
    };
  }
  return createChannelRuntime(runtimeOptions);
}
