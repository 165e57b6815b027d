import { describe, expect, it } from 'vitest';
import type { ShopSetup } from './fixtures.js';
import { type TiktokHarness, useAuthorizedShop } from './harness.js';
import { T1_SIGN, T2_SIGN, T3_BODY, T3_SIGN, T4_BODY, T4_SIGN } from './vectors.js';

let h: TiktokHarness;
let s: ShopSetup;

useAuthorizedShop((harness, shop) => {
  h = harness;
  s = shop;
});

const shopsPath = '/authorization/202309/shops';

describe('TikTok Shop authentication and signing', () => {
  it('rejects a wrong signature with 106001 and HTTP 401, accepts the documented one', async () => {
    const bad = await s.client.call('GET', shopsPath, { sign: 'f'.repeat(64) });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe(106001);
    expect(bad.body.request_id).toMatch(/^\d{14}[0-9A-F]+$/);
    const good = await s.client.call('GET', shopsPath);
    expect(good.status).toBe(200);
    expect(good.body.code).toBe(0);
    const shops = good.body.data.shops as Array<{ id: string; cipher: string; region: string }>;
    expect(shops).toEqual([expect.objectContaining({ id: s.shopId, cipher: s.cipher, region: 'ID' })]);
  });

  it('signature covers the platform path, not the /tiktok-shop prefix', async () => {
    // A client that signed with the sandbox prefix in the path is a client with the wrong base URL handling.
    const { documentedSign } = await import('./client.js');
    const timestamp = String(h.ctx.clock.nowSeconds());
    const sign = documentedSign(s.appSecret, `/tiktok-shop${shopsPath}`, { app_key: s.appKey, timestamp });
    const res = await s.client.call('GET', shopsPath, { sign, timestamp: Number(timestamp) });
    expect(res.body.code).toBe(106001);
  });

  it('rejects a missing sign and an unknown app_key with 36009004', async () => {
    const noSign = await fetch(
      `${h.baseUrl}${shopsPath}?app_key=${s.appKey}&timestamp=${h.ctx.clock.nowSeconds()}`,
      {
        headers: { 'x-tts-access-token': s.client.accessToken ?? '' },
      },
    );
    expect(((await noSign.json()) as { code: number }).code).toBe(36009004);
    const other = await s.client.call('GET', shopsPath, { query: { app_key: 'unknownapp1' } });
    expect(other.body.code).toBe(36009004);
  });

  it('timestamp window is -5 min / +30 s of the sandbox clock', async () => {
    const now = h.ctx.clock.nowSeconds();
    const stale = await s.client.call('GET', shopsPath, { timestamp: now - 5 * 60 - 2 });
    expect(stale.body.code).toBe(36009004);
    expect(stale.body.message).toMatch(/Invalid timestamp/);
    const future = await s.client.call('GET', shopsPath, { timestamp: now + 32 });
    expect(future.body.code).toBe(36009004);
    expect(future.body.message).toMatch(/Invalid timestamp/);
    expect((await s.client.call('GET', shopsPath, { timestamp: now - 4 * 60 })).body.code).toBe(0);
    expect((await s.client.call('GET', shopsPath, { timestamp: now + 20 })).body.code).toBe(0);
  });

  it('access token expires after 7 days of sandbox clock (105002) and refresh issues a working one', async () => {
    const issuedAt = h.ctx.clock.nowSeconds();
    h.ctx.clock.advance(7 * 24 * 3600 * 1000 + 5_000);
    const expired = await s.client.call('GET', shopsPath);
    expect(expired.body.code).toBe(105002);
    const refreshed = await s.client.authService('/api/v2/token/refresh', {
      app_key: s.appKey,
      app_secret: s.appSecret,
      refresh_token: s.refreshToken,
      grant_type: 'refresh_token',
    });
    expect(refreshed.code).toBe(0);
    const expireIn = Number(refreshed.data.access_token_expire_in);
    // Absolute Unix timestamps, not durations.
    expect(expireIn).toBeGreaterThanOrEqual(issuedAt + 14 * 24 * 3600);
    expect(expireIn).toBeLessThanOrEqual(h.ctx.clock.nowSeconds() + 7 * 24 * 3600);
    expect(Number(refreshed.data.refresh_token_expire_in)).toBeGreaterThan(expireIn);
    s.client.accessToken = String(refreshed.data.access_token);
    expect((await s.client.call('GET', shopsPath)).body.code).toBe(0);
  });

  it('a missing or foreign access token is rejected', async () => {
    expect((await s.client.call('GET', shopsPath, { accessToken: null })).body.code).toBe(36009004);
    expect((await s.client.call('GET', shopsPath, { accessToken: 'ROW_not-a-token' })).body.code).toBe(
      36009004,
    );
  });

  it('auth codes are single-use and expire after 30 minutes', async () => {
    const { auth_code } = h.platform.control.authorizeShop({ app_key: s.appKey, shop_id: s.shopId }) as {
      auth_code: string;
    };
    const exchange = (code: string) =>
      s.client.authService('/api/v2/token/get', {
        app_key: s.appKey,
        app_secret: s.appSecret,
        auth_code: code,
        grant_type: 'authorized_code',
      });
    const first = await exchange(auth_code);
    expect(first.code).toBe(0);
    expect(Number(first.data.access_token_expire_in)).toBe(h.ctx.clock.nowSeconds() + 7 * 24 * 3600);
    const reused = await exchange(auth_code);
    expect(reused.code).toBe(36004004);
    const late = h.platform.control.authorizeShop({ app_key: s.appKey, shop_id: s.shopId }) as {
      auth_code: string;
    };
    h.ctx.clock.advance(31 * 60 * 1000);
    expect((await exchange(late.auth_code)).code).toBe(36004004);
    const wrongSecret = await s.client.authService('/api/v2/token/get', {
      app_key: s.appKey,
      app_secret: 'wrong-secret',
      auth_code: late.auth_code,
      grant_type: 'authorized_code',
    });
    expect(wrongSecret.code).not.toBe(0);
  });

  it('shop_cipher: missing → 106013, unknown → rejected, forbidden endpoints → 36009004 Unexpected identifier', async () => {
    const search = '/product/202502/products/search';
    const missing = await s.client.call('POST', search, { query: { page_size: '10' }, body: {} });
    expect(missing.body.code).toBe(106013);
    const unknown = await s.client.call('POST', search, {
      query: { page_size: '10' },
      body: {},
      shopCipher: 'ROW_unknowncipher000',
    });
    expect(unknown.body.code).toBe(36009004);
    expect(unknown.body.message).toMatch(/shop_cipher/);
    const seller = await s.client.call('GET', '/seller/202309/shops', { shopCipher: s.cipher });
    expect(seller.body.message).toMatch(/Unexpected identifier/);
    expect((await s.client.call('GET', '/seller/202309/shops')).body.data.shops).toEqual([
      { id: s.shopId, region: 'ID' },
    ]);
    const forbidden = await s.client.call('GET', shopsPath, { shopCipher: s.cipher });
    expect(forbidden.body.code).toBe(36009004);
    expect(forbidden.body.message).toMatch(/Unexpected identifier/);
    const ok = await s.client.call('POST', search, {
      query: { page_size: '10' },
      body: {},
      shopCipher: s.cipher,
    });
    expect(ok.body.code).toBe(0);
  });

  it('versions: any 6-digit version of a known path, 36009014 for a bad version, 36009009 for an unknown path', async () => {
    const call = (path: string) =>
      s.client.call('POST', path, { query: { page_size: '5' }, body: {}, shopCipher: s.cipher });
    expect((await call('/product/202312/products/search')).body.code).toBe(0);
    expect((await call('/product/2023/products/search')).body.code).toBe(36009014);
    expect((await call('/product/202309/widgets/search')).body.code).toBe(36009009);
  });
});

describe('golden vectors through the HTTP API', () => {
  it('T1 is accepted as published', async () => {
    h.platform.control.createApp({ app_key: '29a39d', app_secret: 'e59af819cc' });
    const { auth_code } = h.platform.control.authorizeShop({ app_key: '29a39d', shop_id: s.shopId }) as {
      auth_code: string;
    };
    const t1 = new (await import('./client.js')).TtsTestClient(
      h.baseUrl,
      '29a39d',
      'e59af819cc',
      () => 1623812664,
    );
    const token = await t1.authService('/api/v2/token/get', {
      app_key: '29a39d',
      app_secret: 'e59af819cc',
      auth_code,
      grant_type: 'authorized_code',
    });
    t1.accessToken = String(token.data.access_token);
    h.ctx.clock.set(1623812664 * 1000);
    const res = await t1.call('GET', shopsPath, {
      sign: T1_SIGN,
    });
    expect(res.body.code).toBe(0);
  });

  it('T2 and T3 are accepted; T4 (body re-serialised after signing) is rejected with 106001', async () => {
    const shop = h.platform.control.createShop({ cipher: 'ROW_xkMbgAAAeVAQra0eZWebFQq5aIK' }) as {
      shop_id: string;
    };
    h.platform.control.createApp({ app_key: '68xu9ks5p4i8', app_secret: 'e59af819cc' });
    const { auth_code } = h.platform.control.authorizeShop({
      app_key: '68xu9ks5p4i8',
      shop_id: shop.shop_id,
    }) as {
      auth_code: string;
    };
    const { TtsTestClient } = await import('./client.js');
    const t = new TtsTestClient(h.baseUrl, '68xu9ks5p4i8', 'e59af819cc', () => 1696909648);
    const token = await t.authService('/api/v2/token/get', {
      app_key: '68xu9ks5p4i8',
      app_secret: 'e59af819cc',
      auth_code,
      grant_type: 'authorized_code',
    });
    t.accessToken = String(token.data.access_token);
    h.ctx.clock.set(1696909648 * 1000);
    const cipher = 'ROW_xkMbgAAAeVAQra0eZWebFQq5aIK';
    const t2 = await t.call('GET', '/event/202309/webhooks', {
      shopCipher: cipher,
      sign: T2_SIGN,
    });
    expect(t2.body.code).toBe(0);
    const t3Body = T3_BODY;
    const t4Body = T4_BODY;
    const t3Sign = T3_SIGN;
    const t3 = await t.call('PUT', '/event/202309/webhooks', {
      shopCipher: cipher,
      body: t3Body,
      sign: t3Sign,
    });
    expect(t3.body.code).toBe(0);
    const t4 = await t.call('PUT', '/event/202309/webhooks', {
      shopCipher: cipher,
      body: t4Body,
      sign: t3Sign,
    });
    expect(t4.status).toBe(401);
    expect(t4.body.code).toBe(106001);
    // The same re-serialisation done by a client that signs after serialising is fine.
    const t4Signed = await t.call('PUT', '/event/202309/webhooks', {
      shopCipher: cipher,
      body: t4Body,
      sign: T4_SIGN,
    });
    expect(t4Signed.body.code).toBe(0);
  });
});
