import { z } from 'zod';

/**
 * Shopee behaviour the sandbox cannot confirm from the documentation is configuration (reference §5):
 * HTTP statuses of errors, numeric rate limits, future-timestamp handling, listing limits for ID,
 * review delay, push retry schedule. Defaults follow the documented-looking choice.
 */
export const shopeeConfigSchema = z
  .object({
    /** Requests older than this are `error_param` "Timestamp is expired" (documented: 5 minutes). */
    timestampWindowSeconds: z.number().int().min(1),
    /** Requests further in the future than this are `error_param` "Invalid timestamp" (undocumented). */
    futureTimestampToleranceSeconds: z.number().int().min(0),
    authCodeTtlSeconds: z.number().int().min(1),
    accessTokenTtlSeconds: z.number().int().min(1),
    refreshTokenTtlSeconds: z.number().int().min(1),
    /** Per-shop (shop APIs) or per-partner (public APIs) requests per second; 0 disables. Unpublished. */
    rateLimitPerSecond: z.number().int().min(0),
    throttleHttpStatus: z.number().int().min(200).max(599),
    /** Calls per partner per day (reset 00:00 UTC+8) answered with `error_limit` beyond; 0 disables. */
    dailyCallQuota: z.number().int().min(0),
    /** HTTP status per error code; `*` is the fallback for codes not listed. Undocumented by Shopee. */
    errorHttpStatus: z.record(z.string(), z.number().int().min(200).max(599)),
    /** Sandbox-clock delay before a new item leaves REVIEWING for NORMAL; 0 = NORMAL immediately. */
    reviewDelayMs: z.number().int().min(0),
    /** Documented wait between add_item and init_tier_variation (sandbox clock); earlier = error_system_busy. */
    variationDelayMs: z.number().int().min(0),
    /** Delays (sandbox clock) between push attempts after a failed one; the push is dropped after the last. */
    pushRetryDelaysMs: z.array(z.number().int().min(0)).max(20),
    /** `shop/auth_partner` approves at once (true) or waits for the control API (false). */
    autoApproveAuthorization: z.boolean(),
    orderListMaxWindowSeconds: z.number().int().min(1),
    /** Earliest lost pushes are kept this long (documented: 3 days). */
    lostPushRetentionSeconds: z.number().int().min(1),
    itemLimit: z
      .object({
        priceMin: z.number().min(0),
        priceMax: z.number().min(0),
        stockMax: z.number().int().min(0),
        itemNameMin: z.number().int().min(0),
        itemNameMax: z.number().int().min(1),
        descriptionMin: z.number().int().min(0),
        descriptionMax: z.number().int().min(1),
        imageMin: z.number().int().min(0),
        imageMax: z.number().int().min(1),
        tierNameMax: z.number().int().min(1),
        tierOptionMax: z.number().int().min(1),
        itemCountMax: z.number().int().min(1),
        modelSkuMax: z.number().int().min(1),
      })
      .strict(),
  })
  .strict();

export type ShopeeConfig = z.infer<typeof shopeeConfigSchema>;

export function defaultShopeeConfig(): ShopeeConfig {
  return {
    timestampWindowSeconds: 300,
    futureTimestampToleranceSeconds: 300,
    authCodeTtlSeconds: 600,
    accessTokenTtlSeconds: 4 * 3600,
    refreshTokenTtlSeconds: 30 * 86_400,
    rateLimitPerSecond: 100,
    throttleHttpStatus: 429,
    dailyCallQuota: 1_000_000,
    errorHttpStatus: {
      error_param: 400,
      error_sign: 403,
      error_auth: 403,
      invalid_acceess_token: 403,
      invalid_code: 400,
      error_limit: 429,
      error_not_found: 404,
      error_server: 500,
      '*': 400,
    },
    // Shopee publishes no review time; ten minutes makes call-order bugs visible without stalling demos.
    reviewDelayMs: 10 * 60_000,
    variationDelayMs: 5_000,
    pushRetryDelaysMs: [60_000, 10 * 60_000, 60 * 60_000],
    autoApproveAuthorization: true,
    orderListMaxWindowSeconds: 15 * 86_400,
    lostPushRetentionSeconds: 3 * 86_400,
    itemLimit: {
      priceMin: 100,
      priceMax: 150_000_000,
      stockMax: 999_999,
      itemNameMin: 5,
      itemNameMax: 255,
      descriptionMin: 20,
      descriptionMax: 3000,
      imageMin: 1,
      imageMax: 9,
      tierNameMax: 14,
      tierOptionMax: 20,
      itemCountMax: 1000,
      modelSkuMax: 100,
    },
  };
}

/** Partial update accepted by the control API (`itemLimit` and `errorHttpStatus` merge key by key). */
export const shopeeConfigPatchSchema = shopeeConfigSchema
  .extend({ itemLimit: shopeeConfigSchema.shape.itemLimit.partial() })
  .partial();

export function applyConfigPatch(
  current: ShopeeConfig,
  patch: z.infer<typeof shopeeConfigPatchSchema>,
): ShopeeConfig {
  const next: ShopeeConfig = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (key === 'itemLimit')
      next.itemLimit = { ...current.itemLimit, ...(value as Partial<ShopeeConfig['itemLimit']>) };
    else if (key === 'errorHttpStatus')
      next.errorHttpStatus = { ...current.errorHttpStatus, ...(value as Record<string, number>) };
    else Object.assign(next, { [key]: value });
  }
  return next;
}
