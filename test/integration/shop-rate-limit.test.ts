import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
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
    const a = new ShopRateLimiter(redisA, prefix);
    const b = new ShopRateLimiter(redisB, prefix);
    await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const result = await (i % 2 === 0 ? a : b).acquire('shopee:shop-1', limit, 10_000);
        expect(result.admitted).toBe(true);
        admitted.push(Date.now());
      }),
    );
    admitted.sort((x, y) => x - y);
    expect(admitted).toHaveLength(24);
    for (let i = 0; i + limit.max < admitted.length; i++) {
      // The (i+max)-th admission is at least one interval after the i-th.
      expect((admitted[i + limit.max] as number) - (admitted[i] as number)).toBeGreaterThanOrEqual(
        limit.perMs,
      );
    }
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
