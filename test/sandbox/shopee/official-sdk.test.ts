/**
 * The bar for faithfulness: a client written from the official documentation works against
 * the sandbox with only its base URL changed. Here that client is an independently written,
 * published Shopee SDK (dev dependency), unchanged, pointed at Shopee's own port of the sandbox.
 */
import { ShopeeSDK } from '@congminh1254/shopee-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandbox, listenOnOwnPorts, type Sandbox } from '../../../sandbox/server.js';
import { addItemBody, control, PAST_REVIEW_MS, tinyPng } from './client.js';

let sandbox: Sandbox;
let ownPorts: Awaited<ReturnType<typeof listenOnOwnPorts>>;
let prefixedBase: string;
const partnerId = 2009001;
const partnerKey = 'sdk_partner_key_for_tests';
const shopId = 14709001;

/** A shop authorized for the app, and the SDK holding its token, as a real integration would. */
async function connectedSdk(baseUrl: string): Promise<ShopeeSDK> {
  const auth = await control(sandbox, 'POST', '/shopee/authorize', { partnerId, shopId });
  expect(auth.status).toBe(200);
  const sdk = new ShopeeSDK({ partner_id: partnerId, partner_key: partnerKey, base_url: baseUrl });
  await sdk.authenticateWithCode(String(auth.body.code), shopId);
  return sdk;
}

beforeAll(async () => {
  sandbox = await buildSandbox({ seed: 7 });
  await sandbox.app.listen({ host: '127.0.0.1', port: 0 });
  ownPorts = await listenOnOwnPorts(sandbox, '127.0.0.1', [{ platform: 'shopee', port: 0 }]);
  prefixedBase = `${sandbox.ctx.baseUrl()}/shopee`;
  expect((await control(sandbox, 'POST', '/shopee/apps', { partnerId, partnerKey })).status).toBe(201);
  expect((await control(sandbox, 'POST', '/shopee/shops', { shopId, name: 'Anyaman Ciater' })).status).toBe(
    201,
  );
});
afterAll(async () => {
  await ownPorts?.close();
  await sandbox?.close();
});

describe('a published Shopee SDK, unchanged, against the sandbox', () => {
  it('authorizes, uploads an image, creates an item, reads it back and lists orders', async () => {
    const sdk = await connectedSdk(`${ownPorts.urls.shopee}/api/v2`);
    const token = await sdk.getAuthToken();
    expect(token?.access_token).toBeTruthy();

    const upload = await sdk.mediaSpace.uploadImage({ image: tinyPng });
    const imageId = upload.response?.image_info?.image_id;
    expect(imageId).toBeTruthy();

    const added = await sdk.product.addItem(
      addItemBody(String(imageId), { item_sku: 'SDK-ANY-01' }) as never,
    );
    const itemId = added.response?.item_id;
    expect(itemId).toBeGreaterThan(0);

    const info = await sdk.product.getItemBaseInfo({ item_id_list: [Number(itemId)] });
    expect(info.response?.item_list?.[0]?.item_name).toBe('Kain Batik Tulis Parang');
    expect(info.response?.item_list?.[0]?.item_status).toBe('REVIEWING');

    // The review ends on the sandbox clock. The SDK signs with the wall clock, so the clock is moved
    // past the review, the item is read (the transition is applied), and the clock goes back to now.
    expect((await control(sandbox, 'POST', '/clock', { advanceMs: PAST_REVIEW_MS })).status).toBe(200);
    await control(sandbox, 'GET', `/shopee/shops/${shopId}/state`);
    expect((await control(sandbox, 'POST', '/clock', { epochMs: Date.now() })).status).toBe(200);

    const list = await sdk.product.getItemList({
      offset: 0,
      page_size: 10,
      item_status: ['NORMAL'],
    } as never);
    expect(list.response?.item?.map((i) => i.item_id)).toContain(itemId);

    const now = Date.now();
    const orders = await control(sandbox, 'POST', '/shopee/orders', {
      shopId,
      orders: [
        {
          orderSn: '261128SDKTEST1',
          createTime: new Date(now - 3_600_000).toISOString(),
          status: 'READY_TO_SHIP',
          lines: [{ sku: 'SDK-ANY-01', quantity: 2 }],
        },
      ],
    });
    expect(orders.status).toBe(201);
    const found = await sdk.order.getOrderList({
      time_range_field: 'create_time',
      time_from: new Date(now - 86_400_000),
      time_to: new Date(now + 60_000),
      page_size: 20,
    });
    expect(found.response?.order_list?.map((o) => o.order_sn)).toContain('261128SDKTEST1');
  });

  it('the authorization link the SDK builds (/auth) redirects with a code and shop_id the SDK exchanges', async () => {
    const sdk = new ShopeeSDK({
      partner_id: partnerId,
      partner_key: partnerKey,
      base_url: `${ownPorts.urls.shopee}/api/v2`,
      base_auth_url: `${ownPorts.urls.shopee}/auth`,
    });
    const link = sdk.getAuthorizationUrl('https://crafter.example/shopee/callback', { state: 'csrf-9' });
    const page = await fetch(link, { redirect: 'manual' });
    expect(page.status).toBe(302);
    const back = new URL(String(page.headers.get('location')));
    expect(back.origin + back.pathname).toBe('https://crafter.example/shopee/callback');
    expect(back.searchParams.get('state')).toBe('csrf-9');
    const newShopId = Number(back.searchParams.get('shop_id'));
    await sdk.authenticateWithCode(String(back.searchParams.get('code')), newShopId);
    expect((await sdk.getAuthToken())?.shop_id).toBe(newShopId);

    // get_shop_info and get_shops_by_partner: fields at the top level, where the SDK's types read them.
    const info = (await sdk.shop.getShopInfo()) as unknown as Record<string, unknown>;
    expect(info).toMatchObject({ error: '', region: 'ID', status: 'NORMAL' });
    expect(info.shop_name).toBe(`Sandbox Shop ${newShopId}`);
    const shops = (await sdk.public.getShopsByPartner({
      page_size: 100,
      page_no: 1,
    } as never)) as unknown as {
      authed_shop_list?: Array<{ shop_id: number }>;
    };
    expect(shops.authed_shop_list?.map((s) => s.shop_id)).toContain(newShopId);
  });

  it('behind the /shopee prefix the same SDK is refused: it signs its whole URL path', async () => {
    await expect(connectedSdk(`${prefixedBase}/api/v2`)).rejects.toMatchObject({
      name: 'ShopeeApiError',
      data: { error: 'error_sign' },
    });
  });
});
