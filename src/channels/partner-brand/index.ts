/**
 * The partner-brand adapter. A partner's assortment is keyed by SKU, so one canonical product is one
 * item per variant; upserts by SKU are idempotent, which makes creation exactly-once by construction.
 */
import { z } from 'zod';
import type { CallGate } from '../shopee/client.js';
import {
  type ChannelAdapter,
  ChannelFailure,
  type ConnectionContext,
  type ListingProblem,
} from '../types.js';
import { PartnerBrandClient, type PartnerCredentials } from './client.js';

export const partnerBrandAdapterConfigSchema = z.strictObject({
  timeoutMs: z.number().int().min(100).default(10_000),
  /** The sandbox's default is 20 per second per key. */
  callsPerSecond: z.number().int().min(1).default(10),
});

function credentialsOf(ctx: ConnectionContext): PartnerCredentials {
  if (!ctx.apiKey || !ctx.apiSecret || !ctx.endpoint) {
    throw new ChannelFailure('reauth', 'no_api_key', {
      en: 'This partner programme has no API key; the council must enter one.',
      id: 'Program mitra ini belum punya kunci API; dewan harus memasukkannya.',
    });
  }
  return { apiKey: ctx.apiKey, apiSecret: ctx.apiSecret, endpoint: ctx.endpoint };
}

const itemPath = (sku: string) => `/v1/assortment/items/${encodeURIComponent(sku)}`;

export function createPartnerBrandAdapter(
  rawConfig: unknown,
  deps: { gate?: CallGate } = {},
): ChannelAdapter {
  const config = partnerBrandAdapterConfigSchema.parse(rawConfig);
  const client = new PartnerBrandClient(config.timeoutMs, undefined, deps.gate);

  const adapter: ChannelAdapter = {
    channel: 'partner_brand',
    limits: {
      titleMin: 1,
      titleMax: 200,
      imagesMin: 0,
      imagesMax: 1,
      optionDimensionsMax: 3,
      variantsMax: 100,
      priceMinIdr: 1,
      priceMaxIdr: 1_000_000_000,
      stockMax: 1_000_000,
    },
    rateLimit: { max: config.callsPerSecond, perMs: 1_000 },

    validate(listing) {
      const problems: ListingProblem[] = [];
      if (listing.variants.length === 0) {
        problems.push({
          field: 'variants',
          message: {
            en: 'A product needs at least one variant.',
            id: 'Produk memerlukan setidaknya satu varian.',
          },
        });
      }
      return problems;
    },

    async findCreated() {
      // Upserts by SKU cannot create duplicates: there is nothing to find.
      return null;
    },

    async create(ctx, listing) {
      return adapter.update(ctx, { remoteItemId: listing.productId, remoteVariantIds: {} }, listing);
    },

    async update(ctx, ref, listing) {
      const creds = credentialsOf(ctx);
      const ids: Record<string, string> = {};
      for (const v of listing.variants) {
        const title = Object.keys(v.options).length
          ? `${listing.title} (${Object.values(v.options).join(', ')})`
          : listing.title;
        // PUT /v1/assortment/items/{sku}: full replace; quantity is the new total.
        await client.request(creds, 'PUT', itemPath(v.sku), {
          title: title.slice(0, 200),
          price_idr: v.priceIdr,
          quantity: v.stock,
          image_url: listing.imageUrls[0] ?? null,
        });
        ids[v.variantId] = v.sku;
      }
      // Variants removed from the product leave the assortment.
      for (const [variantId, sku] of Object.entries(ref.remoteVariantIds)) {
        if (!(variantId in ids)) await removeItem(creds, sku);
      }
      return { remoteItemId: ref.remoteItemId, remoteVariantIds: ids };
    },

    async updatePriceAndStock(ctx, ref, listing) {
      await adapter.update(ctx, ref, listing);
    },

    async delist(ctx, ref) {
      const creds = credentialsOf(ctx);
      for (const sku of Object.values(ref.remoteVariantIds)) await removeItem(creds, sku);
    },

    async read(ctx, ref) {
      const creds = credentialsOf(ctx);
      const variants = [];
      for (const sku of Object.values(ref.remoteVariantIds)) {
        const found = await findItem(creds, sku);
        if (found)
          variants.push({ remoteVariantId: sku, sku, priceIdr: found.price_idr, stock: found.quantity });
      }
      return variants.length ? { ...ref, status: 'live' as const, variants } : null;
    },
  };

  async function removeItem(creds: PartnerCredentials, sku: string): Promise<void> {
    try {
      await client.request(creds, 'DELETE', itemPath(sku));
    } catch (err) {
      if (err instanceof ChannelFailure && err.platformCode === 'not_found') return;
      throw err;
    }
  }

  async function findItem(creds: PartnerCredentials, sku: string) {
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
      const page = await client.request<{
        items: Array<{ sku: string; price_idr: number; quantity: number }>;
        next_cursor: string | null;
      }>(creds, 'GET', `/v1/assortment/items?${query.toString()}`);
      const hit = page.data.items.find((i) => i.sku === sku);
      if (hit) return hit;
      cursor = page.data.next_cursor;
    } while (cursor);
    return null;
  }

  return adapter;
}
