import { z } from 'zod';

/** TikTok Shop adapter settings (Tokopedia shops run on the TikTok Shop API). */
export const tiktokShopAdapterConfigSchema = z.strictObject({
  /** Production: TikTok Shop's open API host; demo and test: the sandbox's TikTok Shop base URL. */
  baseUrl: z.url(),
  appKey: z.string().min(1),
  appSecret: z.string().min(1),
  timeoutMs: z.number().int().min(100).default(10_000),
  /**
   * Where products appear. The API's default is TIKTOK_SHOP only; a Tokopedia shop's products must
   * name TOKOPEDIA explicitly or they never show on Tokopedia.
   */
  listingPlatforms: z
    .array(z.enum(['TOKOPEDIA', 'TIKTOK_SHOP']))
    .min(1)
    .default(['TOKOPEDIA']),
  /** Calls per second per shop. TikTok documents 50 per API per shop; we hold one budget for all APIs. */
  callsPerSecond: z.number().int().min(1).default(20),
});
export type TiktokShopAdapterConfig = z.infer<typeof tiktokShopAdapterConfigSchema>;
