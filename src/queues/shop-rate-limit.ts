/**
 * Per-shop call budgets held in Redis, so every worker process together stays inside a
 * platform's limit for one shop. A sliding log (a sorted set of call times, on Redis's own clock)
 * admits at most `max` calls in any `perMs` interval: unlike fixed windows or token buckets, it
 * never lets a burst straddle the platform's own window boundary. A safety margin widens the
 * interval so that network jitter between our send and the platform's count cannot tip a window.
 *
 * Written here rather than taken from a library because the common Redis limiters use fixed
 * windows (rate-limiter-flexible) or per-queue limits (BullMQ's per-group limits are Pro only).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChannelRateLimit } from '../channels/types.js';

// KEYS[1] = the shop's log; ARGV = interval ms, max calls, member. Returns 0 (admitted) or ms to wait.
const SLIDING_LOG = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - interval)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], interval)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + interval - now + 1)
`;

/**
 * Extra interval, as a fraction, so jitter between our send and the platform's count cannot tip a
 * window. Measured on a loaded 2-core host (bench/outward): a 50 ms margin at 1 s windows let the
 * sandbox count 429s, and each refused create then cost a lookup by SKU; 10 % drew none.
 */
const SAFETY_MARGIN = 0.1;

export class ShopRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /**
   * Waits until one call to this shop is allowed. Returns the ms waited. If the wait would exceed
   * `maxWaitMs` it takes nothing and returns `{ waitMs }` so the caller can delay its job instead of
   * holding a worker slot.
   */
  async acquire(
    shopKey: string,
    limit: ChannelRateLimit,
    maxWaitMs: number,
  ): Promise<{ admitted: true; waitedMs: number } | { admitted: false; waitMs: number }> {
    const interval = Math.ceil(limit.perMs * (1 + SAFETY_MARGIN));
    const key = `${this.prefix}:ratelimit:${shopKey}`;
    let waited = 0;
    for (;;) {
      const wait = Number(await this.redis.eval(SLIDING_LOG, 1, key, interval, limit.max, randomUUID()));
      if (wait === 0) return { admitted: true, waitedMs: waited };
      if (waited + wait > maxWaitMs) return { admitted: false, waitMs: wait };
      await new Promise((resolve) => setTimeout(resolve, wait));
      waited += wait;
    }
  }
}
