/**
 * Where a product goes on one channel: its council-maintained category mapping turned into the
 * adapter's `CategoryPlacement`, or the problems that keep it from being listed, in plain words naming
 * what to fill in (pure; the push processor calls it and parks the listing `needs_attention` with
 * the problems).
 */
import type { CategoryPlacement, ListingProblem } from '../channels/types.js';

export type PlacementChannel = 'shopee' | 'tiktok_shop' | 'partner_brand';

/** A row of `channel_category_mappings`, as far as placement needs it. */
export interface CategoryMapping {
  canonicalCategory: string;
  channelCategoryId: string;
  requiredAttributes: ReadonlyArray<{ id: string; name: string; valueId?: string; value: string }>;
  brandId: string | null;
  brandName: string | null;
  logisticsChannelId: string | null;
  logisticsSizeId: string | null;
  packageCm: { length: number; width: number; height: number } | null;
}

/** The connection fields placement reads (TikTok Shop keeps its warehouse on the connection). */
export interface PlacementConnection {
  warehouseId: string | null;
}

export type PlacementResult =
  | { ok: true; placement: CategoryPlacement }
  | { ok: false; problems: ListingProblem[] };

const LABEL: Record<PlacementChannel, string> = {
  shopee: 'Shopee',
  tiktok_shop: 'Tokopedia (TikTok Shop)',
  partner_brand: 'the partner brand',
};

/**
 * `mapping` is the mapping of the product's category on this channel, or undefined when the council
 * has none. `category` (the product's canonical category) is only used in the message. Partner brands
 * take the canonical category as it is, so they need no mapping.
 */
export function placementFor(
  mapping: CategoryMapping | undefined,
  channel: PlacementChannel,
  connection: PlacementConnection,
  category = mapping?.canonicalCategory ?? '',
): PlacementResult {
  if (channel === 'partner_brand') {
    return { ok: true, placement: { categoryId: mapping?.channelCategoryId ?? category, attributes: [] } };
  }
  const label = LABEL[channel];
  const slug = channel === 'tiktok_shop' ? 'tiktok_shop' : 'shopee';
  if (!mapping) {
    return {
      ok: false,
      problems: [
        {
          field: 'categoryMapping',
          message: {
            en: `Category "${category}" has no ${label} mapping yet: the council must fill in the ${label} category, its required attributes and brand${channel === 'shopee' ? ' and the logistics channel' : ''} (PUT /v1/category-mappings/${slug}/${encodeURIComponent(category)}).`,
            id: `Kategori "${category}" belum dipetakan ke ${label}: dewan perlu mengisi kategori ${label}, atribut wajib dan merek${channel === 'shopee' ? ' serta jasa kirim' : ''}.`,
          },
        },
      ],
    };
  }
  const problems: ListingProblem[] = [];
  if (channel === 'shopee' && !mapping.logisticsChannelId) {
    problems.push({
      field: 'categoryMapping.logisticsChannelId',
      message: {
        en: `The Shopee mapping of category "${mapping.canonicalCategory}" has no logistics channel; fill in logisticsChannelId.`,
        id: `Pemetaan Shopee untuk kategori "${mapping.canonicalCategory}" belum punya jasa kirim; isi logisticsChannelId.`,
      },
    });
  }
  if (channel === 'tiktok_shop' && !connection.warehouseId) {
    problems.push({
      field: 'connection.warehouseId',
      message: {
        en: 'This Tokopedia shop has no warehouse set; reconnect the shop so its sales warehouse is read.',
        id: 'Toko Tokopedia ini belum punya gudang; hubungkan ulang toko agar gudang penjualannya terbaca.',
      },
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  const placement: CategoryPlacement = {
    categoryId: mapping.channelCategoryId,
    attributes: mapping.requiredAttributes.map((a) => ({
      attributeId: a.id,
      ...(a.valueId ? { valueId: a.valueId } : {}),
      value: a.value,
    })),
    ...(mapping.brandId ? { brandId: mapping.brandId } : {}),
    ...(mapping.brandName ? { brandName: mapping.brandName } : {}),
    ...(mapping.packageCm ? { packageCm: { ...mapping.packageCm } } : {}),
  };
  if (channel === 'shopee') {
    placement.logisticsChannelId = mapping.logisticsChannelId as string;
    if (mapping.logisticsSizeId) placement.logisticsSizeId = mapping.logisticsSizeId;
  } else if (connection.warehouseId) {
    placement.warehouseId = connection.warehouseId;
  }
  return { ok: true, placement };
}
