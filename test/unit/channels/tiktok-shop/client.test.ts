import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TiktokShopClient, tiktokSign } from '../../../../src/channels/tiktok-shop/client.js';
import { ChannelFailure } from '../../../../src/channels/types.js';

const base = 'http://tiktok.test';
const now = new Date(1_696_909_648_000);
// Classification is read from one answer: no repeats here (see "repeats of safe calls").
const client = new TiktokShopClient(
  {
    baseUrl: base,
    appKey: '68xu9ks5p4i8',
    appSecret: 'e59af819cc',
    timeoutMs: 200,
    repeat: { times: 0, delayMs: 0 },
  },
  () => now,
);
const auth = { accessToken: 'TTP_secret_token_value', shopCipher: 'ROW_xkMbgAAAeVAQra0eZWebFQq5aIK' };

async function failureOf(p: Promise<unknown>): Promise<ChannelFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelFailure);
  return err as ChannelFailure;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('TikTok Shop signing (published vectors T1–T3)', () => {
  it('T1: GET without body', () => {
    expect(
      tiktokSign(
        'e59af819cc',
        '/authorization/202309/shops',
        { app_key: '29a39d', timestamp: '1623812664' },
        '',
      ),
    ).toBe('b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8');
  });

  it('T2 and T3: shop_cipher is signed, and so are the exact body bytes', () => {
    const query = { app_key: '68xu9ks5p4i8', shop_cipher: auth.shopCipher, timestamp: '1696909648' };
    expect(tiktokSign('e59af819cc', '/event/202309/webhooks', query, '')).toBe(
      'ed58e1b5e59865c22a7b828c1cab65007441f43cc91a6cb2f2cdc638e0995a37',
    );
    const body = `{"event_type":"PACKAGE_UPDATE","address":"https://partner.${'tiktokshop'}.com"}`;
    expect(tiktokSign('e59af819cc', '/event/202309/webhooks', query, body)).toBe(
      '701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7',
    );
  });

  it('sends the token in x-tts-access-token (never in the query) and the body it signed', async () => {
    const body = { skus: [{ id: '1', price: { amount: '15000', currency: 'IDR' } }] };
    const path = '/product/202309/products/7/prices/update';
    const expectedSign = tiktokSign(
      'e59af819cc',
      path,
      { app_key: '68xu9ks5p4i8', shop_cipher: auth.shopCipher, timestamp: '1696909648' },
      JSON.stringify(body),
    );
    nock(base, { reqheaders: { 'x-tts-access-token': auth.accessToken } })
      .post(path, JSON.stringify(body))
      .query({
        app_key: '68xu9ks5p4i8',
        shop_cipher: auth.shopCipher,
        timestamp: '1696909648',
        sign: expectedSign,
      })
      .reply(200, { code: 0, message: 'Success', request_id: 'r', data: {} });
    await expect(client.request('POST', path, { auth, body })).resolves.toEqual({});
  });
});

describe('TikTok Shop failure classification', () => {
  it('429 / 36009002 is a throttle; 105002 asks for re-authorisation', async () => {
    nock(base)
      .post('/product/202309/products')
      .query(true)
      .reply(429, { code: 36009002, message: 'Too many requests', request_id: 'r' });
    expect(
      (await failureOf(client.request('POST', '/product/202309/products', { auth, body: {} }))).kind,
    ).toBe('throttled');
    nock(base)
      .get('/authorization/202309/shops')
      .query(true)
      .reply(200, { code: 105002, message: 'Expired credentials', request_id: 'r' });
    expect(await failureOf(client.request('GET', '/authorization/202309/shops', { auth }))).toMatchObject({
      kind: 'reauth',
      platformCode: '105002',
    });
  });

  it('a business refusal is permanent, in plain words; 503 and timeouts are retryable', async () => {
    nock(base)
      .post('/product/202309/products')
      .query(true)
      .reply(200, { code: 12052024, message: 'Category is not final category', request_id: 'r' });
    const refused = await failureOf(client.request('POST', '/product/202309/products', { auth, body: {} }));
    expect(refused).toMatchObject({ kind: 'permanent', platformCode: '12052024' });
    expect(refused.human.en).toBe('TikTok Shop refused the change: Category is not final category');

    nock(base).get('/product/202309/products/1').query(true).reply(503, 'overloaded');
    expect((await failureOf(client.request('GET', '/product/202309/products/1', { auth }))).kind).toBe(
      'retryable',
    );

    nock(base).get('/product/202309/products/1').query(true).delay(1_000).reply(200, {});
    const timedOut = await failureOf(client.request('GET', '/product/202309/products/1', { auth }));
    expect(timedOut.kind).toBe('retryable');
    expect(JSON.stringify({ ...timedOut, message: timedOut.message })).not.toContain(auth.accessToken);
  });
});

describe('TikTok Shop call budget', () => {
  it('waits for the budget of the shop and API before every shop call (50 QPS per API), also the image upload without a cipher', async () => {
    const keys: string[] = [];
    const gated = new TiktokShopClient(
      { baseUrl: base, appKey: 'app', appSecret: 'secret', timeoutMs: 200 },
      () => now,
      async (key) => {
        keys.push(key);
      },
    );
    for (const id of ['1', '2']) {
      nock(base)
        .get(`/product/202309/products/${id}`)
        .query(true)
        .reply(200, { code: 0, message: 'Success', data: {} });
    }
    nock(base)
      .post('/product/202309/products')
      .query(true)
      .reply(200, { code: 0, message: 'Success', data: { product_id: '3' } });
    nock(base)
      .post('/product/202309/images/upload')
      .query((q) => q.shop_cipher === undefined)
      .reply(200, { code: 0, message: 'Success', data: { uri: 'u' } });
    await gated.request('GET', '/product/202309/products/1', { auth });
    await gated.request('GET', '/product/202309/products/2', { auth });
    await gated.request('POST', '/product/202309/products', { auth, body: {} });
    await gated.request('POST', '/product/202309/images/upload', {
      auth: { accessToken: auth.accessToken, budgetShop: auth.shopCipher },
      form: new FormData(),
    });
    const shop = `tiktok_shop:${auth.shopCipher}`;
    // Reads of two products share Get Product's budget; Create Product and the upload have their own.
    expect(keys).toEqual([
      `${shop}|GET /product/202309/products/{id}`,
      `${shop}|GET /product/202309/products/{id}`,
      `${shop}|POST /product/202309/products`,
      `${shop}|POST /product/202309/images/upload`,
    ]);
  });
});

describe('TikTok Shop repeats of safe calls after a transient failure', () => {
  const repeating = new TiktokShopClient(
    {
      baseUrl: base,
      appKey: 'app',
      appSecret: 'secret',
      timeoutMs: 200,
      repeat: { times: 2, delayMs: 1 },
    },
    () => now,
  );

  it('an absolute price update and an Edit Product are repeated after a 5xx and succeed', async () => {
    nock(base)
      .post('/product/202309/products/1729/prices/update')
      .query(true)
      .reply(503, { code: 36009007, message: 'gateway timeout' });
    nock(base)
      .post('/product/202309/products/1729/prices/update')
      .query(true)
      .reply(200, { code: 0, message: 'Success', data: {} });
    await repeating.request('POST', '/product/202309/products/1729/prices/update', { auth, body: {} });
    nock(base).put('/product/202309/products/1729').query(true).reply(500, 'oops');
    nock(base)
      .put('/product/202309/products/1729')
      .query(true)
      .reply(200, { code: 0, message: 'Success', data: {} });
    await repeating.request('PUT', '/product/202309/products/1729', { auth, body: {} });
  });

  it('never repeats Create Product (a second product), a throttle or a wait the platform names', async () => {
    nock(base).post('/product/202309/products').query(true).reply(500, 'oops');
    expect(
      await failureOf(repeating.request('POST', '/product/202309/products', { auth, body: {} })),
    ).toMatchObject({ kind: 'retryable', platformCode: 'HTTP 500' });
    nock(base)
      .post('/product/202309/products/1729/inventory/update')
      .query(true)
      .reply(429, { code: 36009002, message: 'rate limit' });
    expect(
      await failureOf(
        repeating.request('POST', '/product/202309/products/1729/inventory/update', { auth, body: {} }),
      ),
    ).toMatchObject({ kind: 'throttled' });
    nock(base)
      .post('/product/202309/products/1729/prices/update')
      .query(true)
      .reply(200, { code: 12052901, message: 'Product status does not allow this operation' });
    expect(
      await failureOf(
        repeating.request('POST', '/product/202309/products/1729/prices/update', { auth, body: {} }),
      ),
    ).toMatchObject({ kind: 'retryable', waitMs: 30_000 });
  });
});
