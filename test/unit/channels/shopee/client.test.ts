import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ShopeeClient, shopeeSign } from '../../../../src/channels/shopee/client.js';
import { msUntilShopeeQuotaReset } from '../../../../src/channels/shopee/errors.js';
import { ChannelFailure } from '../../../../src/channels/types.js';

const base = 'http://shopee.test';
const now = new Date(1_655_714_431_000);
const shop = { shopId: '14701711', accessToken: '59777174636562737266615546704c6d' };
// Classification is read from one answer: no repeats here (see "repeats of safe calls").
const client = new ShopeeClient(
  {
    baseUrl: base,
    partnerId: 2001887,
    partnerKey: 'test_partner_key',
    timeoutMs: 200,
    repeat: { times: 0, delayMs: 0 },
  },
  () => now,
);

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

describe('Shopee signing (reference vectors, key test_partner_key)', () => {
  it('signs shop and public base strings as documented', () => {
    expect(shopeeSign('test_partner_key', 2001887, '/api/v2/shop/get_shop_info', 1655714431, shop)).toBe(
      '9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3',
    );
    expect(shopeeSign('test_partner_key', 2001887, '/api/v2/public/get_shops_by_partner', 1655714431)).toBe(
      'bfd95b21eda3ed2c80e9373e8c0ce80bdc39b2dc02e4c6dc19e1413c75f8ab09',
    );
  });

  it('puts common parameters in the query and repeats array keys', async () => {
    nock(base)
      .get('/api/v2/product/get_item_list')
      .query({
        partner_id: '2001887',
        timestamp: '1655714431',
        sign: shopeeSign('test_partner_key', 2001887, '/api/v2/product/get_item_list', 1655714431, shop),
        access_token: shop.accessToken,
        shop_id: shop.shopId,
        offset: '0',
        page_size: '10',
        item_status: ['NORMAL', 'UNLIST'],
      })
      .reply(200, { request_id: 'r1', error: '', message: '', response: { item: [], has_next_page: false } });
    const res = await client.get<{ has_next_page: boolean }>('/api/v2/product/get_item_list', {
      shop,
      query: { offset: 0, page_size: 10, item_status: ['NORMAL', 'UNLIST'] },
    });
    expect(res.response?.has_next_page).toBe(false);
  });
});

describe('Shopee failure classification', () => {
  it('error_rate_limit is a throttle whatever the HTTP status', async () => {
    nock(base)
      .post('/api/v2/product/update_price')
      .query(true)
      .reply(429, { request_id: 'r', error: 'error_rate_limit', message: 'Too many requests.' });
    const failure = await failureOf(client.post('/api/v2/product/update_price', { shop, body: {} }));
    expect(failure).toMatchObject({ kind: 'throttled', platformCode: 'error_rate_limit', waitMs: 1000 });
  });

  it('error_limit waits until the daily quota resets at 00:00 UTC+8', () => {
    // 2026-12-01 15:30 UTC is 23:30 UTC+8: thirty minutes to go.
    expect(msUntilShopeeQuotaReset(new Date('2026-12-01T15:30:00Z'))).toBe(30 * 60_000);
  });

  it('an expired access token asks for re-authorisation; a business refusal is permanent in plain words', async () => {
    nock(base)
      .get('/api/v2/shop/get_shop_info')
      .query(true)
      .reply(200, { request_id: 'r', error: 'invalid_acceess_token', message: 'Invalid access_token.' });
    expect((await failureOf(client.get('/api/v2/shop/get_shop_info', { shop }))).kind).toBe('reauth');

    nock(base).post('/api/v2/product/add_item').query(true).reply(200, {
      request_id: 'r',
      error: 'error_param',
      message: 'item_name length should be less than 120.',
    });
    const refused = await failureOf(client.post('/api/v2/product/add_item', { shop, body: {} }));
    expect(refused.kind).toBe('permanent');
    expect(refused.human.en).toBe('Shopee refused the change: item_name length should be less than 120.');
    expect(refused.human.id).toContain('Shopee menolak perubahan');
  });

  it('5xx without an envelope and timeouts are retryable, and no secret reaches the failure', async () => {
    nock(base).get('/api/v2/shop/get_shop_info').query(true).reply(502, 'Bad Gateway');
    expect(await failureOf(client.get('/api/v2/shop/get_shop_info', { shop }))).toMatchObject({
      kind: 'retryable',
      platformCode: 'HTTP 502',
    });

    nock(base).get('/api/v2/shop/get_shop_info').query(true).delay(1_000).reply(200, {});
    const timedOut = await failureOf(client.get('/api/v2/shop/get_shop_info', { shop }));
    expect(timedOut.kind).toBe('retryable');
    expect(timedOut.platformCode).toBe('ECONNABORTED');
    const everything = JSON.stringify({
      ...timedOut,
      message: timedOut.message,
      cause: timedOut.cause ?? null,
    });
    expect(everything).not.toContain(shop.accessToken);
    expect(everything).not.toContain('sign=');
  });
});

describe('Shopee call budget', () => {
  it('waits for the shop budget before every shop call, keyed by shop_id; public calls spend none', async () => {
    const keys: string[] = [];
    const gated = new ShopeeClient(
      { baseUrl: base, partnerId: 2001887, partnerKey: 'test_partner_key', timeoutMs: 200 },
      () => now,
      async (key) => {
        keys.push(key);
      },
    );
    nock(base)
      .get('/api/v2/shop/get_shop_info')
      .query(true)
      .reply(200, { error: '', message: '', response: {} });
    nock(base)
      .post('/api/v2/auth/token/get')
      .query(true)
      .reply(200, { error: '', message: '', access_token: 'a' });
    await gated.get('/api/v2/shop/get_shop_info', { shop });
    await gated.post('/api/v2/auth/token/get', { body: {} });
    expect(keys).toEqual(['shopee:14701711']);
  });
});

describe('Shopee repeats of safe calls after a transient failure', () => {
  const keys: string[] = [];
  const repeating = new ShopeeClient(
    {
      baseUrl: base,
      partnerId: 2001887,
      partnerKey: 'test_partner_key',
      timeoutMs: 200,
      repeat: { times: 2, delayMs: 1 },
    },
    () => now,
    async (key) => {
      keys.push(key);
    },
  );
  const ok = { error: '', message: '', response: { success_list: [], failure_list: [] } };

  it('a read or an absolute update is repeated, each try spending the shop budget, and succeeds', async () => {
    keys.length = 0;
    nock(base).get('/api/v2/product/get_model_list').query(true).reply(502, 'Bad Gateway');
    nock(base).get('/api/v2/product/get_model_list').query(true).reply(200, ok);
    await repeating.get('/api/v2/product/get_model_list', { shop, query: { item_id: 1 } });
    expect(keys).toEqual(['shopee:14701711', 'shopee:14701711']);

    nock(base)
      .post('/api/v2/product/update_price')
      .query(true)
      .times(2)
      .reply(500, { error: 'error_server', message: 'Server error' });
    nock(base).post('/api/v2/product/update_price').query(true).reply(200, ok);
    await repeating.post('/api/v2/product/update_price', { shop, body: { item_id: 1, price_list: [] } });
  });

  it('gives up after its repeats with the last transient failure', async () => {
    nock(base)
      .post('/api/v2/product/update_stock')
      .query(true)
      .times(3)
      .reply(500, { error: 'error_server', message: 'Server error' });
    expect(
      await failureOf(repeating.post('/api/v2/product/update_stock', { shop, body: { item_id: 1 } })),
    ).toMatchObject({ kind: 'retryable', platformCode: 'error_server' });
  });

  it('never repeats add_item (a second item) or a token call (single-use), nor a throttle or a refusal', async () => {
    nock(base)
      .post('/api/v2/product/add_item')
      .query(true)
      .reply(500, { error: 'error_server', message: 'Server error' });
    // A repeat would have met no mock (a network error): the failure is the first answer's.
    expect(await failureOf(repeating.post('/api/v2/product/add_item', { shop, body: {} }))).toMatchObject({
      kind: 'retryable',
      platformCode: 'error_server',
    });
    nock(base)
      .post('/api/v2/auth/access_token/get')
      .query(true)
      .reply(500, { error: 'error_server', message: 'Server error' });
    expect(
      await failureOf(repeating.post('/api/v2/auth/access_token/get', { body: { refresh_token: 'r' } })),
    ).toMatchObject({ kind: 'retryable', platformCode: 'error_server' });
    nock(base)
      .post('/api/v2/product/update_price')
      .query(true)
      .reply(429, { error: 'error_rate_limit', message: 'too many' });
    expect(await failureOf(repeating.post('/api/v2/product/update_price', { shop, body: {} }))).toMatchObject(
      {
        kind: 'throttled',
      },
    );
    nock(base)
      .post('/api/v2/product/update_item')
      .query(true)
      .reply(200, { error: 'error_param', message: 'item_name is too long' });
    expect(await failureOf(repeating.post('/api/v2/product/update_item', { shop, body: {} }))).toMatchObject({
      kind: 'permanent',
    });
    // afterEach: every mock consumed once, none left over, and nock refused any repeat.
  });
});
