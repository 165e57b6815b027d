/** Shared setup for TikTok Shop route tests: an app, a Tokopedia shop, an authorized client, products. */
import { expect } from 'vitest';
import { makePng, TtsTestClient } from './client.js';
import type { TiktokHarness } from './harness.js';

/** The sales warehouse test shops are created with (the reference's sample id). */
export const TEST_WAREHOUSE_ID = '7068517275539719942';

/** The attributes Get Attributes marks `is_requried` for the default category 600201 (Tas Anyaman). */
export const WOVEN_BAG_ATTRIBUTES = [{ id: '102001', values: [{ id: '1020010', name: 'Pandan' }] }];

export interface ShopSetup {
  client: TtsTestClient;
  appKey: string;
  appSecret: string;
  shopId: string;
  cipher: string;
  refreshToken: string;
  warehouseId: string;
}

export async function authorizedShop(
  h: TiktokHarness,
  shopInput: Record<string, unknown> = {},
): Promise<ShopSetup> {
  const app = h.platform.control.createApp({ name: 'kriya-sync test' }) as {
    app_key: string;
    app_secret: string;
  };
  const shop = h.platform.control.createShop({
    name: 'Toko Kriya Ciater',
    tokopedia: true,
    warehouse_id: TEST_WAREHOUSE_ID,
    ...shopInput,
  }) as {
    shop_id: string;
    cipher: string;
    warehouse_id: string;
  };
  const { auth_code } = h.platform.control.authorizeShop({ app_key: app.app_key, shop_id: shop.shop_id }) as {
    auth_code: string;
  };
  const client = new TtsTestClient(h.baseUrl, app.app_key, app.app_secret, () => h.ctx.clock.nowSeconds());
  const token = await client.authService('/api/v2/token/get', {
    app_key: app.app_key,
    app_secret: app.app_secret,
    auth_code,
    grant_type: 'authorized_code',
  });
  expect(token.code).toBe(0);
  client.accessToken = String(token.data.access_token);
  return {
    client,
    appKey: app.app_key,
    appSecret: app.app_secret,
    shopId: shop.shop_id,
    cipher: shop.cipher,
    refreshToken: String(token.data.refresh_token),
    warehouseId: shop.warehouse_id,
  };
}

export async function uploadImage(client: TtsTestClient, width = 600, height = 600): Promise<string> {
  const form = new FormData();
  form.set('data', new Blob([new Uint8Array(makePng(width, height))], { type: 'image/png' }), 'photo.png');
  form.set('use_case', 'MAIN_IMAGE');
  const { body } = await client.call('POST', '/product/202309/images/upload', { form });
  expect(body.code, body.message).toBe(0);
  return String(body.data.uri);
}

export function sku(
  sellerSku: string,
  price: string,
  quantity: number,
  attributes: Array<[string, string]> = [],
  warehouseId = TEST_WAREHOUSE_ID,
) {
  return {
    seller_sku: sellerSku,
    price: { amount: price, currency: 'IDR' },
    inventory: [{ warehouse_id: warehouseId, quantity }],
    sales_attributes: attributes.map(([name, value_name]) => ({ name, value_name })),
  };
}

export function productBody(imageUri: string, skus: unknown[], overrides: Record<string, unknown> = {}) {
  return {
    title: 'Tas Anyaman Pandan Motif Ciater Handmade',
    description: '<p>Tas anyaman pandan buatan tangan perajin Tangerang Selatan.</p>',
    category_id: '600201',
    main_images: [{ uri: imageUri }],
    skus,
    package_weight: { value: '0.5', unit: 'KILOGRAM' },
    product_attributes: WOVEN_BAG_ATTRIBUTES,
    ...overrides,
  };
}
