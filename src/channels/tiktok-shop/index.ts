/**
 * The TikTok Shop adapter, used for Tokopedia shops (Tokopedia runs on the TikTok Shop platform).
 * A product carries its SKUs inline; a full edit replaces the SKU list (SKUs left out are deleted),
 * so every edit sends all variants with their remote ids. Each vendor call names its reference page.
 */
import { type ImageFetchPolicy, remoteImageIds } from '../images.js';
import type { CallGate } from '../shopee/client.js';
import {
  type CanonicalListing,
  type ChannelAdapter,
  ChannelFailure,
  type ConnectionContext,
  type ImageUploadCache,
  type RemoteListingState,
  type RemoteListingStatus,
} from '../types.js';
import { type TiktokShopAuth, TiktokShopClient } from './client.js';
import { type TiktokShopAdapterConfig, tiktokShopAdapterConfigSchema } from './config.js';
import { productBody, skuInputs, TIKTOK_LIMITS, tiktokStock, validateForTiktok } from './mappers/listing.js';
import { pullTiktokOrders } from './orders.js';
import type { TiktokBatchErrors, TiktokProductDetail } from './types.js';

export { TIKTOK_ORDER_STATUS } from './mappers/orders.js';
export { createTiktokShopWebhookVerifier } from './webhook.js';

export interface TiktokShopAdapterDeps {
  imageCache: ImageUploadCache;
  gate?: CallGate;
  imagePolicy: ImageFetchPolicy;
  /** The clock requests are signed with (TikTok refuses timestamps far from its own). */
  now?: () => Date;
}

const STATUS: Record<string, RemoteListingState['status']> = {
  ACTIVATE: 'live',
  PENDING: 'in_review',
  DRAFT: 'inactive',
  FAILED: 'refused',
  SELLER_DEACTIVATED: 'inactive',
  PLATFORM_DEACTIVATED: 'refused',
  FREEZE: 'refused',
  DELETED: 'deleted',
};

/** Seconds taken off the oldest look before asking what changed since: our clock and TikTok's differ. */
const STATUS_CLOCK_SLACK_S = 300;
/** Pages of 100 read per status sweep at most; a shop with more changes finishes on the next sweep. */
const STATUS_SEARCH_MAX_PAGES = 200;

function authOf(ctx: ConnectionContext): { accessToken: string; shopCipher: string } {
  if (!ctx.accessToken || !ctx.shopCipher) {
    throw new ChannelFailure('reauth', 'no_access_token', {
      en: 'This Tokopedia shop has no valid authorisation; reconnect the shop.',
      id: 'Toko Tokopedia ini tidak punya otorisasi yang berlaku; hubungkan ulang toko.',
    });
  }
  return { accessToken: ctx.accessToken, shopCipher: ctx.shopCipher };
}

function batchErrors(result: TiktokBatchErrors | undefined, action: { en: string; id: string }): void {
  const first = result?.errors?.[0];
  if (!first) return;
  throw new ChannelFailure('permanent', String(first.code), {
    en: `TikTok Shop refused to ${action.en}: ${first.message}`,
    id: `TikTok Shop menolak ${action.id}: ${first.message}`,
  });
}

export function createTiktokShopAdapter(rawConfig: unknown, deps: TiktokShopAdapterDeps): ChannelAdapter {
  const config: TiktokShopAdapterConfig = tiktokShopAdapterConfigSchema.parse(rawConfig);
  const client = new TiktokShopClient(config, deps.now, deps.gate);

  async function uploadImages(ctx: ConnectionContext, urls: readonly string[]): Promise<string[]> {
    const auth = authOf(ctx);
    return remoteImageIds(ctx.connectionId, urls, deps, async (image) => {
      const form = new FormData();
      form.append('data', new Blob([image.bytes], { type: image.contentType }), `${image.sha256}.img`);
      form.append('use_case', 'MAIN_IMAGE');
      // product/202309/images/upload: multipart, body unsigned, no shop_cipher.
      const data = await client.request<{ uri?: string }>('POST', '/product/202309/images/upload', {
        auth: { accessToken: auth.accessToken, budgetShop: auth.shopCipher },
        form,
      });
      if (!data?.uri) throw unexpected('images/upload');
      return data.uri;
    });
  }

  /** Our variant id → TikTok SKU id, matched by seller SKU. */
  function skuIds(listing: CanonicalListing, skus: ReadonlyArray<{ id: string; seller_sku?: string }>) {
    const ids: Record<string, string> = {};
    for (const v of listing.variants) {
      const sku = skus.find((s) => s.seller_sku === v.sku);
      if (sku) ids[v.variantId] = sku.id;
    }
    return ids;
  }

  async function detail(auth: TiktokShopAuth, productId: string): Promise<TiktokProductDetail | null> {
    try {
      // product/202309/products/{product_id} (Get Product)
      return await client.request<TiktokProductDetail>('GET', `/product/202309/products/${productId}`, {
        auth,
      });
    } catch (err) {
      // 12052032 / 12052260: the product does not exist.
      if (err instanceof ChannelFailure && ['12052032', '12052260'].includes(err.platformCode)) return null;
      throw err;
    }
  }

  const adapter: ChannelAdapter = {
    channel: 'tiktok_shop',
    limits: TIKTOK_LIMITS,
    rateLimit: { max: config.callsPerSecond, perMs: 1_000 },

    validate: validateForTiktok,

    async findCreated(ctx, sku, since) {
      const auth = authOf(ctx);
      const from = Math.floor(since.getTime() / 1000) - 60;
      // product/202502/products/search: seller_skus ≤10; page_size ≤100.
      const data = await client.request<{ products?: TiktokProductDetail[] }>(
        'POST',
        '/product/202502/products/search',
        { auth, query: { page_size: 20 }, body: { seller_skus: [sku], update_time_ge: from } },
      );
      const match = (data?.products ?? []).find(
        (p) =>
          p.status !== 'DELETED' &&
          (p.create_time === undefined || p.create_time >= from) &&
          (p.skus ?? []).some((s) => s.seller_sku === sku),
      );
      return match ? { remoteItemId: match.id, remoteVariantIds: {} } : null;
    },

    async create(ctx, listing) {
      const auth = authOf(ctx);
      // Refuse here, in plain words, what Create Product would refuse (a SKU with 0 stock, 12052055).
      const emptySku = validateForTiktok(listing, { creating: true }).find((p) => p.field.endsWith('.stock'));
      if (emptySku) throw new ChannelFailure('permanent', 'sku_without_stock', emptySku.message);
      const uris = await uploadImages(ctx, listing.imageUrls);
      // product/202309/products (Create Product): not idempotent; the caller recorded its intent first.
      const data = await client.request<{
        product_id?: string;
        skus?: Array<{ id: string; seller_sku?: string }>;
      }>('POST', '/product/202309/products', {
        auth,
        body: productBody(listing, uris, config.listingPlatforms),
      });
      if (!data?.product_id) throw unexpected('products');
      // Every new product is audited before buyers see it (status PENDING); the answer does not say
      // so, the documentation does. The listing's remote status is read again until the audit ends.
      return {
        remoteItemId: data.product_id,
        remoteVariantIds: skuIds(listing, data.skus ?? []),
        status: 'in_review',
      };
    },

    async update(ctx, ref, listing, options = {}) {
      const auth = authOf(ctx);
      const uris = await uploadImages(ctx, listing.imageUrls);
      const current = await detail(auth, ref.remoteItemId);
      if (!current || current.status === 'DELETED') {
        throw new ChannelFailure('permanent', 'remote_item_gone', {
          en: 'The product no longer exists on Tokopedia; publish it again to create a new listing.',
          id: 'Produk sudah tidak ada di Tokopedia; terbitkan ulang untuk membuat listing baru.',
        });
      }
      if (options.relist && current.status === 'SELLER_DEACTIVATED') {
        // product/202309/products/activate: ≤20 ids, per-product errors under code 0. Only a product
        // we deactivated (the listing was ended) comes back; an edit alone never reactivates.
        const activated = await client.request<TiktokBatchErrors>(
          'POST',
          '/product/202309/products/activate',
          {
            auth,
            body: { product_ids: [ref.remoteItemId], listing_platforms: config.listingPlatforms },
          },
        );
        batchErrors(activated, { en: 'put the product back on sale', id: 'menjual kembali produk' });
      }
      // Keep existing SKUs by their ids; a SKU left out of a full edit is deleted.
      const known = skuIds(listing, current.skus ?? []);
      // product/202309/products/{product_id} (Edit Product): full replace; the live version stays live.
      const data = await client.request<{ skus?: Array<{ id: string; seller_sku?: string }> }>(
        'PUT',
        `/product/202309/products/${ref.remoteItemId}`,
        { auth, body: productBody(listing, uris, config.listingPlatforms, known) },
      );
      return {
        remoteItemId: ref.remoteItemId,
        remoteVariantIds: { ...known, ...skuIds(listing, data?.skus ?? []) },
      };
    },

    async updatePriceAndStock(ctx, ref, listing, changed = { price: true, stock: true }) {
      const auth = authOf(ctx);
      const missing = listing.variants.find((v) => ref.remoteVariantIds[v.variantId] === undefined);
      if (missing) {
        throw new ChannelFailure('retryable', 'remote_model_unknown', {
          en: `Variant ${missing.sku} is not on Tokopedia yet; the whole product will be sent again.`,
          id: `Varian ${missing.sku} belum ada di Tokopedia; seluruh produk akan dikirim ulang.`,
        });
      }
      const skus = skuInputs(listing, ref.remoteVariantIds);
      if (changed.price) {
        // product/202309/products/{id}/prices/update: all SKUs of one product; `data` is always empty.
        await client.request('POST', `/product/202309/products/${ref.remoteItemId}/prices/update`, {
          auth,
          body: { skus: skus.map((s) => ({ id: s.id, price: s.price })) },
        });
      }
      if (changed.stock) {
        // product/202309/products/{id}/inventory/update
        const inventory = await client.request<TiktokBatchErrors>(
          'POST',
          `/product/202309/products/${ref.remoteItemId}/inventory/update`,
          { auth, body: { skus: skus.map((s) => ({ id: s.id, inventory: s.inventory })) } },
        );
        batchErrors(inventory, { en: 'update the stock', id: 'memperbarui stok' });
      }
    },

    async delist(ctx, ref) {
      const auth = authOf(ctx);
      // product/202309/products/deactivate: ≤20 ids, per-product errors under code 0.
      const data = await client.request<TiktokBatchErrors>('POST', '/product/202309/products/deactivate', {
        auth,
        body: { product_ids: [ref.remoteItemId], listing_platforms: config.listingPlatforms },
      });
      const first = data?.errors?.[0];
      // A product already deactivated or gone is delisted already.
      if (first && /deactivat|delet|not exist|not found/i.test(first.message)) return;
      batchErrors(data, { en: 'take the product down', id: 'menurunkan produk' });
    },

    async read(ctx, ref) {
      const auth = authOf(ctx);
      const product = await detail(auth, ref.remoteItemId);
      if (!product) return null;
      return {
        ...ref,
        status: STATUS[product.status] ?? 'inactive',
        variants: (product.skus ?? []).map((s) => ({
          remoteVariantId: s.id,
          sku: s.seller_sku ?? '',
          priceIdr: Math.round(Number(s.price?.amount ?? 0)),
          stock: tiktokStock((s.inventory ?? []).reduce((sum, i) => sum + (i.quantity ?? 0), 0)),
        })),
      };
    },
    async readReviewStatuses(ctx, items) {
      const auth = authOf(ctx);
      const statuses = new Map<string, RemoteListingStatus>();
      if (items.length === 0) return statuses;
      // An audit's end (or any other status change) moves the product's update_time, so the products
      // changed since the oldest look, listed 100 a page, say what became of each item; an item they
      // leave out is as it was. ALL leaves deleted products out, so those are listed on their own.
      const wanted = new Set(items.map((i) => i.remoteItemId));
      const oldest = Math.min(...items.map((i) => i.since.getTime()));
      const from = Math.floor(oldest / 1000) - STATUS_CLOCK_SLACK_S;
      for (const status of ['ALL', 'DELETED'] as const) {
        let pageToken: string | undefined;
        for (let page = 0; ; page += 1) {
          if (page === STATUS_SEARCH_MAX_PAGES) return statuses; // the rest waits for the next sweep
          // product/202502/products/search: page_size ≤100, page_token from the previous page.
          const data = await client.request<{ products?: TiktokProductDetail[]; next_page_token?: string }>(
            'POST',
            '/product/202502/products/search',
            {
              auth,
              query: { page_size: 100, ...(pageToken ? { page_token: pageToken } : {}) },
              body: { status, update_time_ge: from },
            },
          );
          for (const product of data?.products ?? []) {
            if (wanted.has(product.id)) statuses.set(product.id, STATUS[product.status] ?? 'inactive');
          }
          pageToken = data?.next_page_token || undefined;
          if (!pageToken) break;
        }
      }
      for (const id of wanted) if (!statuses.has(id)) statuses.set(id, 'in_review');
      return statuses;
    },
    async pullOrders(ctx, window, cursor) {
      return pullTiktokOrders(client, authOf(ctx), window, cursor);
    },
  };
  return adapter;
}

function unexpected(api: string): ChannelFailure {
  return new ChannelFailure('retryable', `unexpected_${api}`, {
    en: `TikTok Shop's answer to ${api} was missing what we need; we will try again.`,
    id: `Jawaban TikTok Shop untuk ${api} tidak lengkap; kami akan mencoba lagi.`,
  });
}
