import { createCallLog } from './call-log.js';
import { createClock, type OffsetClock } from './clock.js';
import type { SandboxContext } from './contract.js';
import { createFaultInjector } from './faults.js';
import { createRandom, seedFrom } from './random.js';
import { createRateLimiter } from './rate-limiter.js';
import { createWebhookSender, type ManagedWebhookSender } from './webhooks.js';

export interface CoreContext extends SandboxContext {
  clock: OffsetClock;
  webhooks: ManagedWebhookSender;
}

export interface CoreContextOptions {
  seed?: number | string;
  baseUrl: () => string;
  webhookTimeoutMs?: number;
  callLogCapacity?: number;
}

/** Everything platforms share: one clock, one seeded PRNG, one fault table, one limiter, one log, one sender. */
export function createCoreContext(options: CoreContextOptions): CoreContext {
  const clock = createClock();
  const random = createRandom(seedFrom(options.seed ?? 1));
  return {
    clock,
    random,
    faults: createFaultInjector(random),
    rateLimiter: createRateLimiter(),
    callLog: createCallLog(options.callLogCapacity),
    webhooks: createWebhookSender(
      clock,
      options.webhookTimeoutMs === undefined ? {} : { timeoutMs: options.webhookTimeoutMs },
    ),
    baseUrl: options.baseUrl,
  };
}
