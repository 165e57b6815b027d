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
import { type PartnerSalesLine, partnerLineOrder } from './sales.js';

export {
  PARTNER_SALES_CSV_COLUMNS,
  type PartnerCsvError,
  type PartnerCsvResult,
  parsePartnerSalesCsv,
} from './sales.js';

/** docs/partner-brand-api.yaml `/v1/sales-reports`: a period is at most 31 days; a page at most 1000 lines. */
const REPORT_PERIOD_MS = 31 * 86_400_000;
const REPORT_PAGE = 1000;

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

interface PartnerItem {
  sku: string;
  price_idr: number;
  quantity: number;
  created_at: string;
}

/** docs/partner-brand-api.yaml, parameter `Sku`. */
const PARTNER_SKU = /^[A-Za-z0-9._-]{1,64}$/;

const itemPath = (sku: string) => `/v1/assortment/items/${encodeURIComponent(sku)}`;

export function createPartnerBrandAdapter(
  rawConfig: unknown,
  deps: { gate?: CallGate; now?: () => Date } = {},
): ChannelAdapter {
  const config = partnerBrandAdapterConfigSchema.parse(rawConfig);
  const client = new PartnerBrandClient(config.timeoutMs, deps.now, deps.gate);

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
      const L = adapter.limits;
      const problems: ListingProblem[] = [];
      const problem = (field: string, en: string, id: string) =>
        problems.push({ field, message: { en, id } });
      const title = listing.title.trim();
      // docs/partner-brand-api.yaml AssortmentItemInput: title 1–200, price_idr 0–1,000,000,000,
      // quantity 0–1,000,000; path parameter Sku: ^[A-Za-z0-9._-]{1,64}$.
      if (title.length < L.titleMin || title.length > L.titleMax) {
        problem(
          'title',
          `The partner needs a title of ${L.titleMin}–${L.titleMax} characters (this one has ${title.length}).`,
          `Mitra memerlukan judul ${L.titleMin}–${L.titleMax} karakter (judul ini ${title.length} karakter).`,
        );
      }
      if (listing.variants.length === 0 || listing.variants.length > L.variantsMax) {
        problem(
          'variants',
          `The partner takes 1–${L.variantsMax} variants per product (this one has ${listing.variants.length}).`,
          `Mitra menerima 1–${L.variantsMax} varian per produk (produk ini punya ${listing.variants.length}).`,
        );
      }
      for (const v of listing.variants) {
        if (!PARTNER_SKU.test(v.sku)) {
          problem(
            `variants.${v.sku}.sku`,
            `The partner needs SKUs of 1–64 letters, digits, dots, dashes or underscores ("${v.sku}").`,
            `Mitra memerlukan SKU 1–64 huruf, angka, titik, tanda hubung atau garis bawah ("${v.sku}").`,
          );
        }
        if (v.priceIdr < L.priceMinIdr || v.priceIdr > L.priceMaxIdr) {
          problem(
            `variants.${v.sku}.priceIdr`,
            `The partner takes prices from Rp${L.priceMinIdr.toLocaleString('id-ID')} to Rp${L.priceMaxIdr.toLocaleString('id-ID')} (variant ${v.sku}: Rp${v.priceIdr.toLocaleString('id-ID')}).`,
            `Mitra menerima harga Rp${L.priceMinIdr.toLocaleString('id-ID')} sampai Rp${L.priceMaxIdr.toLocaleString('id-ID')} (varian ${v.sku}: Rp${v.priceIdr.toLocaleString('id-ID')}).`,
          );
        }
        if (v.stock > L.stockMax) {
          problem(
            `variants.${v.sku}.stock`,
            `The partner takes at most ${L.stockMax.toLocaleString('id-ID')} units per SKU (variant ${v.sku}: ${v.stock}).`,
            `Mitra menerima paling banyak ${L.stockMax.toLocaleString('id-ID')} unit per SKU (varian ${v.sku}: ${v.stock}).`,
          );
        }
      }
      return problems;
    },

    async findCreated(ctx, sku, since) {
      // Upserts by SKU never duplicate an item, but the pipeline still asks whether its create went
      // through: an item created since the intent (less a minute of clock skew) is the one it made;
      // an older item under a reused SKU is not adopted.
      const found = (await findItems(credentialsOf(ctx), [sku])).get(sku);
      if (!found || Date.parse(found.created_at) < since.getTime() - 60_000) return null;
      return { remoteItemId: sku, remoteVariantIds: {} };
    },

    async create(ctx, listing) {
      // The remote "item" of a product is its first SKU, which is what findCreated finds it by.
      const itemSku = listing.variants[0]?.sku ?? listing.productId;
      return adapter.update(ctx, { remoteItemId: itemSku, remoteVariantIds: {} }, listing);
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
      const found = await findItems(credentialsOf(ctx), Object.values(ref.remoteVariantIds));
      const variants = [...found.values()].map((item) => ({
        remoteVariantId: item.sku,
        sku: item.sku,
        priceIdr: item.price_idr,
        stock: item.quantity,
      }));
      return variants.length ? { ...ref, status: 'live' as const, variants } : null;
    },
    async readReviewStatuses(_ctx, items) {
      // Partner programmes take items without a review: nothing is ever in review there.
      return new Map(items.map((i) => [i.remoteItemId, 'live' as const]));
    },
    async pullOrders(ctx, window, raw) {
      const creds = credentialsOf(ctx);
      const start = window.from.getTime();
      const end = window.to.getTime();
      if (end <= start) return { orders: [], next: null };
      const rawFrom = raw?.sliceFrom;
      let sliceFrom = typeof rawFrom === 'number' && rawFrom >= start && rawFrom < end ? rawFrom : start;
      let cursor = sliceFrom === rawFrom && typeof raw?.cursor === 'string' ? raw.cursor : '';
      for (;;) {
        const sliceTo = Math.min(sliceFrom + REPORT_PERIOD_MS, end);
        const query = new URLSearchParams({
          from: new Date(sliceFrom).toISOString(),
          to: new Date(sliceTo).toISOString(),
          limit: String(REPORT_PAGE),
          ...(cursor ? { cursor } : {}),
        });
        // GET /v1/sales-reports: lines with from ≤ sold_at < to (≤31 days), cursor paging, limit ≤ 1000.
        let page: { data: { lines: PartnerSalesLine[]; next_cursor: string | null } };
        try {
          page = await client.request(creds, 'GET', `/v1/sales-reports?${query.toString()}`);
        } catch (err) {
          // A stored cursor the partner no longer takes: read the period again from its start (lines
          // are keyed by report_line_id, so reading one twice changes nothing).
          if (!cursor || !(err instanceof ChannelFailure && err.platformCode === 'invalid_cursor')) throw err;
          cursor = '';
          continue;
        }
        const orders = (page.data.lines ?? []).map(partnerLineOrder);
        const next = page.data.next_cursor
          ? { sliceFrom, cursor: page.data.next_cursor }
          : sliceTo < end
            ? { sliceFrom: sliceTo, cursor: '' }
            : null;
        if (orders.length > 0 || next === null) return { orders, next };
        sliceFrom = next.sliceFrom;
        cursor = next.cursor;
      }
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

  /** The items of these SKUs, in one pass over the assortment (the API lists; it has no lookup by SKU). */
  async function findItems(creds: PartnerCredentials, skus: readonly string[]) {
    const wanted = new Set(skus);
    const found = new Map<string, PartnerItem>();
    let cursor: string | null = null;
    while (wanted.size > found.size) {
      const query = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
      // GET /v1/assortment/items: ordered by SKU, cursor paging, limit ≤ 200.
      const page = await client.request<{ items: PartnerItem[]; next_cursor: string | null }>(
        creds,
        'GET',
        `/v1/assortment/items?${query.toString()}`,
      );
      for (const item of page.data.items) if (wanted.has(item.sku)) found.set(item.sku, item);
      cursor = page.data.next_cursor;
      if (!cursor) break;
    }
    return found;
  }

  return adapter;
}
