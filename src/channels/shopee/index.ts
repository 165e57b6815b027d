/**
 * The Shopee Open Platform v2 adapter. It turns a canonical listing into Shopee's item → tiers →
 * models, keeps one shop's item equal to it, and reads it back. Each vendor call names its reference
 * page (Shopee Open Platform v2 API reference, `v2.<module>.<api>`).
 */
import { type ImageFetchPolicy, remoteImageIds } from '../images.js';
import {
  type CanonicalListing,
  type CanonicalVariant,
  type ChannelAdapter,
  ChannelFailure,
  type ConnectionContext,
  type ImageUploadCache,
  type RemoteListingState,
  type RemoteListingStatus,
} from '../types.js';
import { type CallGate, ShopeeClient, type ShopeeShop } from './client.js';
import { type ShopeeAdapterConfig, shopeeAdapterConfigSchema } from './config.js';
import { shopeeFailure } from './errors.js';
import {
  addItemBody,
  modelInputs,
  SHOPEE_LIMITS,
  sameTiers,
  shopeeStock,
  standardiseTiers,
  tierStructure,
  validateForShopee,
} from './mappers/listing.js';
import {
  confirmShopeeLostPushMessages,
  getShopeeLostPushMessages,
  pullShopeeOrders,
  type ShopeeLostPushPage,
} from './orders.js';
import type { ShopeeBatchResult, ShopeeItemBaseInfo, ShopeeModelList } from './types.js';

export { SHOPEE_ORDER_STATUS } from './mappers/orders.js';
export type { ShopeeLostPush, ShopeeLostPushPage } from './orders.js';
export { createShopeeWebhookVerifier } from './webhook.js';

export interface ShopeeAdapterDeps {
  imageCache: ImageUploadCache;
  /** Waits for the shop's call budget before each request (per-shop rate limit across workers). */
  gate?: CallGate;
  imagePolicy: ImageFetchPolicy;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

const BATCH = 50;
/** v2.product.get_item_list: page_size ≤ 100; offset + page_size ≤ 10,000. */
const ITEM_LIST_PAGE = 100;
const ITEM_LIST_MAX_OFFSET = 10_000;
/** How often a too-early tier call is retried (1 s apart) before the job itself is retried. */
const TIER_RETRIES = 10;

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

function shopOf(ctx: ConnectionContext): ShopeeShop {
  if (!ctx.accessToken) {
    throw new ChannelFailure('reauth', 'no_access_token', {
      en: 'This Shopee shop has no valid authorisation; reconnect the shop.',
      id: 'Toko Shopee ini tidak punya otorisasi yang berlaku; hubungkan ulang toko.',
    });
  }
  return { shopId: ctx.externalShopId, accessToken: ctx.accessToken };
}

function failedList(result: ShopeeBatchResult | undefined, what: string): void {
  const failures = result?.failure_list ?? [];
  if (failures.length === 0) return;
  const reasons = [...new Set(failures.map((f) => f.failed_reason))].join('; ');
  throw new ChannelFailure('permanent', `${what}_failure_list`, {
    en: `Shopee refused the ${what} of ${failures.length} variant(s): ${reasons}`,
    id: `Shopee menolak ${what === 'price' ? 'harga' : 'stok'} ${failures.length} varian: ${reasons}`,
  });
}

const STATUS: Record<string, RemoteListingState['status']> = {
  NORMAL: 'live',
  REVIEWING: 'in_review',
  UNLIST: 'inactive',
  BANNED: 'refused',
  SELLER_DELETE: 'deleted',
  SHOPEE_DELETE: 'deleted',
};

/** `{ status }` when Shopee's answer names the item's status, else nothing. */
function statusOf(itemStatus: string | undefined): { status?: RemoteListingStatus } {
  const status = itemStatus === undefined ? undefined : STATUS[itemStatus];
  return status === undefined ? {} : { status };
}

export function createShopeeAdapter(rawConfig: unknown, deps: ShopeeAdapterDeps): ChannelAdapter {
  const config: ShopeeAdapterConfig = shopeeAdapterConfigSchema.parse(rawConfig);
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const client = new ShopeeClient(config, now, deps.gate);

  async function uploadImages(ctx: ConnectionContext, urls: readonly string[]): Promise<string[]> {
    const shop = shopOf(ctx);
    return remoteImageIds(ctx.connectionId, urls, deps, async (image, url) => {
      if (image.contentType === 'image/webp') {
        throw new ChannelFailure('permanent', 'image_format', {
          en: `Shopee takes JPG or PNG photos; ${url} is WebP.`,
          id: `Shopee hanya menerima foto JPG atau PNG; ${url} berformat WebP.`,
        });
      }
      const form = new FormData();
      form.append('image', new Blob([image.bytes], { type: image.contentType }), `${image.sha256}.img`);
      form.append('scene', 'normal');
      // v2.media_space.upload_image: files only, ≤10 MB, JPG/PNG. The response carries `image_info`
      // and, per file, `image_info_list[{id, error, message, image_info}]`; a file's refusal may come
      // in its list entry rather than the envelope, so both are read.
      const res = await client.post<{
        image_info?: { image_id?: string };
        image_info_list?: Array<{ error?: string; message?: string; image_info?: { image_id?: string } }>;
      }>('/api/v2/media_space/upload_image', { shop, form });
      const entry = res.response?.image_info_list?.[0];
      if (entry?.error) throw shopeeFailure(entry.error, entry.message ?? '', now());
      const imageId = entry?.image_info?.image_id || res.response?.image_info?.image_id;
      if (!imageId) throw unexpected('upload_image');
      return imageId;
    });
  }

  async function modelList(shop: ShopeeShop, itemId: string): Promise<ShopeeModelList> {
    // v2.product.get_model_list
    const res = await client.get<ShopeeModelList>('/api/v2/product/get_model_list', {
      shop,
      query: { item_id: itemId },
    });
    return res.response ?? { model: [] };
  }

  /** Our variant id → Shopee model id, matched by model SKU ('0' for an item without tiers). */
  function remoteIds(listing: CanonicalListing, models: ShopeeModelList): Record<string, string> {
    const ids: Record<string, string> = {};
    if (tierStructure(listing.variants).tiers.length === 0) {
      for (const v of listing.variants) ids[v.variantId] = '0';
      return ids;
    }
    for (const v of listing.variants) {
      const model = models.model.find((m) => m.model_sku === v.sku);
      if (model) ids[v.variantId] = String(model.model_id);
    }
    return ids;
  }

  /** Calls a tier endpoint, waiting out Shopee's "too soon after add_item" refusal. */
  async function tierCall(path: string, shop: ShopeeShop, body: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.post(path, { shop, body });
        return;
      } catch (err) {
        if (!(err instanceof ChannelFailure) || err.kind !== 'retryable' || attempt >= TIER_RETRIES)
          throw err;
        await sleep(1_000);
      }
    }
  }

  /** Makes the item's tiers and models equal to the listing's variants. */
  async function syncVariants(
    shop: ShopeeShop,
    itemId: string,
    listing: CanonicalListing,
  ): Promise<ShopeeModelList> {
    const wanted = tierStructure(listing.variants);
    const current = await modelList(shop, itemId);
    const remoteTiers = (current.standardise_tier_variation ?? []).length
      ? (current.standardise_tier_variation ?? []).map((t) => ({
          name: t.variation_name,
          options: t.variation_option_list.map((o) => o.variation_option_name),
        }))
      : (current.tier_variation ?? []).map((t) => ({
          name: t.name,
          options: t.option_list.map((o) => o.option),
        }));

    if (wanted.tiers.length === 0 && remoteTiers.length === 0) return current;
    if (wanted.tiers.length === 0 || remoteTiers.length !== wanted.tiers.length) {
      // v2.product.init_tier_variation converts between no tier, one tier and two tiers.
      const single = listing.variants[0] as CanonicalVariant;
      await tierCall('/api/v2/product/init_tier_variation', shop, {
        item_id: Number(itemId),
        standardise_tier_variation: standardiseTiers(wanted),
        model:
          wanted.tiers.length === 0
            ? [
                {
                  tier_index: [],
                  original_price: single.priceIdr,
                  model_sku: single.sku,
                  seller_stock: [{ stock: shopeeStock(single.stock) }],
                },
              ]
            : modelInputs(listing.variants, wanted),
      });
      return modelList(shop, itemId);
    }

    const bySku = new Map(current.model.map((m) => [m.model_sku ?? '', m]));
    const kept = listing.variants.filter((v) => bySku.has(v.sku));
    const added = listing.variants.filter((v) => !bySku.has(v.sku));
    const unchanged =
      sameTiers(remoteTiers, wanted.tiers) &&
      added.length === 0 &&
      kept.length === current.model.length &&
      kept.every((v) => bySku.get(v.sku)?.tier_index.join('/') === wanted.indexOf(v).join('/'));
    if (unchanged) return current;
    // v2.product.update_tier_variation: models left out of model_list are deleted with their options.
    await tierCall('/api/v2/product/update_tier_variation', shop, {
      item_id: Number(itemId),
      standardise_tier_variation: standardiseTiers(wanted),
      model_list: kept.map((v) => ({ model_id: bySku.get(v.sku)?.model_id, tier_index: wanted.indexOf(v) })),
    });
    if (added.length > 0) {
      // v2.product.add_model
      await tierCall('/api/v2/product/add_model', shop, {
        item_id: Number(itemId),
        model_list: modelInputs(added, wanted),
      });
    }
    return modelList(shop, itemId);
  }

  const adapter: ChannelAdapter = {
    channel: 'shopee',
    limits: SHOPEE_LIMITS,
    rateLimit: { max: config.callsPerSecond, perMs: 1_000 },

    validate: validateForShopee,

    async findCreated(ctx, sku, since) {
      const shop = shopOf(ctx);
      const from = Math.floor(since.getTime() / 1000) - 60;
      const candidates: number[] = [];
      for (let offset = 0; ; ) {
        // v2.product.get_item_list: offset paging; item_status required.
        const res = await client.get<{
          item?: Array<{ item_id: number }>;
          has_next_page?: boolean;
          next_offset?: number;
        }>('/api/v2/product/get_item_list', {
          shop,
          query: {
            offset,
            page_size: ITEM_LIST_PAGE,
            update_time_from: from,
            update_time_to: Math.floor(now().getTime() / 1000) + 60,
            item_status: ['NORMAL', 'REVIEWING', 'UNLIST'],
          },
        });
        candidates.push(...(res.response?.item ?? []).map((i) => i.item_id));
        if (!res.response?.has_next_page || res.response.next_offset === undefined) break;
        offset = res.response.next_offset;
        // get_item_list refuses offset + page_size beyond 10,000 ("get items offset over limit");
        // the update_time window keeps a crash-recovery lookup far below that.
        if (offset + ITEM_LIST_PAGE > ITEM_LIST_MAX_OFFSET) break;
      }
      for (const batch of chunks(candidates, BATCH)) {
        // v2.product.get_item_base_info: 1–50 ids.
        const res = await client.get<{ item_list?: ShopeeItemBaseInfo[] }>(
          '/api/v2/product/get_item_base_info',
          {
            shop,
            query: { item_id_list: batch.join(',') },
          },
        );
        const match = (res.response?.item_list ?? []).find(
          (i) => i.item_sku === sku && (i.create_time === undefined || i.create_time >= from),
        );
        if (match) return { remoteItemId: String(match.item_id), remoteVariantIds: {} };
      }
      return null;
    },

    async create(ctx, listing) {
      const shop = shopOf(ctx);
      const imageIds = await uploadImages(ctx, listing.imageUrls);
      // v2.product.add_item: not idempotent; the caller recorded its intent first.
      const res = await client.post<{ item_id?: number; item_status?: string }>('/api/v2/product/add_item', {
        shop,
        body: addItemBody(listing, imageIds),
      });
      const itemId = res.response?.item_id;
      if (itemId === undefined) throw unexpected('add_item');
      // The answer carries the item's status: a new item is usually REVIEWING for a while.
      const status = statusOf(res.response?.item_status);
      // An item without options is complete after add_item: its one model is model_id 0, so there is
      // nothing to read back (one call per single-SKU item instead of two).
      if (tierStructure(listing.variants).tiers.length === 0) {
        return {
          remoteItemId: String(itemId),
          remoteVariantIds: remoteIds(listing, { model: [] }),
          ...status,
        };
      }
      await sleep(config.tierWaitMs);
      const models = await syncVariants(shop, String(itemId), listing);
      return { remoteItemId: String(itemId), remoteVariantIds: remoteIds(listing, models), ...status };
    },

    async update(ctx, ref, listing, options = {}) {
      const shop = shopOf(ctx);
      const imageIds = await uploadImages(ctx, listing.imageUrls);
      const {
        original_price: _price,
        seller_stock: _stock,
        item_status: _status,
        ...content
      } = addItemBody(listing, imageIds);
      // v2.product.update_item: partial update of the item's content; price and stock go by batch.
      // `item_status` only to relist an item we unlisted: sent with every content edit it would put
      // back on sale an item the crafter or Shopee unlisted.
      const updated = await client.post<{ item_status?: string }>('/api/v2/product/update_item', {
        shop,
        body: {
          item_id: Number(ref.remoteItemId),
          ...content,
          ...(options.relist ? { item_status: 'NORMAL' as const } : {}),
        },
      });
      const models = await syncVariants(shop, ref.remoteItemId, listing);
      const next = { remoteItemId: ref.remoteItemId, remoteVariantIds: remoteIds(listing, models) };
      await adapter.updatePriceAndStock(ctx, next, listing);
      return { ...next, ...statusOf(updated.response?.item_status) };
    },

    async updatePriceAndStock(ctx, ref, listing, changed = { price: true, stock: true }) {
      const shop = shopOf(ctx);
      const rows = listing.variants.map((v) => {
        const modelId = ref.remoteVariantIds[v.variantId];
        if (modelId === undefined) {
          throw new ChannelFailure('retryable', 'remote_model_unknown', {
            en: `Variant ${v.sku} is not on Shopee yet; the whole product will be sent again.`,
            id: `Varian ${v.sku} belum ada di Shopee; seluruh produk akan dikirim ulang.`,
          });
        }
        return { modelId: Number(modelId), v };
      });
      for (const batch of chunks(rows, BATCH)) {
        if (changed.price) {
          // v2.product.update_price: one item, 1–50 models; integer IDR; inspect failure_list.
          const price = await client.post<ShopeeBatchResult>('/api/v2/product/update_price', {
            shop,
            body: {
              item_id: Number(ref.remoteItemId),
              price_list: batch.map((r) => ({ model_id: r.modelId, original_price: r.v.priceIdr })),
            },
          });
          failedList(price.response, 'price');
        }
        if (changed.stock) {
          // v2.product.update_stock: seller_stock only (normal_stock is offline).
          const stock = await client.post<ShopeeBatchResult>('/api/v2/product/update_stock', {
            shop,
            body: {
              item_id: Number(ref.remoteItemId),
              stock_list: batch.map((r) => ({
                model_id: r.modelId,
                seller_stock: [{ stock: shopeeStock(r.v.stock) }],
              })),
            },
          });
          failedList(stock.response, 'stock');
        }
      }
    },

    async delist(ctx, ref) {
      const shop = shopOf(ctx);
      try {
        // v2.product.unlist_item: recoverable (relist with unlist=false).
        const res = await client.post<{ failure_list?: Array<{ item_id: number; failed_reason: string }> }>(
          '/api/v2/product/unlist_item',
          { shop, body: { item_list: [{ item_id: Number(ref.remoteItemId), unlist: true }] } },
        );
        const failure = res.response?.failure_list?.[0];
        if (failure && !/deleted|not found|not exist/i.test(failure.failed_reason)) {
          throw new ChannelFailure('permanent', 'unlist_failure_list', {
            en: `Shopee refused to take the item down: ${failure.failed_reason}`,
            id: `Shopee menolak menurunkan produk: ${failure.failed_reason}`,
          });
        }
      } catch (err) {
        // An item that no longer exists is delisted already.
        if (err instanceof ChannelFailure && err.platformCode === 'error_item_not_found') return;
        throw err;
      }
    },

    async readReviewStatuses(ctx, items) {
      const shop = shopOf(ctx);
      const statuses = new Map<string, RemoteListingStatus>();
      for (const batch of chunks(
        items.map((i) => i.remoteItemId),
        BATCH,
      )) {
        // v2.product.get_item_base_info: 1–50 ids; a deleted item is left out of item_list.
        const res = await client.get<{ item_list?: ShopeeItemBaseInfo[] }>(
          '/api/v2/product/get_item_base_info',
          { shop, query: { item_id_list: batch.join(',') } },
        );
        const seen = new Map((res.response?.item_list ?? []).map((i) => [String(i.item_id), i.item_status]));
        for (const id of batch) {
          const itemStatus = seen.get(id);
          statuses.set(id, itemStatus === undefined ? 'deleted' : (STATUS[itemStatus] ?? 'inactive'));
        }
      }
      return statuses;
    },

    async read(ctx, ref) {
      const shop = shopOf(ctx);
      const res = await client.get<{ item_list?: ShopeeItemBaseInfo[] }>(
        '/api/v2/product/get_item_base_info',
        {
          shop,
          query: { item_id_list: ref.remoteItemId },
        },
      );
      const item = res.response?.item_list?.[0];
      if (!item) return null;
      const status = STATUS[item.item_status] ?? 'inactive';
      if (!item.has_model) {
        return {
          ...ref,
          status,
          variants: [
            {
              remoteVariantId: '0',
              sku: item.item_sku ?? '',
              priceIdr: Math.round(item.price_info?.[0]?.original_price ?? 0),
              stock: item.stock_info_v2?.summary_info?.total_available_stock ?? 0,
            },
          ],
        };
      }
      const models = await modelList(shop, ref.remoteItemId);
      return {
        ...ref,
        status,
        variants: models.model.map((m) => ({
          remoteVariantId: String(m.model_id),
          sku: m.model_sku ?? '',
          priceIdr: Math.round(m.price_info?.[0]?.original_price ?? 0),
          stock:
            m.stock_info_v2?.summary_info?.total_available_stock ??
            (m.stock_info_v2?.seller_stock ?? []).reduce((sum, s) => sum + s.stock, 0),
        })),
      };
    },
    async pullOrders(ctx, window, cursor) {
      return pullShopeeOrders(client, shopOf(ctx), window, cursor);
    },
  };
  return adapter;
}

/**
 * Shopee's lost-push gap filler (reference §1.8): pushes not acknowledged in the last 3 days, 100 at a
 * time, and their confirmation. Public (partner-level) APIs: one call covers every shop of the partner.
 * Takes the same settings as the adapter.
 */
export interface ShopeeLostPushClient {
  getLostPushMessages(): Promise<ShopeeLostPushPage>;
  confirmConsumed(lastMessageId: number): Promise<void>;
}

export function createShopeeLostPushClient(
  rawConfig: unknown,
  deps: { now?: () => Date } = {},
): ShopeeLostPushClient {
  const config = shopeeAdapterConfigSchema.parse(rawConfig);
  const client = new ShopeeClient(config, deps.now ?? (() => new Date()));
  return {
    getLostPushMessages: () => getShopeeLostPushMessages(client),
    confirmConsumed: (lastMessageId) => confirmShopeeLostPushMessages(client, lastMessageId),
  };
}

function unexpected(api: string): ChannelFailure {
  return new ChannelFailure('retryable', `unexpected_${api}`, {
    en: `Shopee's answer to ${api} was missing what we need; we will try again.`,
    id: `Jawaban Shopee untuk ${api} tidak lengkap; kami akan mencoba lagi.`,
  });
}
