import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCallLog } from '../../../sandbox/core/call-log.js';
import { createClock } from '../../../sandbox/core/clock.js';
import { createFaultInjector } from '../../../sandbox/core/faults.js';
import { createRandom } from '../../../sandbox/core/random.js';
import { createRateLimiter } from '../../../sandbox/core/rate-limiter.js';
import { createWebhookSender } from '../../../sandbox/core/webhooks.js';
import { buildSandbox, type Sandbox } from '../../../sandbox/server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function waitFor<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('clock', () => {
  it('runs with real time plus an offset that set and advance change, and notifies listeners', () => {
    let real = 1_000_000;
    const clock = createClock(() => real);
    let changes = 0;
    clock.onChange(() => {
      changes += 1;
    });
    expect(clock.nowMs()).toBe(1_000_000);
    real += 500;
    expect(clock.nowMs()).toBe(1_000_500);
    clock.advance(3_600_000);
    expect(clock.nowMs()).toBe(4_600_500);
    clock.set(Date.UTC(2026, 0, 1));
    expect(clock.nowMs()).toBe(Date.UTC(2026, 0, 1));
    expect(clock.nowSeconds()).toBe(Date.UTC(2026, 0, 1) / 1000);
    real += 2_000;
    expect(clock.nowMs()).toBe(Date.UTC(2026, 0, 1) + 2_000);
    expect(changes).toBe(2);
  });
});

describe('random', () => {
  it('is reproducible per seed and different across seeds', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
    const r = createRandom(1);
    for (let i = 0; i < 200; i += 1) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true);
    }
    expect(r.numericId(9)).toMatch(/^[1-9]\d{8}$/);
    expect(r.token(12)).toMatch(/^[0-9a-z]{12}$/);
  });
});

describe('rate limiter', () => {
  it('allows perSecond calls per key per one-second window', () => {
    let now = 10_000;
    const limiter = createRateLimiter(() => now);
    const take = (key: string) => limiter.take(key, 3);
    expect([take('a'), take('a'), take('a'), take('a')]).toEqual([true, true, true, false]);
    expect(take('b')).toBe(true);
    now += 999;
    expect(take('a')).toBe(false);
    now += 1;
    expect(take('a')).toBe(true);
  });
});

describe('fault injector', () => {
  it('merges an endpoint rule over the platform rule field by field', () => {
    const faults = createFaultInjector(createRandom(1));
    faults.set([
      { platform: 'shopee', latencyMs: 100 },
      { platform: 'shopee', endpoint: '/api/v2/product/add_item', errorRate: 1 },
    ]);
    expect(faults.decide('shopee', '/api/v2/product/add_item')).toEqual({ kind: 'error', latencyMs: 100 });
    expect(faults.decide('shopee', '/api/v2/product/get_category')).toEqual({ kind: 'none', latencyMs: 100 });
    expect(faults.decide('tiktok-shop', '/api/products')).toEqual({ kind: 'none', latencyMs: 0 });
    faults.set([{ platform: 'shopee', timeoutRate: 1 }]);
    expect(faults.decide('shopee', '/x').kind).toBe('timeout');
    faults.clear();
    expect(faults.list()).toEqual([]);
  });
});

describe('call log', () => {
  it('keeps the newest entries and counts calls, errors and throttles per endpoint', () => {
    const log = createCallLog(10);
    for (let i = 0; i < 30; i += 1) {
      log.record({
        at: i,
        platform: 'shopee',
        method: 'GET',
        endpoint: i % 2 === 0 ? '/a' : '/b',
        status: i % 3 === 0 ? 429 : 200,
        errorCode: i % 3 === 0 ? 'error_rate_limit' : '',
        durationMs: 1,
        ...(i % 3 === 0 ? { throttled: true } : {}),
      });
    }
    expect(log.list()).toHaveLength(10);
    expect(log.list().at(-1)?.at).toBe(29);
    expect(log.list({ endpoint: '/a', limit: 2 }).map((e) => e.at)).toEqual([26, 28]);
    expect(log.counters()['shopee GET /a']).toEqual({ calls: 15, errors: 0, throttled: 5 });
  });
});

describe('webhook sender', () => {
  it('retries on the sandbox clock until acknowledged, with the exact bytes and headers', async () => {
    const bodies: string[] = [];
    const statuses = [503, 204];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        bodies.push(`${req.headers['x-sig']}|${body}`);
        res.writeHead(statuses[bodies.length - 1] ?? 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const clock = createClock();
    const sender = createWebhookSender(clock, { pollMs: 60_000 });
    cleanups.push(() => sender.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const record = await sender.send(
      { platform: 'shopee', url, headers: { 'x-sig': 'abc' }, body: '{"a": 1}' },
      { retryDelaysMs: [120_000], isAck: (status) => status >= 200 && status < 300 },
    );
    expect(record.state).toBe('pending');
    expect(record.nextAttemptAt).toBeGreaterThanOrEqual(clock.nowMs() + 119_000);
    clock.advance(60_000);
    await sender.runDue();
    expect(bodies).toHaveLength(1);
    clock.advance(61_000);
    await waitFor(() => (sender.get(record.id)?.state === 'delivered' ? true : undefined));
    expect(bodies).toEqual(['abc|{"a": 1}', 'abc|{"a": 1}']);
    expect(sender.list('shopee')[0]?.attempts.map((a) => a.status)).toEqual([503, 204]);
  });

  it('records an unreachable receiver as an error attempt and drops after the schedule', async () => {
    const clock = createClock();
    const sender = createWebhookSender(clock, { timeoutMs: 500, pollMs: 60_000 });
    cleanups.push(() => sender.close());
    const record = await sender.send(
      { platform: 'shopee', url: 'http://127.0.0.1:9/nothing', headers: {}, body: '{}' },
      { retryDelaysMs: [], isAck: () => true },
    );
    expect(record.state).toBe('dropped');
    expect(record.attempts[0]?.status).toBeNull();
    expect(record.attempts[0]?.error).toBeTruthy();
  });
});

describe('sandbox server and control API', () => {
  async function sandbox(options: Parameters<typeof buildSandbox>[0] = {}): Promise<Sandbox> {
    const s = await buildSandbox(options);
    cleanups.push(() => s.close());
    return s;
  }

  it('serves health, sets and advances the clock, and answers bad input with 400 JSON', async () => {
    const s = await sandbox();
    const health = await s.app.inject({ method: 'GET', url: '/__sandbox/health' });
    expect(health.json()).toMatchObject({
      ok: true,
      platforms: expect.arrayContaining([expect.objectContaining({ name: 'shopee' })]),
    });

    const set = await s.app.inject({
      method: 'POST',
      url: '/__sandbox/clock',
      payload: { iso: '2026-01-01T00:00:00Z' },
    });
    expect(set.statusCode).toBe(200);
    expect(Math.abs(set.json<{ nowMs: number }>().nowMs - Date.UTC(2026, 0, 1))).toBeLessThan(1000);
    const advanced = await s.app.inject({
      method: 'POST',
      url: '/__sandbox/clock',
      payload: { advanceMs: 3_600_000 },
    });
    expect(Math.abs(advanced.json<{ nowMs: number }>().nowMs - Date.UTC(2026, 0, 1, 1))).toBeLessThan(1000);

    for (const payload of [{}, { advanceMs: 1, epochMs: 2 }, { iso: 'yesterday' }]) {
      const bad = await s.app.inject({ method: 'POST', url: '/__sandbox/clock', payload });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ message: string }>().message.length).toBeGreaterThan(0);
    }
    const malformed = await s.app.inject({
      method: 'POST',
      url: '/__sandbox/clock',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(malformed.statusCode).toBe(400);
    const unknownPlatform = await s.app.inject({
      method: 'POST',
      url: '/__sandbox/lazada/apps',
      payload: {},
    });
    expect(unknownPlatform.statusCode).toBe(400);
    const badApp = await s.app.inject({
      method: 'POST',
      url: '/__sandbox/shopee/apps',
      payload: { partnerKey: 'short' },
    });
    expect(badApp.statusCode).toBe(400);
    expect(badApp.json<{ message: string }>().message).toMatch(/partnerKey/);

    const reset = await s.app.inject({ method: 'POST', url: '/__sandbox/reset' });
    expect(reset.statusCode).toBe(200);
    const clock = await s.app.inject({ method: 'GET', url: '/__sandbox/clock' });
    expect(Math.abs(clock.json<{ nowMs: number }>().nowMs - Date.now())).toBeLessThan(1000);
  });

  it('saves state to the state file and loads it at the next start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-state-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const stateFile = join(dir, 'nested', 'state.json');
    const first = await buildSandbox({ stateFile });
    await first.app.inject({
      method: 'POST',
      url: '/__sandbox/shopee/apps',
      payload: { partnerId: 777, partnerKey: 'persisted-key' },
    });
    await first.app.inject({ method: 'POST', url: '/__sandbox/shopee/shops', payload: { shopId: 888 } });
    await first.app.inject({ method: 'POST', url: '/__sandbox/clock', payload: { advanceMs: 86_400_000 } });
    await first.close();
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ version: 1 });

    const second = await sandbox({ stateFile });
    const state = await second.app.inject({ method: 'GET', url: '/__sandbox/shopee/shops/888/state' });
    expect(state.statusCode).toBe(200);
    const again = await second.app.inject({
      method: 'POST',
      url: '/__sandbox/shopee/apps',
      payload: { partnerId: 777 },
    });
    expect(again.statusCode).toBe(400);
    expect(second.ctx.clock.nowMs() - Date.now()).toBeGreaterThan(86_000_000);
  });

  it('a timeout fault holds the socket until the client gives up', async () => {
    const s = await sandbox();
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    await s.app.inject({
      method: 'PUT',
      url: '/__sandbox/faults',
      payload: [{ platform: 'shopee', timeoutRate: 1, timeoutHoldMs: 5_000 }],
    });
    const started = Date.now();
    const outcome = await fetch(`${s.ctx.baseUrl()}/shopee/api/v2/product/get_category`, {
      signal: AbortSignal.timeout(300),
    }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    expect(outcome).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const calls = s.ctx.callLog.list({ platform: 'shopee' });
    expect(calls.at(-1)).toMatchObject({ fault: 'timeout', errorCode: 'timeout' });
  });
});
