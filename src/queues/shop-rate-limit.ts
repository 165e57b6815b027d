/**
 * Per-shop call budgets held in Redis, so every worker process together stays inside a
 * platform's limit for one shop. A sliding log (a sorted set of call times, on Redis's own clock)
 * admits at most `max` calls in any `perMs` interval: unlike fixed windows or token buckets, it
 * never lets a burst straddle the platform's own window boundary. A safety margin widens the
 * interval so that network jitter between our send and the platform's count cannot tip a window.
 *
 * A caller reserves the earliest slot the log allows, in one atomic step, and waits for it: waiting
 * callers do not poll the log (a herd of workers waking together would cost a Redis call each per
 * slot handed out), and they go in the order they asked. A slot further away than the caller will
 * wait is not taken.
 *
 * Written here rather than taken from a library because the common Redis limiters use fixed
 * windows (rate-limiter-flexible) or per-queue limits (BullMQ's per-group limits are Pro only).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChannelRateLimit } from '../channels/types.js';

// KEYS[1] = the shop's log; ARGV = interval ms, max calls, member, most ms the caller will wait.
// The log holds reserved slots (some in the future), in the order they were handed out. The next
// slot is the later of now, the last slot, and one interval after the max-th most recent slot.
// Returns {1, ms until the slot} (reserved) or {0, ms until the slot} (too far away: not taken).
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - interval)
local n = redis.call('ZCARD', KEYS[1])
local at = now
if n > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  at = math.max(at, tonumber(last[2]))
end
if n >= max then
  local bound = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
  at = math.max(at, tonumber(bound[2]) + interval)
end
local wait = at - now
if wait > tonumber(ARGV[4]) then return {0, wait} end
redis.call('ZADD', KEYS[1], at, ARGV[3])
redis.call('PEXPIRE', KEYS[1], wait + interval)
return {1, wait}
`;

/**
 * Extra interval, as a fraction, so jitter between our send and the platform's count cannot tip a
 * window. 5 %: 50 ms at 1 s windows. On a loaded 2-core host (test/e2e/outward-rate.test.ts, load
 * average 4–8) one worker process fell 160 ms behind its slot now and then and the sandbox counted a
 * 429; a call more than half the margin late now takes a new slot instead (four runs drew none; the
 * 10,000-SKU publish at load 2.7 still drew 4 in 20,000 calls).
 * The margin is the floor of the publish's wall ÷ rate-limit bound (bench/outward), so it is kept small.
 */
const SAFETY_MARGIN = 0.05;

/** Slots taken at most for one call; the last is used however late (the margin still covers most). */
const MAX_ROUNDS = 5;

export interface ShopRateLimiterOptions {
  /**
   * How late after its slot a call may still go, in ms; default half the margin (25 ms at 1 s
   * windows), so a late call stays inside the margin.
   */
  lateToleranceMs?: number;
  /** Waits `ms` (test seam: a process held up while it waits). */
  sleep?: (ms: number) => Promise<void>;
}

export class ShopRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly options: ShopRateLimiterOptions = {},
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
    const tolerance = this.options.lateToleranceMs ?? (interval - limit.perMs) / 2;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    let waited = 0;
    for (let round = 1; ; round += 1) {
      const asked = Date.now();
      const [reserved, wait] = (await this.redis.eval(
        RESERVE,
        1,
        key,
        interval,
        limit.max,
        randomUUID(),
        Math.max(0, maxWaitMs - waited),
      )) as [number, number];
      if (reserved !== 1) return { admitted: false, waitMs: Math.max(1, wait) };
      // Lateness counts from the answer: the round trip before it is not the timer's, and asking
      // again would not make it shorter.
      const answered = Date.now();
      // One ms more: our timer must not fire before the slot on Redis's clock.
      if (wait > 0) await sleep(wait + 1);
      const late = Date.now() - (answered + wait + 1);
      waited += Date.now() - asked;
      // Sent now, a call this late (this process was held up: a busy event loop, a pause) could land
      // in the platform's count next to calls of later slots: the slot is left unused (it only makes
      // the log stricter) and a new one is taken.
      if (late <= tolerance || round === MAX_ROUNDS) return { admitted: true, waitedMs: waited };
    }
  }
}
