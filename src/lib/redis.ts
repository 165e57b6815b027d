import { Redis } from 'ioredis';

/**
 * Redis for the API (rate limits, readiness): fail fast instead of queueing commands while Redis is
 * down, so readiness answers 503 quickly and requests never hang.
 */
export function createApiRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    lazyConnect: false,
  });
}

/** Redis for BullMQ queues and workers: blocking commands need `maxRetriesPerRequest: null`. */
export function createQueueRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}
