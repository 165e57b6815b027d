/**
 * The default category mappings (migration 0010) place a product so the sandbox accepts it: for each
 * demo category on Shopee and on TikTok Shop, placementFor builds the placement from the stored
 * mapping, the channel's adapter finds nothing to object to, and creating the item in a sandbox shop
 * succeeds (the sandbox checks leaf category, mandatory attributes and their values, brand,
 * logistics, warehouse and package size like the platforms do). Without this, demo listings would
 * be refused instead of going live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelHttp } from '../../src/channels/http.js';
import { shopeeExchangeCode } from '../../src/channels/shopee/auth.js';
import { createShopeeAdapter } from '../../src/channels/shopee/index.js';
import { tiktokExchangeCode } from '../../src/channels/tiktok-shop/auth.js';
import { createTiktokShopAdapter } from '../../src/channels/tiktok-shop/index.js';
import type {
  CanonicalListing,
  ChannelAdapter,
  ConnectionContext,
  ImageUploadCache,
} from '../../src/channels/types.js';
import { placementFor } from '../../src/domain/placement.js';
import { findMapping } from '../../src/services/category-mappings.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { type ChannelSandbox, startChannelSandbox } from '../helpers/channel-sandbox.js';

const DEMO_CATEGORIES = ['batik', 'kerajinan/anyaman', 'kerajinan/keramik', 'makanan/camilan'] as const;

let channels: ChannelSandbox;
let api: TestApi;
const shops: Record<
  'shopee' | 'tiktok_shop',
  { adapter: ChannelAdapter; ctx: ConnectionContext; warehouseId: string | null }
> = {} as never;

function memoryCache(): ImageUploadCache {
  const store = new Map<string, string>();
  return {
    get: async (c, sha) => store.get(`${c}:${sha}`),
    put: async (c, sha, id) => {
      store.set(`${c}:${sha}`, id);
    },
  };
}

/** Waits the platform asks for (Shopee: 5 s before init_tier_variation) pass on the sandbox clock. */
async function advanceSandboxClock(ms: number): Promise<void> {
  const res = await fetch(`${channels.rootUrl}/__sandbox/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advanceMs: ms }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  channels = await startChannelSandbox();
  api = await startTestApi('mapping_defaults', channels.env);
  const shopeeConfig = api.config.channels.shopee;
  const tiktokConfig = api.config.channels.tiktokShop;
  if (!shopeeConfig || !tiktokConfig) throw new Error('channels not configured');
  const imagePolicy = { maxBytes: 2_000_000, timeoutMs: 5_000, allowedPrivateOrigins: [channels.rootUrl] };

  const shopeeShop = channels.shopee.control.createShop({ name: 'Batik Ciater' }) as { shopId: number };
  const { code } = channels.shopee.control.authorizeShop({
    partnerId: shopeeConfig.partnerId,
    shopId: shopeeShop.shopId,
  }) as { code: string };
  const shopeeGrant = await shopeeExchangeCode(
    createChannelHttp(shopeeConfig.baseUrl, 5_000),
    shopeeConfig,
    code,
    String(shopeeShop.shopId),
  );
  shops.shopee = {
    adapter: createShopeeAdapter(
      {
        baseUrl: shopeeConfig.baseUrl,
        partnerId: shopeeConfig.partnerId,
        partnerKey: shopeeConfig.partnerKey,
      },
      { imageCache: memoryCache(), imagePolicy, sleep: advanceSandboxClock },
    ),
    ctx: {
      connectionId: 'shopee-demo',
      externalShopId: String(shopeeShop.shopId),
      accessToken: shopeeGrant.accessToken,
    },
    warehouseId: null,
  };

  const tiktokShop = channels.tiktok.control.createShop({ name: 'Batik Ciater', tokopedia: true }) as {
    shop_id: string;
    cipher: string;
    warehouse_id: string;
  };
  const { auth_code } = channels.tiktok.control.authorizeShop({
    app_key: tiktokConfig.appKey,
    shop_id: tiktokShop.shop_id,
  }) as { auth_code: string };
  const tiktokGrant = await tiktokExchangeCode(
    createChannelHttp(tiktokConfig.authBaseUrl, 5_000),
    tiktokConfig,
    auth_code,
  );
  shops.tiktok_shop = {
    adapter: createTiktokShopAdapter(
      { baseUrl: tiktokConfig.apiBaseUrl, appKey: tiktokConfig.appKey, appSecret: tiktokConfig.appSecret },
      { imageCache: memoryCache(), imagePolicy },
    ),
    ctx: {
      connectionId: 'tiktok-demo',
      externalShopId: tiktokShop.shop_id,
      shopCipher: tiktokShop.cipher,
      accessToken: tiktokGrant.accessToken,
    },
    warehouseId: tiktokShop.warehouse_id,
  };
});

afterAll(async () => {
  await api?.close();
  await channels?.close();
});

function demoListing(category: string, placement: CanonicalListing['placement']): CanonicalListing {
  const slug = category.replace(/[^a-z0-9]+/g, '-');
  const suffix = Math.random().toString(36).slice(2, 8).toUpperCase();
  return {
    productId: `demo-${slug}`,
    version: 1,
    title: `Produk demo ${slug} buatan Tangerang Selatan`,
    description: 'Produk kerajinan dan makanan khas Tangerang Selatan, dibuat tangan oleh perajin lokal.',
    imageUrls: [`${channels.rootUrl}/__sandbox/demo-images/${slug}.png`],
    placement,
    variants: [
      {
        variantId: `${slug}-1`,
        sku: `D-${suffix}-1`,
        options: { warna: 'Merah' },
        priceIdr: 150_000,
        stock: 5,
        weightGrams: 400,
      },
      {
        variantId: `${slug}-2`,
        sku: `D-${suffix}-2`,
        options: { warna: 'Hijau' },
        priceIdr: 155_000,
        stock: 3,
        weightGrams: 400,
      },
    ],
  };
}

describe('default category mappings against the sandbox catalogues', () => {
  for (const channel of ['shopee', 'tiktok_shop'] as const) {
    for (const category of DEMO_CATEGORIES) {
      it(`${channel} / ${category}: placed, valid, and created in a sandbox shop`, async () => {
        const shop = shops[channel];
        const mapping = await findMapping(api.database.db, channel, category);
        expect(mapping, 'default mapping').toBeDefined();
        const placed = placementFor(mapping, channel, { warehouseId: shop.warehouseId });
        if (!placed.ok) throw new Error(JSON.stringify(placed.problems));
        const listing = demoListing(category, placed.placement);
        expect(shop.adapter.validate(listing)).toEqual([]);
        const ref = await shop.adapter.create(shop.ctx, listing);
        expect(ref.remoteItemId).toMatch(/\S/);
        expect(Object.keys(ref.remoteVariantIds).sort()).toEqual(
          listing.variants.map((v) => v.variantId).sort(),
        );
      });
    }
  }
});
