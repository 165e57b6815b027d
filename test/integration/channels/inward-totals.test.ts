/**
 * The inward chain at the size of the issue's end-to-end set-up, without our database: 5,000 orders
 * over 60 days on shops of both marketplaces (with cancellations, returns, held and unpaid orders and
 * units cancelled on their own) plus partner-brand report lines, pulled through the adapters as a pull
 * job pages them, give exactly the platforms' own totals per shop and Jakarta day. Pulling again gives
 * the same orders (what makes repeated pulls idempotent downstream).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformModule } from '../../../sandbox/core/contract.js';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import { createPartnerBrandAdapter } from '../../../src/channels/partner-brand/index.js';
import { createShopeeAdapter } from '../../../src/channels/shopee/index.js';
import { createTiktokShopAdapter } from '../../../src/channels/tiktok-shop/index.js';
import {
  type CanonicalOrder,
  type ChannelAdapter,
  ChannelFailure,
  type ConnectionContext,
  type OrderPage,
  type PullCursor,
  type PullWindow,
} from '../../../src/channels/types.js';
import { figuresByDay, SHOPEE_STATUS_MIX, TIKTOK_STATUS_MIX } from '../../helpers/sales-figures.js';
import { PartnerTestClient } from '../../sandbox/partner-brand/client.js';
import {
  addItemBody,
  authorizedClient,
  control,
  PAST_REVIEW_MS,
  tinyPng,
} from '../../sandbox/shopee/client.js';
import { authorizedShop, productBody, sku, uploadImage } from '../../sandbox/tiktok-shop/fixtures.js';

let sandbox: Sandbox;
const now = () => new Date(sandbox.ctx.clock.nowMs());
const imageDeps = {
  imageCache: { get: async () => undefined, put: async () => {} },
  imagePolicy: { maxBytes: 1_000_000, timeoutMs: 1_000, allowedPrivateOrigins: [] },
  now,
};

interface Shop {
  platform: 'shopee' | 'tiktok-shop' | 'partner-brand';
  adapter: ChannelAdapter;
  ctx: ConnectionContext;
}
const shops: Shop[] = [];

beforeAll(async () => {
  sandbox = await buildSandbox({ seed: 21 });
  await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
  const root = sandbox.ctx.baseUrl();

  for (const [n, shopId] of [600101, 600102].entries()) {
    const partnerId = 4101 + n;
    const client = await authorizedClient(sandbox, {
      shopId,
      partnerId,
      partnerKey: `key-${partnerId}-secret`,
    });
    const upload = await client.uploadImage(tinyPng);
    const image = String((upload.body.response?.image_info as { image_id?: string } | undefined)?.image_id);
    for (const [i, price] of [250_000, 99_500].entries()) {
      const added = await client.post(
        '/api/v2/product/add_item',
        addItemBody(image, {
          item_sku: `BTK-${shopId}-${i}`,
          original_price: price,
          seller_stock: [{ stock: 900_000 }],
        }),
      );
      expect(added.body.error, JSON.stringify(added.body)).toBe('');
    }
    shops.push({
      platform: 'shopee',
      adapter: createShopeeAdapter(
        { baseUrl: `${root}/shopee`, partnerId, partnerKey: `key-${partnerId}-secret`, timeoutMs: 5_000 },
        imageDeps,
      ),
      ctx: {
        connectionId: `s${shopId}`,
        externalShopId: String(shopId),
        accessToken: String(client.accessToken),
      },
    });
  }

  const tiktok = sandbox.platforms.find((p) => p.name === 'tiktok-shop') as PlatformModule;
  const harness = {
    baseUrl: `${root}${tiktok.prefix}`,
    rootUrl: root,
    ctx: sandbox.ctx,
    platform: tiktok,
    close: async () => {},
  };
  for (let n = 0; n < 2; n += 1) {
    const shop = await authorizedShop(harness);
    const image = await uploadImage(shop.client);
    const created = await shop.client.call('POST', '/product/202309/products', {
      body: productBody(
        image,
        [
          sku(`KAIN-${n}-A`, '175000', 99_999, [['Warna', 'Biru']]),
          sku(`KAIN-${n}-B`, '60000', 99_999, [['Warna', 'Merah']]),
        ],
        { listing_platforms: ['TIKTOK_SHOP', 'TOKOPEDIA'] },
      ),
      shopCipher: shop.cipher,
    });
    expect(created.body.code, created.body.message).toBe(0);
    shops.push({
      platform: 'tiktok-shop',
      adapter: createTiktokShopAdapter(
        {
          baseUrl: `${root}${tiktok.prefix}`,
          appKey: shop.appKey,
          appSecret: shop.appSecret,
          timeoutMs: 5_000,
        },
        imageDeps,
      ),
      ctx: {
        connectionId: `t${n}`,
        externalShopId: shop.shopId,
        shopCipher: shop.cipher,
        accessToken: String(shop.client.accessToken),
      },
    });
  }

  const partnerPlatform = sandbox.platforms.find((p) => p.name === 'partner-brand') as PlatformModule;
  const partner = partnerPlatform.control.createApp({ name: 'Galeri' }) as {
    partner_id: string;
    key: string;
    secret: string;
  };
  partnerPlatform.control.configure({ rate_limit_per_second: 1_000 });
  const endpoint = `${root}${partnerPlatform.prefix}`;
  const partnerClient = new PartnerTestClient(endpoint, partner.key, partner.secret, () =>
    sandbox.ctx.clock.nowSeconds(),
  );
  for (const [sellerSku, price] of [
    ['TAS-01', 150_000],
    ['PIRING-02', 85_000],
  ] as const) {
    const put = await partnerClient.call('PUT', `/v1/assortment/items/${sellerSku}`, {
      body: { title: sellerSku, price_idr: price, quantity: 100_000 },
    });
    expect(put.status).toBeLessThan(300);
  }
  shops.push({
    platform: 'partner-brand',
    adapter: createPartnerBrandAdapter({ timeoutMs: 5_000 }, { now }),
    ctx: {
      connectionId: 'p1',
      externalShopId: partner.partner_id,
      apiKey: partner.key,
      apiSecret: partner.secret,
      endpoint,
    },
  });

  // Past Shopee's review and TikTok's audit, then 5,000 orders over the last 60 days.
  sandbox.ctx.clock.advance(PAST_REVIEW_MS + 200_000);
  const to = sandbox.ctx.clock.nowSeconds();
  const from = to - 60 * 86_400;
  for (const shop of shops) {
    const id = shop.ctx.externalShopId;
    const res =
      shop.platform === 'shopee'
        ? await control(sandbox, 'POST', '/shopee/orders', {
            shopId: Number(id),
            count: 1_250,
            seed: id,
            from,
            to,
            webhooks: false,
            statuses: SHOPEE_STATUS_MIX,
          })
        : shop.platform === 'tiktok-shop'
          ? await control(sandbox, 'POST', '/tiktok-shop/orders', {
              shop_id: id,
              count: 1_250,
              seed: id,
              from,
              to,
              webhooks: false,
              partial_cancel_rate: 0.2,
              statuses: TIKTOK_STATUS_MIX,
            })
          : await control(sandbox, 'POST', '/partner-brand/orders', {
              partner_id: id,
              count: 800,
              seed: 'partner',
              from,
              to,
            });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
});

async function pullAll(shop: Shop, window: PullWindow): Promise<CanonicalOrder[]> {
  const orders: CanonicalOrder[] = [];
  let cursor: PullCursor | null = null;
  for (;;) {
    let page: OrderPage;
    try {
      page = await shop.adapter.pullOrders(shop.ctx, window, cursor);
    } catch (err) {
      // The sandbox holds each shop to its call rate, as the platform does: a throttle is waited out
      // and the same page asked again, as the pull job does (without spending an attempt).
      if (!(err instanceof ChannelFailure) || err.kind !== 'throttled') throw err;
      await new Promise((resolve) => setTimeout(resolve, err.waitMs ?? 1000));
      continue;
    }
    orders.push(...page.orders);
    // The cursor is stored as JSON between pages (channel_sync_cursors): it must survive that.
    if (page.next === null) return orders;
    cursor = JSON.parse(JSON.stringify(page.next)) as PullCursor;
  }
}

describe('inward pulls at scale against the sandbox', () => {
  it('5,000 orders over 60 days on four marketplace shops plus partner lines: figures equal the platforms’ own, per shop and Jakarta day', async () => {
    const window = {
      from: new Date(now().getTime() - 61 * 86_400_000),
      to: new Date(now().getTime() + 60_000),
    };
    let marketplaceOrders = 0;
    for (const shop of shops) {
      const pulled = await pullAll(shop, window);
      const ids = pulled.map((o) => o.externalOrderId);
      expect(new Set(ids).size).toBe(ids.length);
      if (shop.platform !== 'partner-brand') marketplaceOrders += ids.length;
      const truth = (
        await control(sandbox, 'GET', `/${shop.platform}/shops/${shop.ctx.externalShopId}/sales-totals`)
      ).body;
      expect(figuresByDay(pulled, shop.ctx.externalShopId)).toEqual(truth.totals);
      expect((truth.totals as unknown[]).length).toBeGreaterThan(55);
    }
    expect(marketplaceOrders).toBe(5_000);
  }, 120_000);

  it('pulling again, in other windows, gives the same orders', async () => {
    const shop = shops[0] as Shop;
    const end = now().getTime() + 60_000;
    const whole = await pullAll(shop, { from: new Date(end - 61 * 86_400_000), to: new Date(end) });
    // The same 61 days as seven windows of nine days or less, as repeated incremental pulls cover them.
    const pieces: CanonicalOrder[] = [];
    for (let start = end - 61 * 86_400_000; start < end; start += 9 * 86_400_000) {
      pieces.push(
        ...(await pullAll(shop, {
          from: new Date(start),
          to: new Date(Math.min(start + 9 * 86_400_000, end)),
        })),
      );
    }
    const key = (orders: CanonicalOrder[]) => orders.map((o) => JSON.stringify(o)).sort();
    expect(key(pieces)).toEqual(key(whole));
  }, 60_000);
});
