import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';
import { authorizedClient, control, type ShopeeTestClient } from './client.js';

type Rec = Record<string, unknown>;

describe('shopee throttling and injected faults', () => {
  let sandbox: Sandbox;
  let client: ShopeeTestClient;
  beforeEach(async () => {
    sandbox = await buildSandbox({ seed: 13 });
    client = await authorizedClient(sandbox);
  });
  afterEach(async () => {
    await sandbox.close();
  });

  /** Runs `count` calls at once and returns them, so they all land within (almost always) one second. */
  const burst = (count: number) =>
    Promise.all(Array.from({ length: count }, () => client.get('/api/v2/product/get_item_limit')));

  /** Waits until the start of a fresh one-second window, so a burst is not split across two windows. */
  const freshSecond = async () => {
    const second = Math.floor(Date.now() / 1000);
    while (Math.floor(Date.now() / 1000) === second) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('a burst above the per-shop rate gets error_rate_limit at the configured HTTP status; under-rate calls pass', async () => {
    await control(sandbox, 'POST', '/shopee/configure', { rateLimitPerSecond: 5 });
    await freshSecond();
    const under = await burst(5);
    expect(under.every((r) => r.body.error === '')).toBe(true);

    await control(sandbox, 'POST', '/shopee/configure', { rateLimitPerSecond: 10, throttleHttpStatus: 418 });
    await freshSecond();
    const over = await burst(25);
    const throttled = over.filter((r) => r.body.error === 'error_rate_limit');
    const passed = over.filter((r) => r.body.error === '');
    expect(passed.length).toBeGreaterThanOrEqual(10);
    expect(passed.length).toBeLessThanOrEqual(20);
    expect(throttled.length).toBe(25 - passed.length);
    expect(throttled.every((r) => r.status === 418)).toBe(true);
    expect(throttled[0]?.body.message).toBe(
      'Too many requests. You have reached the rate limit. Please try again later.',
    );

    const counters = (await control(sandbox, 'GET', '/counters')).body.counters as Record<string, Rec>;
    expect(counters['shopee GET /api/v2/product/get_item_limit']?.throttled).toBe(throttled.length);
  });

  it('a daily partner quota is answered with error_limit and resets on the next UTC+8 day', async () => {
    // The token exchange in authorizedClient already used one call of today's quota.
    await control(sandbox, 'POST', '/shopee/configure', { dailyCallQuota: 3 });
    const results = [];
    for (let i = 0; i < 4; i += 1) results.push(await client.get('/api/v2/product/get_item_limit'));
    expect(results.map((r) => r.body.error)).toEqual(['', '', 'error_limit', 'error_limit']);
    await control(sandbox, 'POST', '/clock', { advanceMs: 86_400_000 });
    // A new day on the sandbox clock; the client signs with sandbox time but its token is older than 4 h.
    const refreshed = await client.post(
      '/api/v2/auth/access_token/get',
      { refresh_token: client.refreshToken, partner_id: client.partnerId, shop_id: client.shopId },
      { public: true },
    );
    client.accessToken = String(refreshed.body.access_token);
    expect((await client.get('/api/v2/product/get_item_limit')).body.error).toBe('');
  });

  it('errorRate 1.0 answers every call with a 5xx in the Shopee envelope; clearing faults restores service', async () => {
    const put = await control(sandbox, 'PUT', '/faults', { rules: [{ platform: 'shopee', errorRate: 1 }] });
    expect(put.status).toBe(200);
    const calls = await Promise.all(
      Array.from({ length: 10 }, () => client.get('/api/v2/product/get_category')),
    );
    expect(calls.every((r) => r.status >= 500 && r.body.error === 'error_server')).toBe(true);
    await control(sandbox, 'DELETE', '/faults');
    expect((await client.get('/api/v2/product/get_category')).status).toBe(200);
    const log = (
      await control(sandbox, 'GET', '/calls?platform=shopee&endpoint=/api/v2/product/get_category')
    ).body.calls as Rec[];
    expect(log.filter((c) => c.fault === 'error')).toHaveLength(10);
    expect(log.at(-1)).toMatchObject({ status: 200, errorCode: '', shopId: String(client.shopId) });
  });

  it('an endpoint rule narrows faults to one path', async () => {
    await control(sandbox, 'PUT', '/faults', [
      { platform: 'shopee', endpoint: '/api/v2/product/get_category', throttleRate: 1 },
    ]);
    const throttled = await client.get('/api/v2/product/get_category');
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toBe('error_rate_limit');
    expect((await client.get('/api/v2/product/get_item_limit')).body.error).toBe('');
  });

  it('a throttle rate of 0.5 throttles about half of the calls', async () => {
    await control(sandbox, 'PUT', '/faults', [{ platform: 'shopee', throttleRate: 0.5 }]);
    const calls = [];
    for (let i = 0; i < 200; i += 1) calls.push(await client.get('/api/v2/product/get_item_limit'));
    const throttled = calls.filter((r) => r.body.error === 'error_rate_limit').length;
    expect(throttled).toBeGreaterThan(60);
    expect(throttled).toBeLessThan(140);
  });

  it('latency is measurably added', async () => {
    // Fastest of a few calls, so a slow moment on a shared machine does not decide the comparison.
    const fastest = async () => {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i += 1) {
        const start = performance.now();
        await client.get('/api/v2/product/get_item_limit');
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    const baseline = await fastest();
    await control(sandbox, 'PUT', '/faults', [{ platform: 'shopee', latencyMs: 150 }]);
    const slow = await fastest();
    expect(slow).toBeGreaterThanOrEqual(149);
    expect(slow - baseline).toBeGreaterThan(100);
    const log = (await control(sandbox, 'GET', '/calls?limit=1')).body.calls as Rec[];
    expect(Number(log[0]?.durationMs)).toBeGreaterThanOrEqual(149);
  });

  it('refuses bad fault rules with 400 and a message', async () => {
    const bad = await control(sandbox, 'PUT', '/faults', [{ platform: 'shopee', errorRate: 2 }]);
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toMatch(/errorRate/);
    const unknown = await control(sandbox, 'PUT', '/faults', [{ platform: 'lazada', errorRate: 0.1 }]);
    expect(unknown.status).toBe(400);
  });
});
