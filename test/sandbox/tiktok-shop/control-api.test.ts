import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TtsTestClient } from './client.js';
import { productBody, sku, uploadImage } from './fixtures.js';
import { startTiktokSandbox, type TiktokHarness } from './harness.js';

let h: TiktokHarness;

beforeAll(async () => {
  h = await startTiktokSandbox();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  const reset = await fetch(`${h.rootUrl}/__sandbox/reset`, { method: 'POST' });
  expect(reset.status).toBe(200);
});

async function control(
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${h.rootUrl}/__sandbox/tiktok-shop${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function clientThroughControlApi() {
  const app = (await control('/apps', { name: 'demo' })).json as { app_key: string; app_secret: string };
  const shop = (await control('/shops', { name: 'Toko Gerabah Plered' })).json as {
    shop_id: string;
    cipher: string;
  };
  const auth = await control('/authorize', { app_key: app.app_key, shop_id: shop.shop_id });
  expect(auth.status).toBe(200);
  const client = new TtsTestClient(h.baseUrl, app.app_key, app.app_secret, () => h.ctx.clock.nowSeconds());
  const token = await client.authService('/api/v2/token/get', {
    app_key: app.app_key,
    app_secret: app.app_secret,
    auth_code: String(auth.json.auth_code),
    grant_type: 'authorized_code',
  });
  client.accessToken = String(token.data.access_token);
  return { client, shop };
}

describe('TikTok Shop through the sandbox control API', () => {
  it('creates app, shop and authorization over HTTP; bad input is a 400', async () => {
    const { client } = await clientThroughControlApi();
    expect((await client.call('GET', '/authorization/202309/shops')).body.code).toBe(0);
    expect((await control('/authorize', { app_key: 'nope00', shop_id: '1' })).status).toBe(400);
    expect((await control('/orders', { shop_id: 'unknown', seed: 1, count: 1 })).status).toBe(400);
  });

  it('the call log records the platform error code and the shop', async () => {
    const { client, shop } = await clientThroughControlApi();
    await client.call('GET', '/authorization/202309/shops', { sign: '1'.repeat(64) });
    await client.call('POST', '/product/202502/products/search', {
      query: { page_size: '5' },
      body: {},
      shopCipher: shop.cipher,
    });
    const response = await fetch(`${h.rootUrl}/__sandbox/calls?platform=tiktok-shop`);
    const { calls } = (await response.json()) as {
      calls: Array<{ endpoint: string; errorCode: string; status: number; shopId?: string }>;
    };
    expect(calls.find((c) => c.endpoint === '/authorization/202309/shops')).toMatchObject({
      errorCode: '106001',
      status: 401,
    });
    expect(calls.find((c) => c.endpoint === '/product/202502/products/search')).toMatchObject({
      errorCode: '',
      shopId: shop.shop_id,
    });
  });

  it('an injected throttle answers like the platform: HTTP 429 with 36009002', async () => {
    const { client } = await clientThroughControlApi();
    const faults = await fetch(`${h.rootUrl}/__sandbox/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { platform: 'tiktok-shop', endpoint: '/authorization/202309/shops', throttleRate: 1 },
      ]),
    });
    expect(faults.status).toBe(200);
    const res = await client.call('GET', '/authorization/202309/shops');
    expect(res.status).toBe(429);
    expect(res.body.code).toBe(36009002);
    await fetch(`${h.rootUrl}/__sandbox/faults`, { method: 'DELETE' });
    expect((await client.call('GET', '/authorization/202309/shops')).body.code).toBe(0);
  });

  it('snapshot and restore keep tokens, products and settings', async () => {
    const { client, shop } = await clientThroughControlApi();
    const image = await uploadImage(client);
    // As an adapter would: the SKU's warehouse comes from Get Warehouse List.
    const listed = await client.call('GET', '/logistics/202309/warehouses', { shopCipher: shop.cipher });
    const warehouses = listed.body.data.warehouses as Array<{
      id: string;
      type: string;
      is_default: boolean;
    }>;
    const warehouseId = warehouses.find((w) => w.type === 'SALES_WAREHOUSE' && w.is_default)?.id;
    const created = await client.call('POST', '/product/202309/products', {
      body: productBody(image, [sku('GRB-01', '45000', 7, [], warehouseId)]),
      shopCipher: shop.cipher,
    });
    const productId = String(created.body.data.product_id);
    h.platform.control.configure({ rate_limit_per_second: 7 });
    const saved = JSON.parse(JSON.stringify(h.platform.control.snapshot())) as unknown;
    h.platform.control.reset();
    expect(
      (await client.call('GET', `/product/202309/products/${productId}`, { shopCipher: shop.cipher })).body
        .code,
    ).not.toBe(0);
    h.platform.control.restore(saved);
    const again = await client.call('GET', `/product/202309/products/${productId}`, {
      shopCipher: shop.cipher,
    });
    expect(again.body.code).toBe(0);
    expect(again.body.data.title).toBe('Tas Anyaman Pandan Motif Ciater Handmade');
    const settings = h.platform.control.configure({}) as { settings: { rateLimitPerSecond: number } };
    expect(settings.settings.rateLimitPerSecond).toBe(7);
    const state = (await fetch(`${h.rootUrl}/__sandbox/tiktok-shop/shops/${shop.shop_id}/state`).then((r) =>
      r.json(),
    )) as {
      products: Array<{ product_id: string; skus: Array<{ seller_sku: string; stock: number }> }>;
    };
    expect(state.products[0]).toMatchObject({
      product_id: productId,
      skus: [expect.objectContaining({ seller_sku: 'GRB-01', stock: 7 })],
    });
  });
});
