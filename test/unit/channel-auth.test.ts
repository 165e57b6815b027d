/**
 * Channel authorization pieces without a network: signatures against the reference's vectors, the
 * OAuth state (forged, expired, wrong channel), and log redaction of credential-bearing fields.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { shopeeSign } from '../../src/channels/shopee/signing.js';
import { tiktokSign } from '../../src/channels/tiktok-shop/signing.js';
import { AuthorizationStateError } from '../../src/lib/errors.js';
import { createLogger, redactUrl } from '../../src/lib/logger.js';
import { signState, verifyState } from '../../src/services/connections.js';

describe('Shopee signing (reference §1.3 locally computed vectors, key test_partner_key)', () => {
  it.each([
    [
      { partnerId: 2001887, path: '/api/v2/auth/token/get', timestamp: 1655714431 },
      '4347600f52b50a77f5ecee90bf489adf3cec2d59d3c2febe004674f37def5451',
    ],
    [
      { partnerId: 10090, path: '/api/v2/shop/auth_partner', timestamp: 1594897040 },
      'db2b48b12a290e1a81ddf4b3f8ca6e021c5896a40e7186acbb74033745019e31',
    ],
    [
      {
        partnerId: 2001887,
        path: '/api/v2/shop/get_shop_info',
        timestamp: 1655714431,
        accessToken: '59777174636562737266615546704c6d',
        shopId: 14701711,
      },
      '9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3',
    ],
  ])('%o', (parts, expected) => {
    expect(shopeeSign('test_partner_key', parts)).toBe(expected);
  });
});

describe('TikTok Shop signing', () => {
  it('signs path, sorted params (not sign or access_token) and body between the secret', () => {
    const a = tiktokSign('s3cr3t', '/authorization/202309/shops', {
      timestamp: '1',
      app_key: 'k',
      access_token: 'x',
    });
    const b = tiktokSign('s3cr3t', '/authorization/202309/shops', {
      app_key: 'k',
      timestamp: '1',
      sign: 'ignored',
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(tiktokSign('s3cr3t', '/p', { app_key: 'k' }, '{"a":1}')).not.toBe(
      tiktokSign('s3cr3t', '/p', { app_key: 'k' }, '{"a": 1}'),
    );
  });
});

describe('OAuth state', () => {
  const secret = 'x'.repeat(32);
  const payload = {
    v: 1 as const,
    c: '0b6f0f4e-2a64-4c5e-8d1e-9f1d6f3c1a11',
    ch: 'shopee' as const,
    n: 'nonce',
    e: 2_000_000_000,
  };

  it('round-trips and is bound to its channel', () => {
    const state = signState(secret, payload);
    expect(verifyState(secret, state, 'shopee', 1_000_000_000_000)).toEqual(payload);
    expect(() => verifyState(secret, state, 'tiktok_shop', 1_000_000_000_000)).toThrow(
      AuthorizationStateError,
    );
  });

  it('refuses another secret, a changed payload, garbage and an expired state', () => {
    const state = signState(secret, payload);
    expect(() => verifyState('y'.repeat(32), state, 'shopee', 0)).toThrow(/not valid/);
    const [, mac] = state.split('.');
    const changed = `${Buffer.from(JSON.stringify({ ...payload, c: 'someone-else' })).toString('base64url')}.${mac}`;
    expect(() => verifyState(secret, changed, 'shopee', 0)).toThrow(/not valid/);
    for (const bad of ['', 'a', 'a.b.c', '.', `${state}x`]) {
      expect(() => verifyState(secret, bad, 'shopee', 0)).toThrow(AuthorizationStateError);
    }
    expect(() => verifyState(secret, state, 'shopee', payload.e * 1000)).toThrow(/expired/);
  });
});

describe('log redaction', () => {
  it('masks Shopee access_token/sign query values, the TikTok token header and secret fields', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        out += chunk.toString('utf8');
        done();
      },
    });
    const log = createLogger('info', 'test', sink);
    log.info(
      {
        req: {
          method: 'GET',
          url: '/api/v2/product/get_item_list?partner_id=1&access_token=AT-SECRET-1&shop_id=2&sign=SIGN-SECRET-2',
        },
      },
      'request',
    );
    log.info({
      request: { headers: { 'x-tts-access-token': 'TTS-SECRET-3', authorization: 'Bearer B-SECRET-4' } },
    });
    log.info({ creds: { apiKey: 'KEY-SECRET-5', apiSecret: 'SEC-SECRET-6', app_secret: 'APP-SECRET-7' } });
    log.info({ grant: { accessToken: 'AT-SECRET-8', refreshToken: 'RT-SECRET-9' } });
    for (const secret of [
      'AT-SECRET-1',
      'SIGN-SECRET-2',
      'TTS-SECRET-3',
      'B-SECRET-4',
      'KEY-SECRET-5',
      'SEC-SECRET-6',
      'APP-SECRET-7',
      'AT-SECRET-8',
      'RT-SECRET-9',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('partner_id=1');
    expect(out).toContain('access_token=[redacted]');
  });

  it('redactUrl keeps harmless parameters', () => {
    expect(redactUrl('/cb?state=abc&code=def&shop_id=9')).toBe(
      '/cb?state=[redacted]&code=[redacted]&shop_id=9',
    );
  });
});
