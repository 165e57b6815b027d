import { z } from 'zod';
import type { MappingRow } from '../../../services/category-mappings.js';
import type { ListingDetailView, ListingView } from '../../../services/listings.js';

const timestamp = z.string().meta({ format: 'date-time' });
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const listingStateSchema = z.enum([
  'pending',
  'syncing',
  'live',
  'needs_attention',
  'failed',
  'reauth_required',
  'delisted',
]);

const markupKind = z.enum(['none', 'percent', 'fixed']);

export const listingSchema = z
  .object({
    id: z.uuid(),
    productId: z.uuid(),
    connectionId: z.uuid(),
    crafterId: z.uuid(),
    channel: z.enum(['shopee', 'tiktok_shop', 'partner_brand']),
    shopName: z.string().nullable(),
    state: listingStateSchema,
    remoteItemId: z.string().nullable().meta({ description: 'Shopee item_id / TikTok Shop product_id' }),
    remoteStatus: z.enum(['live', 'in_review', 'inactive', 'deleted', 'refused']).nullable().meta({
      description:
        'What the platform says of the item, apart from `state`: `in_review` while Shopee reviews a new item or TikTok Shop audits a new product (buyers do not see it yet; read again every minute until it ends), `live` once on sale, `inactive` when taken down. Null until a platform answer tells it.',
    }),
    remoteStatusCheckedAt: timestamp.nullable(),
    variants: z.array(
      z.object({
        variantId: z.uuid(),
        sku: z.string(),
        remoteModelId: z.string().nullable().meta({ description: 'Shopee model_id / TikTok Shop sku_id' }),
        remoteSku: z.string().nullable(),
        pushedPriceIdr: z.number().int().nullable(),
        pushedStock: z.number().int().nullable(),
      }),
    ),
    pushedVersion: z.number().int().nullable().meta({ description: 'Product version last pushed' }),
    productVersion: z.number().int().meta({ description: 'The product’s current version' }),
    pushedStockRevision: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The product’s stock revision whose stock was last pushed' }),
    productStockRevision: z.number().int().meta({
      description: 'The product’s current stock revision (every sale, count or adjustment bumps it)',
    }),
    inSync: z.boolean().meta({
      description: 'pushedVersion equals productVersion and pushedStockRevision equals productStockRevision',
    }),
    lastError: z
      .object({
        code: z.string().nullable(),
        en: z.string(),
        id: z.string().nullable(),
        at: timestamp.nullable(),
      })
      .nullable()
      .meta({ description: 'The last error in plain words, English (en) and Bahasa Indonesia (id)' }),
    attempts: z.number().int().meta({ description: 'Attempts since the last success' }),
    lastAttemptAt: timestamp.nullable(),
    lastSuccessAt: timestamp.nullable(),
    nextAttemptAt: timestamp.nullable(),
    overrides: z.object({
      priceRule: z.object({ kind: markupKind, value: z.number().int() }).nullable(),
      roundingStepIdr: z.number().int().nullable(),
      stockBufferPercent: z.number().int().nullable(),
      stockBufferMaxUnits: z.number().int().nullable(),
    }),
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
    delistedAt: timestamp.nullable(),
  })
  .meta({ id: 'Listing', description: 'A product published to one connection (shop).' });

export const pushAttemptSchema = z.object({
  id: z.number().int(),
  kind: z.enum(['create', 'update', 'price_stock', 'delist', 'lookup']),
  productVersion: z.number().int(),
  outcome: z.enum(['success', 'retryable', 'throttled', 'permanent', 'reauth_required', 'needs_attention']),
  errorCode: z.string().nullable(),
  error: z.string().nullable(),
  errorId: z.string().nullable(),
  remoteCalls: z.number().int(),
  startedAt: timestamp,
  finishedAt: timestamp,
});

export const listingDetailSchema = listingSchema
  .extend({
    pushHistory: z
      .array(pushAttemptSchema)
      .meta({ description: 'The newest push attempts first (at most 20)' }),
  })
  .meta({ id: 'ListingDetail' });

export function toListingResponse(v: ListingView): z.infer<typeof listingSchema> {
  const { lastError, ...rest } = v;
  return {
    ...rest,
    inSync: v.pushedVersion === v.productVersion && v.pushedStockRevision === v.productStockRevision,
    lastError: lastError ? { ...lastError, at: iso(lastError.at) } : null,
    lastAttemptAt: iso(v.lastAttemptAt),
    lastSuccessAt: iso(v.lastSuccessAt),
    nextAttemptAt: iso(v.nextAttemptAt),
    remoteStatusCheckedAt: iso(v.remoteStatusCheckedAt),
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
    delistedAt: iso(v.delistedAt),
  };
}

export function toListingDetailResponse(v: ListingDetailView): z.infer<typeof listingDetailSchema> {
  const { pushHistory, ...rest } = v;
  return {
    ...toListingResponse(rest),
    pushHistory: pushHistory.map((h) => ({
      ...h,
      startedAt: h.startedAt.toISOString(),
      finishedAt: h.finishedAt.toISOString(),
    })),
  };
}

const remoteId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (1-64)');

export const mappingInputSchema = z.strictObject({
  channelCategoryId: remoteId.meta({ description: 'The channel’s leaf category id' }),
  requiredAttributes: z
    .array(
      z.strictObject({
        id: remoteId,
        name: z.string().trim().min(1).max(120),
        valueId: remoteId.optional().meta({ description: 'For attributes with a fixed list of values' }),
        value: z.string().trim().min(1).max(300),
      }),
    )
    .max(50)
    .refine((a) => new Set(a.map((x) => x.id)).size === a.length, 'attribute ids must be unique')
    .default([]),
  brandId: remoteId.nullable().default(null),
  brandName: z.string().trim().min(1).max(120).nullable().default(null),
  logisticsChannelId: remoteId
    .nullable()
    .default(null)
    .meta({ description: 'Shopee logistic_id (required on Shopee)' }),
  logisticsSizeId: remoteId
    .nullable()
    .default(null)
    .meta({ description: 'Shopee size_id, for SIZE_SELECTION logistics channels' }),
  packageCm: z
    .strictObject({
      length: z.number().int().min(1).max(300),
      width: z.number().int().min(1).max(300),
      height: z.number().int().min(1).max(300),
    })
    .nullable()
    .default(null),
});

export const mappingSchema = z
  .object({
    id: z.uuid(),
    channel: z.enum(['shopee', 'tiktok_shop', 'partner_brand']),
    canonicalCategory: z.string(),
    channelCategoryId: z.string(),
    requiredAttributes: z.array(
      z.object({ id: z.string(), name: z.string(), valueId: z.string().optional(), value: z.string() }),
    ),
    brandId: z.string().nullable(),
    brandName: z.string().nullable(),
    logisticsChannelId: z.string().nullable(),
    logisticsSizeId: z.string().nullable(),
    packageCm: z.object({ length: z.number(), width: z.number(), height: z.number() }).nullable(),
    version: z.number().int(),
    updatedAt: timestamp,
  })
  .meta({ id: 'CategoryMapping', description: 'A canonical category placed on one channel' });

export function toMappingResponse(m: MappingRow): z.infer<typeof mappingSchema> {
  return {
    id: m.id,
    channel: m.channel,
    canonicalCategory: m.canonicalCategory,
    channelCategoryId: m.channelCategoryId,
    requiredAttributes: m.requiredAttributes,
    brandId: m.brandId,
    brandName: m.brandName,
    logisticsChannelId: m.logisticsChannelId,
    logisticsSizeId: m.logisticsSizeId,
    packageCm: m.packageCm,
    version: m.version,
    updatedAt: m.updatedAt.toISOString(),
  };
}
