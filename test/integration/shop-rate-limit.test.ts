import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ShopRateLimiter } from '../../src/queues/shop-rate-limit.js';

const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `t_ratelimit_${randomBytes(3).toString('hex')}`;
// Two connections stand for two worker processes.
const redisA = new Redis(url);
const redisB = new Redis(url);
afterAll(async () => {
  const keys = await redisA.keys(`${prefix}:*`);
  if (keys.length > 0) await redisA.del(...keys);
  redisA.disconnect();
  redisB.disconnect();
});

describe('per-shop rate limit across processes', () => {
  it('two limiters together never admit more than max calls in any interval', async () => {
    const limit = { max: 5, perMs: 200 };
    const admitted: number[] = [];
    // However late a timer fires here (a loaded test machine), each caller keeps its first slot.
    const a = new ShopRateLimiter(redisA, prefix, { lateToleranceMs: 60_000 });
    const b = new ShopRateLimiter(redisB, prefix, { lateToleranceMs: 60_000 });
    // Counted, not faked: the calls still reach the real Redis.
    const evals = [vi.spyOn(redisA, 'eval'), vi.spyOn(redisB, 'eval')];
    await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const result = await (i % 2 === 0 ? a : b).acquire('shopee:shop-1', limit, 10_000);
        expect(result.admitted).toBe(true);
        admitted.push(Date.now());
      }),
    );
    // Each caller asked Redis once and waited for its slot: no polling while the budget is spent.
    expect(evals.reduce((sum, spy) => sum + spy.mock.calls.length, 0)).toBe(24);
    for (const spy of evals) spy.mockRestore();
    admitted.sort((x, y) => x - y);
    expect(admitted).toHaveLength(24);
    for (let i = 0; i + limit.max < admitted.length; i++) {
      // The (i+max)-th admission is at least one interval after the i-th.
      expect((admitted[i + limit.max] as number) - (admitted[i] as number)).toBeGreaterThanOrEqual(
        limit.perMs,
      );
    }
  });

  it('a caller held up past its slot takes a new one instead of going late among later slots', async () => {
    const limit = { max: 2, perMs: 300 };
    const sends: Array<{ who: string; at: number }> = [];
    let heldUp = false;
    // Process A is held up 200 ms while it waits for its first slot (a pause, a busy event loop).
    const a = new ShopRateLimiter(redisA, `${prefix}_late`, {
      sleep: async (ms) => {
        await new Promise((resolve) => setTimeout(resolve, ms + (heldUp ? 0 : 200)));
        heldUp = true;
      },
    });
    const b = new ShopRateLimiter(redisB, `${prefix}_late`, { lateToleranceMs: 60_000 });
    const evalsOfA = vi.spyOn(redisA, 'eval');
    // B takes the budget now; A's slot is one interval later, with B's next; B's last two come one
    // interval after those, so A going 200 ms late would make three calls within one interval.
    await Promise.all(
      ['b', 'b', 'a', 'b', 'b', 'b'].map(async (who, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 5));
        const got = await (who === 'a' ? a : b).acquire('shopee:late', limit, 10_000);
        expect(got.admitted).toBe(true);
        sends.push({ who, at: Date.now() });
      }),
    );
    // As sent, never more than `max` calls in any interval.
    const at = sends.map((s) => s.at).sort((x, y) => x - y);
    for (let i = 0; i + limit.max < at.length; i++) {
      expect((at[i + limit.max] as number) - (at[i] as number)).toBeGreaterThanOrEqual(limit.perMs);
    }
    // A asked twice: its first slot had passed by the time it woke.
    expect(evalsOfA.mock.calls.length).toBe(2);
    evalsOfA.mockRestore();
  });

  it('shops do not share a budget, and a wait beyond the bound is handed back instead of taken', async () => {
    const limiter = new ShopRateLimiter(redisA, prefix);
    const limit = { max: 1, perMs: 60_000 };
    expect((await limiter.acquire('tiktok:shop-a', limit, 0)).admitted).toBe(true);
    expect((await limiter.acquire('tiktok:shop-b', limit, 0)).admitted).toBe(true);
    const refused = await limiter.acquire('tiktok:shop-a', limit, 1_000);
    expect(refused.admitted).toBe(false);
    expect(refused.admitted === false && refused.waitMs).toBeGreaterThan(1_000);
  });
});
