/**
 * `npm start`, last step: the demo crafter's own sandbox Shopee shop and sandbox Tokopedia (TikTok
 * Shop) shop are connected through the real authorization flow, and its products are published to
 * both, so a new user sees listings go live within the first minute.
 *
 * - Shopee: our authorization link (signed, single-use state) is opened like a seller's browser
 *   would; the sandbox approves at once, opens a new shop and redirects to our callback, which
 *   exchanges the code.
 * - TikTok Shop: a seller shop is opened and approved through the sandbox control API (the seller's
 *   clicks), and its code is handed to our callback with the state of our link.
 *
 * Idempotent: a crafter that already has an active connection on a channel keeps it; publishing is
 * idempotent itself. Uses the same service functions as the API.
 */
import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { DEMO_CRAFTER_USERNAME, DEMO_OPERATOR_USERNAME } from '../cli/seed-demo.js';
import type { AppConfig } from '../config/env.js';
import { createDatabase, type Database } from '../db/client.js';
import { channelConnections, products, users } from '../db/schema/index.js';
import { type ConnectionDeps, type OAuthChannel, startAuthorization } from '../services/connections.js';
import type { ServiceContext } from '../services/context.js';
import { publishProduct } from '../services/listings.js';

export interface DemoShopsInput {
  databaseUrl: string;
  config: AppConfig;
  /** The running API (the callback is sent there, as the platform's redirect would be). */
  apiUrl: string;
  /** `<sandbox origin>/__sandbox`. */
  controlUrl: string;
  log(line: string): void;
}

export interface DemoShopsResult {
  shopee: { connectionId: string; shopId: string };
  tiktokShop: { connectionId: string; shopId: string };
  listings: number;
}

async function json(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function control(controlUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${controlUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return json(res, `sandbox ${path}`);
}

async function callback(url: string): Promise<{ id: string; externalShopId: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return (await json(res, 'the connection callback')) as { id: string; externalShopId: string };
}

async function activeConnection(db: Database, crafterId: string, channel: OAuthChannel) {
  const [row] = await db
    .select({ id: channelConnections.id, shopId: channelConnections.externalShopId })
    .from(channelConnections)
    .where(
      and(
        eq(channelConnections.crafterId, crafterId),
        eq(channelConnections.channel, channel),
        ne(channelConnections.status, 'disconnected'),
      ),
    )
    .limit(1);
  return row;
}

async function connectShopee(ctx: ServiceContext, deps: ConnectionDeps, crafterId: string) {
  const link = await startAuthorization(ctx, deps, crafterId, 'shopee');
  // The seller approves; the sandbox opens a new shop and sends the browser back to our callback.
  const approval = await fetch(link.authorizationUrl, {
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  const location = approval.headers.get('location');
  await approval.body?.cancel();
  if (approval.status !== 302 || !location) {
    throw new Error(`the Shopee authorization page answered ${approval.status}, not a redirect`);
  }
  return callback(location);
}

async function connectTiktok(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  crafterId: string,
  input: DemoShopsInput,
) {
  const app = deps.channels.tiktokShop;
  if (!app) throw new Error('TikTok Shop is not configured');
  const shop = (await control(input.controlUrl, '/tiktok-shop/shops', {
    name: 'Batik Ciater Lestari',
    tokopedia: true,
  })) as { shop_id: string; warehouse_id: string };
  const link = await startAuthorization(ctx, deps, crafterId, 'tiktok_shop');
  const state = new URL(link.authorizationUrl).searchParams.get('state');
  if (!state) throw new Error('the TikTok Shop authorization link carries no state');
  const { auth_code: code } = (await control(input.controlUrl, '/tiktok-shop/authorize', {
    app_key: app.appKey,
    shop_id: shop.shop_id,
  })) as { auth_code: string };
  const connection = await callback(
    `${input.apiUrl}/v1/connections/callback/tiktok-shop?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
  );
  // The callback reads the shop's sales warehouse itself; should that lookup have failed, the demo
  // still names the warehouse the sandbox opened the shop with, so its listings can go live.
  await ctx.db
    .update(channelConnections)
    .set({ warehouseId: shop.warehouse_id, updatedAt: sql`now()` })
    .where(and(eq(channelConnections.id, connection.id), isNull(channelConnections.warehouseId)));
  return connection;
}

export async function connectDemoShops(input: DemoShopsInput): Promise<DemoShopsResult> {
  const handle = createDatabase(input.databaseUrl, { max: 2 });
  try {
    const db = handle.db;
    const [operator] = await db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.username, DEMO_OPERATOR_USERNAME));
    const [crafterUser] = await db
      .select({ crafterId: users.crafterId })
      .from(users)
      .where(eq(users.username, DEMO_CRAFTER_USERNAME));
    const crafterId = crafterUser?.crafterId;
    if (!operator || !crafterId) throw new Error('the demo accounts are missing; the demo seed did not run');
    const ctx: ServiceContext = {
      db,
      principal: { userId: operator.id, role: 'operator', crafterId: null, regionCode: null },
      requestId: 'demo-shops',
    };
    const deps: ConnectionDeps = {
      channels: input.config.channels,
      keyring: input.config.credentialsKeyring,
      publicBaseUrl: input.config.publicBaseUrl,
      stateSecret: input.config.authTokenSecret,
    };

    let shopee = await activeConnection(db, crafterId, 'shopee');
    if (!shopee) {
      const made = await connectShopee(ctx, deps, crafterId);
      shopee = { id: made.id, shopId: made.externalShopId };
      input.log(`demo: Shopee shop ${shopee.shopId} connected through the sandbox's authorization page`);
    }
    let tiktok = await activeConnection(db, crafterId, 'tiktok_shop');
    if (!tiktok) {
      const made = await connectTiktok(ctx, deps, crafterId, input);
      tiktok = { id: made.id, shopId: made.externalShopId };
      input.log(`demo: Tokopedia (TikTok Shop) shop ${tiktok.shopId} connected`);
    }

    const demoProducts = await db
      .select({ id: products.id })
      .from(products)
      .where(
        and(eq(products.crafterId, crafterId), eq(products.status, 'active'), isNull(products.deletedAt)),
      );
    let listings = 0;
    for (const product of demoProducts) {
      listings += (await publishProduct(ctx, product.id, [shopee.id, tiktok.id])).length;
    }
    return {
      shopee: { connectionId: shopee.id, shopId: shopee.shopId },
      tiktokShop: { connectionId: tiktok.id, shopId: tiktok.shopId },
      listings,
    };
  } finally {
    await handle.close();
  }
}
