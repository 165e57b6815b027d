/**
 * One adapter per channel. The factory table is typed over every channel, so adding a channel
 * without its adapter is a compile error.
 */
import type { ImageFetchPolicy } from './images.js';
import { createPartnerBrandAdapter } from './partner-brand/index.js';
import type { CallGate } from './shopee/client.js';
import { createShopeeAdapter } from './shopee/index.js';
import { createTiktokShopAdapter } from './tiktok-shop/index.js';
import type { Channel, ChannelAdapter, ImageUploadCache } from './types.js';

export interface ChannelSettings {
  shopee: unknown;
  tiktok_shop: unknown;
  partner_brand: unknown;
}

export interface ChannelDeps {
  imageCache: ImageUploadCache;
  imagePolicy: ImageFetchPolicy;
  /** Waits for a shop's call budget before each request; see src/queues/shop-rate-limit.ts. */
  gate?: CallGate;
  /** Platform-mandated waits (Shopee's 5 s before tiers); tests move the sandbox clock instead. */
  sleep?: (ms: number) => Promise<void>;
  /** The clock requests are signed with (tests: the sandbox's). */
  now?: () => Date;
}

const factories: { [C in Channel]: (settings: unknown, deps: ChannelDeps) => ChannelAdapter } = {
  shopee: (settings, deps) => createShopeeAdapter(settings, deps),
  tiktok_shop: (settings, deps) => createTiktokShopAdapter(settings, deps),
  partner_brand: (settings, deps) =>
    createPartnerBrandAdapter(settings, deps.gate ? { gate: deps.gate } : {}),
};

export type ChannelRegistry = { readonly [C in Channel]: ChannelAdapter };

/** Builds one channel's adapter (a worker builds only the channels this server is configured for). */
export function createChannelAdapter(channel: Channel, settings: unknown, deps: ChannelDeps): ChannelAdapter {
  return factories[channel](settings, deps);
}

/** Builds every adapter from its own settings; each factory validates its settings itself. */
export function createChannelRegistry(settings: ChannelSettings, deps: ChannelDeps): ChannelRegistry {
  return {
    shopee: factories.shopee(settings.shopee, deps),
    tiktok_shop: factories.tiktok_shop(settings.tiktok_shop, deps),
    partner_brand: factories.partner_brand(settings.partner_brand, deps),
  };
}
