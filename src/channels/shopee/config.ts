import { z } from 'zod';

/** Shopee adapter settings; parsed once by the registry from the service configuration. */
export const shopeeAdapterConfigSchema = z.strictObject({
  /** Production: Shopee's partner host; demo and test: the sandbox's Shopee base URL. */
  baseUrl: z.url(),
  partnerId: z.number().int().positive(),
  partnerKey: z.string().min(1),
  timeoutMs: z.number().int().min(100).default(10_000),
  /**
   * Wait between `add_item` and `init_tier_variation`. Shopee documents "at least 5 seconds";
   * an earlier call is refused, so this is a floor, not a tuning knob.
   */
  tierWaitMs: z.number().int().min(0).default(5_000),
  /** Calls per second per shop. Shopee publishes no number; this is the conservative default. */
  callsPerSecond: z.number().int().min(1).default(10),
});
export type ShopeeAdapterConfig = z.infer<typeof shopeeAdapterConfigSchema>;
