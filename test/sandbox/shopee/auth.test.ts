import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import { authorizedClient, control, ShopeeTestClient, sign } from './client.js';

describe('shopee signing, timestamps and tokens', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await buildSandbox({ seed: 7 });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('accepts a correctly signed shop call and rejects a wrong signature with error_sign', async () => {
    const client = await authorizedClient(sandbox);
    const ok = await client.get('/api/v2/product/get_item_limit');
    expect(ok.status).toBe(200);
    expect(ok.body.error).toBe('');
    expect(ok.body.response).toHaveProperty('price_limit');

    const wrong = await client.get('/api/v2/product/get_item_limit', {}, { sign: 'a'.repeat(64) });
    expect(wrong.body).toMatchObject({ error: 'error_sign', message: 'Wrong sign.' });
    expect(wrong.body.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(wrong.status).toBe(403);
  });

  it('signs over the platform path, not the /shopee prefix, and wants lower-case hex', async () => {
    const client = await authorizedClient(sandbox);
    const ts = client.now();
    const withPrefix = sign(
      client.partnerKey,
      `${client.partnerId}/shopee/api/v2/product/get_item_limit${ts}${client.accessToken}${client.shopId}`,
    );
    const bad = await client.get('/api/v2/product/get_item_limit', {}, { timestamp: ts, sign: withPrefix });
    expect(bad.body.error).toBe('error_sign');
    const upper = sign(
      client.partnerKey,
      `${client.partnerId}/api/v2/product/get_item_limit${ts}${client.accessToken}${client.shopId}`,
    ).toUpperCase();
    const shouting = await client.get('/api/v2/product/get_item_limit', {}, { timestamp: ts, sign: upper });
    expect(shouting.body.error).toBe('error_sign');
  });

  it('reports missing common parameters with the documented messages', async () => {
    const client = await authorizedClient(sandbox);
    const noSign = await sandbox.app.inject({
      method: 'GET',
      url: `/shopee/api/v2/product/get_item_limit?partner_id=${client.partnerId}&timestamp=${client.now()}`,
    });
    expect(noSign.json()).toMatchObject({ error: 'error_param', message: 'There is no sign in query' });
    const noPartner = await sandbox.app.inject({
      method: 'GET',
      url: '/shopee/api/v2/product/get_item_limit?timestamp=1',
    });
    expect(noPartner.json()).toMatchObject({
      error: 'error_param',
      message: 'There is no partner_id in query',
    });
    const ts = client.now();
    const publicSigned = sign(client.partnerKey, `${client.partnerId}/api/v2/product/get_item_limit${ts}`);
    const noToken = await sandbox.app.inject({
      method: 'GET',
      url: `/shopee/api/v2/product/get_item_limit?partner_id=${client.partnerId}&timestamp=${ts}&sign=${publicSigned}`,
    });
    expect(noToken.json()).toMatchObject({
      error: 'error_param',
      message: 'There is no access_token in query',
    });
  });

  it('get_shop_info and get_shops_by_partner describe the authorized shop', async () => {
    const client = await authorizedClient(sandbox);
    const info = await client.get('/api/v2/shop/get_shop_info');
    // Shopee's response samples put these fields at the top level, beside request_id.
    expect(info.body).not.toHaveProperty('response');
    expect(info.body).toMatchObject({
      error: '',
      shop_name: 'Batik Serpong',
      region: 'ID',
      status: 'NORMAL',
    });
    const authTime = Number(info.body.auth_time);
    expect(Math.abs(authTime - client.now())).toBeLessThan(5);
    expect(Number(info.body.expire_time) - authTime).toBe(365 * 86_400);
    const shops = await client.get(
      '/api/v2/public/get_shops_by_partner',
      { page_size: 10, page_no: 1 },
      { public: true },
    );
    expect(shops.body).not.toHaveProperty('response');
    expect(shops.body).toMatchObject({
      authed_shop_list: [{ shop_id: client.shopId, region: 'ID' }],
      more: false,
    });
  });

  it('answers malformed JSON and unknown paths in the Shopee envelope', async () => {
    const client = await authorizedClient(sandbox);
    const malformed = await sandbox.app.inject({
      method: 'POST',
      url: client.url('POST', '/api/v2/product/add_item'),
      headers: { 'content-type': 'application/json' },
      payload: '{"item_name":',
    });
    expect(malformed.json()).toMatchObject({ error: 'error_param' });
    expect(malformed.json<{ request_id: string }>().request_id).toMatch(/^[0-9a-f]{32}$/);
    const unknown = await client.get('/api/v2/product/no_such_api');
    expect(unknown.body.error).toBe('error_not_found');
  });

  it('rejects a timestamp older than 5 minutes and one more than 5 minutes in the future', async () => {
    const client = await authorizedClient(sandbox);
    const now = client.now();
    const stale = await client.get('/api/v2/product/get_item_limit', {}, { timestamp: now - 301 });
    expect(stale.body).toMatchObject({ error: 'error_param', message: 'Timestamp is expired' });
    const edge = await client.get('/api/v2/product/get_item_limit', {}, { timestamp: now - 290 });
    expect(edge.body.error).toBe('');
    const future = await client.get('/api/v2/product/get_item_limit', {}, { timestamp: now + 400 });
    expect(future.body).toMatchObject({ error: 'error_param', message: 'Invalid timestamp' });

    await control(sandbox, 'POST', '/shopee/configure', { futureTimestampToleranceSeconds: 3600 });
    const allowed = await client.get('/api/v2/product/get_item_limit', {}, { timestamp: now + 400 });
    expect(allowed.body.error).toBe('');
  });

  it('expires the access token after 4 hours of sandbox clock', async () => {
    const client = await authorizedClient(sandbox);
    await control(sandbox, 'POST', '/clock', { advanceMs: 4 * 3600_000 - 60_000 });
    expect((await client.get('/api/v2/product/get_item_limit')).body.error).toBe('');
    await control(sandbox, 'POST', '/clock', { advanceMs: 61_000 });
    const expired = await client.get('/api/v2/product/get_item_limit');
    expect(expired.body).toMatchObject({ error: 'invalid_acceess_token', message: 'Invalid access_token.' });
  });

  it('codes are single use and expire after 10 minutes', async () => {
    await control(sandbox, 'POST', '/shopee/apps', { partnerId: 10090, partnerKey: 'test_partner_key' });
    await control(sandbox, 'POST', '/shopee/shops', { shopId: 555001 });
    const client = new ShopeeTestClient(sandbox, 10090, 'test_partner_key');
    const auth = await control(sandbox, 'POST', '/shopee/authorize', { partnerId: 10090, shopId: 555001 });
    const body = { code: auth.body.code, partner_id: 10090, shop_id: 555001 };
    const first = await client.post('/api/v2/auth/token/get', body);
    expect(first.body.error).toBe('');
    expect(first.body.access_token).toMatch(/^[0-9a-f]{32}$/);
    expect(first.body.expire_in).toBe(14400);
    const reused = await client.post('/api/v2/auth/token/get', body);
    expect(reused.body.error).toBe('invalid_code');

    const forOtherShop = await control(sandbox, 'POST', '/shopee/authorize', {
      partnerId: 10090,
      shopId: 555001,
    });
    const mismatch = await client.post('/api/v2/auth/token/get', {
      ...body,
      code: forOtherShop.body.code,
      shop_id: 555002,
    });
    expect(mismatch.body.error).toBe('invalid_shop_id');

    const late = await control(sandbox, 'POST', '/shopee/authorize', { partnerId: 10090, shopId: 555001 });
    await control(sandbox, 'POST', '/clock', { advanceMs: 601_000 });
    const expired = await client.post('/api/v2/auth/token/get', { ...body, code: late.body.code });
    expect(expired.body.error).toBe('invalid_code');
  });

  it('rotates the refresh token and refuses the old one', async () => {
    const client = await authorizedClient(sandbox);
    const oldRefresh = client.refreshToken;
    const refreshBody = { refresh_token: oldRefresh, partner_id: client.partnerId, shop_id: client.shopId };
    const refreshed = await client.post('/api/v2/auth/access_token/get', refreshBody, { public: true });
    expect(refreshed.body.error).toBe('');
    expect(refreshed.body.refresh_token).not.toBe(oldRefresh);
    expect(refreshed.body.access_token).not.toBe(client.accessToken);

    const reused = await client.post('/api/v2/auth/access_token/get', refreshBody, { public: true });
    expect(reused.body.error).toBe('error_shop_refresh_token');
    const unknown = await client.post(
      '/api/v2/auth/access_token/get',
      { ...refreshBody, refresh_token: 'f'.repeat(32) },
      { public: true },
    );
    expect(unknown.body.error).toBe('error_shop_refresh_token');
    const otherShop = await client.post(
      '/api/v2/auth/access_token/get',
      { ...refreshBody, refresh_token: refreshed.body.refresh_token, shop_id: 999_999 },
      { public: true },
    );
    expect(otherShop.body.error).toBe('error_shop_refresh_token');

    client.accessToken = String(refreshed.body.access_token);
    expect((await client.get('/api/v2/product/get_item_limit')).body.error).toBe('');
  });

  it('shop/auth_partner redirects with a code the client can exchange', async () => {
    await control(sandbox, 'POST', '/shopee/apps', { partnerId: 10090, partnerKey: 'test_partner_key' });
    const client = new ShopeeTestClient(sandbox, 10090, 'test_partner_key');
    const link = `${client.url('GET', '/api/v2/shop/auth_partner')}&redirect=${encodeURIComponent('https://crafter.example/callback')}`;
    const response = await sandbox.app.inject({ method: 'GET', url: link });
    expect(response.statusCode).toBe(302);
    const location = new URL(String(response.headers.location));
    expect(location.origin + location.pathname).toBe('https://crafter.example/callback');
    const code = location.searchParams.get('code');
    const shopId = Number(location.searchParams.get('shop_id'));
    const token = await client.post('/api/v2/auth/token/get', { code, partner_id: 10090, shop_id: shopId });
    expect(token.body.error).toBe('');

    const badLink = await sandbox.app.inject({
      method: 'GET',
      url: `${link.replace(/sign=[0-9a-f]+/, `sign=${'0'.repeat(64)}`)}`,
    });
    expect(badLink.json()).toMatchObject({ error: 'error_sign' });
  });

  it('the current authorization page /auth redirects with code, shop_id and state', async () => {
    await control(sandbox, 'POST', '/shopee/apps', { partnerId: 10090, partnerKey: 'test_partner_key' });
    await control(sandbox, 'POST', '/shopee/shops', { shopId: 555003 });
    const client = new ShopeeTestClient(sandbox, 10090, 'test_partner_key');
    const query = new URLSearchParams({
      partner_id: '10090',
      auth_type: 'seller',
      redirect_uri: 'https://crafter.example/callback',
      response_type: 'code',
      state: 'csrf-1',
      shop_id: '555003',
    });
    const response = await sandbox.app.inject({ method: 'GET', url: `/shopee/auth?${query}` });
    expect(response.statusCode).toBe(302);
    const location = new URL(String(response.headers.location));
    expect(location.origin + location.pathname).toBe('https://crafter.example/callback');
    expect(location.searchParams.get('shop_id')).toBe('555003');
    expect(location.searchParams.get('state')).toBe('csrf-1');
    const token = await client.post('/api/v2/auth/token/get', {
      code: location.searchParams.get('code'),
      partner_id: 10090,
      shop_id: 555003,
    });
    expect(token.body.error).toBe('');

    query.set('redirect_uri', 'http://[not a host');
    const badRedirect = await sandbox.app.inject({ method: 'GET', url: `/shopee/auth?${query}` });
    expect(badRedirect.statusCode).toBeLessThan(500);
    expect(badRedirect.json()).toMatchObject({ error: 'error_param' });

    query.set('partner_id', '424242');
    const unknown = await sandbox.app.inject({ method: 'GET', url: `/shopee/auth?${query}` });
    expect(unknown.json()).toMatchObject({ error: 'invalid_partner_id' });
  });
});
