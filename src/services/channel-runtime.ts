/**
 * What a worker needs to call channels: one adapter per configured channel, each request gated by
 * the shop's budget in Redis (shared by every worker process), an image upload cache in Postgres,
 * and a circuit breaker per channel so a dead platform fails fast instead of holding workers.
 */
import { createHash } from 'node:crypto';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { and, eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { classifyChannelFailure } from '../channels/failure.js';
import type { ImageFetchPolicy } from '../channels/images.js';
import { createChannelAdapter } from '../channels/registry.js';
import {
  type Channel,
  type ChannelAdapter,
  ChannelFailure,
  type ChannelRateLimit,
  type ImageUploadCache,
} from '../channels/types.js';
import type { ChannelsConfig } from '../config/env.js';
import type { Database } from '../db/client.js';
import { channelImageUploads } from '../db/schema/index.js';
import { ShopRateLimiter } from '../queues/shop-rate-limit.js';
import { noteCallSent } from './sent-calls.js';

/**
 * Remote image ids by content hash per shop, in Postgres (survives Redis loss and restarts), with the
 * ids this process has seen kept in memory: a shop's photo is usually shared by many listings, and
 * an id once known never stops being valid for its shop, so a hit costs no round trip.
 */
export function postgresImageCache(db: Database): ImageUploadCache {
  const known = new LRUCache<string, string>({ max: 10_000, ttl: 10 * 60_000 });
  return {
    async get(connectionId, sha256) {
      const key = `${connectionId}:${sha256}`;
      const hit = known.get(key);
      if (hit !== undefined) return hit;
      const [row] = await db
        .select({ id: channelImageUploads.remoteImageId })
        .from(channelImageUploads)
        .where(
          and(eq(channelImageUploads.connectionId, connectionId), eq(channelImageUploads.sha256, sha256)),
        );
      if (row) known.set(key, row.id);
      return row?.id;
    },
    async put(connectionId, sha256, remoteImageId) {
      await db
        .insert(channelImageUploads)
        .values({ connectionId, sha256, remoteImageId })
        .onConflictDoUpdate({
          target: [channelImageUploads.connectionId, channelImageUploads.sha256],
          set: { remoteImageId },
        });
      known.set(`${connectionId}:${sha256}`, remoteImageId);
    },
  };
}

export interface ChannelRuntimeOptions {
  db: Database;
  redis: Redis;
  /** Queue prefix; the rate-limit keys live under it. */
  prefix: string;
  channels: ChannelsConfig;
  imagePolicy: ImageFetchPolicy;
  /** Longest a request waits for its shop's budget in the worker; longer waits delay the job instead. */
  maxGateWaitMs?: number;
  /** Consecutive retryable failures that open a channel's circuit, and how long it stays open. */
  breakerFailures?: number;
  breakerOpenMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Called when the gate turns a request away because the shop's budget is spent for a long while. */
  onGateThrottle?: (channel: Channel) => void;
  /** Called when a channel's circuit opens (`true`) or closes again (`false`). */
  onCircuit?: (channel: Channel, open: boolean) => void;
}

export interface ChannelRuntime {
  adapters: Partial<Record<Channel, ChannelAdapter>>;
  /** Runs a remote call through the channel's circuit breaker. */
  guard<T>(channel: Channel, call: () => Promise<T>): Promise<T>;
  /** How long an open circuit keeps a channel's jobs waiting. */
  breakerOpenMs: number;
  /** Channels whose circuit is open now (metrics). */
  openCircuits(): Channel[];
}

/** Rate-limit keys carry no credential (the partner key names its budget): they are hashed. */
export function budgetKey(channel: Channel, key: string): string {
  return `${channel}:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

export function createChannelRuntime(options: ChannelRuntimeOptions): ChannelRuntime {
  const limiter = new ShopRateLimiter(options.redis, options.prefix);
  const maxGateWaitMs = options.maxGateWaitMs ?? 2_000;
  const breakerOpenMs = options.breakerOpenMs ?? 10_000;
  const imageCache = postgresImageCache(options.db);
  const timeoutMs = options.channels.httpTimeoutMs;
  const settings: Partial<Record<Channel, unknown>> = {};
  const { shopee, tiktokShop, partnerBrand } = options.channels;
  if (shopee) {
    settings.shopee = {
      baseUrl: shopee.baseUrl,
      partnerId: shopee.partnerId,
      partnerKey: shopee.partnerKey,
      timeoutMs,
      ...(shopee.callsPerSecond === undefined ? {} : { callsPerSecond: shopee.callsPerSecond }),
    };
  }
  if (tiktokShop) {
    settings.tiktok_shop = {
      baseUrl: tiktokShop.apiBaseUrl,
      appKey: tiktokShop.appKey,
      appSecret: tiktokShop.appSecret,
      timeoutMs,
      ...(tiktokShop.callsPerSecond === undefined ? {} : { callsPerSecond: tiktokShop.callsPerSecond }),
    };
  }
  if (partnerBrand) settings.partner_brand = { timeoutMs };

  const adapters: Partial<Record<Channel, ChannelAdapter>> = {};
  const breakers: Partial<Record<Channel, CircuitBreakerPolicy>> = {};
  for (const channel of Object.keys(settings) as Channel[]) {
    let limit: ChannelRateLimit = { max: 1, perMs: 1_000 };
    const gate = async (key: string): Promise<void> => {
      const got = await limiter.acquire(budgetKey(channel, key), limit, maxGateWaitMs);
      if (got.admitted) noteCallSent();
      if (!got.admitted) {
        options.onGateThrottle?.(channel);
        throw new ChannelFailure(
          'throttled',
          'shop_budget',
          {
            en: "The shop's call budget is spent for now; the change will go out shortly.",
            id: 'Jatah panggilan toko sedang habis; perubahan akan segera dikirim.',
          },
          { waitMs: got.waitMs },
        );
      }
    };
    const adapter = createChannelAdapter(channel, settings[channel], {
      imageCache,
      imagePolicy: options.imagePolicy,
      gate,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    limit = adapter.rateLimit;
    adapters[channel] = adapter;
    // Only failures that say the platform is unwell open the circuit; refusals of content do not.
    const breaker = circuitBreaker(
      handleWhen((err) => classifyChannelFailure(err).kind === 'retryable'),
      {
        halfOpenAfter: breakerOpenMs,
        breaker: new ConsecutiveBreaker(options.breakerFailures ?? 5),
      },
    );
    breaker.onBreak(() => options.onCircuit?.(channel, true));
    breaker.onReset(() => options.onCircuit?.(channel, false));
    breakers[channel] = breaker;
  }
  return {
    adapters,
    breakerOpenMs,
    guard(channel, call) {
      const breaker = breakers[channel];
      return breaker ? breaker.execute(call) : call();
    },
    openCircuits() {
      return (Object.keys(breakers) as Channel[]).filter((c) => breakers[c]?.state === CircuitState.Open);
    },
  };
}

export function isOpenCircuit(err: unknown): boolean {
  return err instanceof BrokenCircuitError;
}
