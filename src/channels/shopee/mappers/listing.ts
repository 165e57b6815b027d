/**
 * Canonical listing → Shopee item, tiers and models. Pure: no I/O, exhaustively tested.
 * Shopee's variant model: an item has up to 2 tiers (option dimensions), each with named options,
 * and one model per combination (`tier_index` points into the option lists); an item without tiers
 * has one implicit model with `model_id` 0.
 */
import type { CanonicalListing, CanonicalVariant, ChannelLimits, ListingProblem } from '../../types.js';
import type { ShopeeAddItemBody, ShopeeModelInput, ShopeeStandardiseTier } from '../types.js';

export const SHOPEE_LIMITS: ChannelLimits = {
  titleMin: 5,
  titleMax: 255,
  imagesMin: 1,
  imagesMax: 9,
  optionDimensionsMax: 2,
  variantsMax: 50,
  priceMinIdr: 100,
  priceMaxIdr: 150_000_000,
  stockMax: 999_999,
};

/** Option names of length above this are refused by Shopee (`error_tier_var_name_too_long`). */
const TIER_NAME_MAX = 14;
const TIER_OPTION_MAX = 20;

export interface TierStructure {
  tiers: Array<{ name: string; options: string[] }>;
  /** The tier_index of a variant, in the order of `tiers`. */
  indexOf(variant: CanonicalVariant): number[];
}

/** Option dimensions in order of first appearance, and their values likewise. */
export function tierStructure(variants: readonly CanonicalVariant[]): TierStructure {
  const names: string[] = [];
  for (const v of variants)
    for (const name of Object.keys(v.options)) if (!names.includes(name)) names.push(name);
  const tiers = names.map((name) => {
    const options: string[] = [];
    for (const v of variants) {
      const value = v.options[name];
      if (value !== undefined && !options.includes(value)) options.push(value);
    }
    return { name, options };
  });
  return {
    tiers,
    indexOf: (variant) => tiers.map((t) => t.options.indexOf(variant.options[t.name] ?? '')),
  };
}

const problem = (field: string, en: string, id: string): ListingProblem => ({ field, message: { en, id } });

export function validateForShopee(listing: CanonicalListing): ListingProblem[] {
  const problems: ListingProblem[] = [];
  const L = SHOPEE_LIMITS;
  const title = listing.title.trim();
  if (title.length < L.titleMin || title.length > L.titleMax) {
    problems.push(
      problem(
        'title',
        `Shopee needs a title of ${L.titleMin}–${L.titleMax} characters (this one has ${title.length}).`,
        `Shopee memerlukan judul ${L.titleMin}–${L.titleMax} karakter (judul ini ${title.length} karakter).`,
      ),
    );
  }
  if (listing.imageUrls.length < L.imagesMin || listing.imageUrls.length > L.imagesMax) {
    problems.push(
      problem(
        'imageUrls',
        `Shopee needs ${L.imagesMin}–${L.imagesMax} photos (this product has ${listing.imageUrls.length}).`,
        `Shopee memerlukan ${L.imagesMin}–${L.imagesMax} foto (produk ini punya ${listing.imageUrls.length}).`,
      ),
    );
  }
  if (listing.variants.length === 0 || listing.variants.length > L.variantsMax) {
    problems.push(
      problem(
        'variants',
        `Shopee takes 1–${L.variantsMax} variants per product (this one has ${listing.variants.length}).`,
        `Shopee menerima 1–${L.variantsMax} varian per produk (produk ini punya ${listing.variants.length}).`,
      ),
    );
  }
  const { tiers, indexOf } = tierStructure(listing.variants);
  if (tiers.length > L.optionDimensionsMax) {
    problems.push(
      problem(
        'variants.options',
        `Shopee allows at most ${L.optionDimensionsMax} kinds of option (this product has ${tiers.length}: ${tiers.map((t) => t.name).join(', ')}).`,
        `Shopee mengizinkan paling banyak ${L.optionDimensionsMax} jenis pilihan (produk ini punya ${tiers.length}: ${tiers.map((t) => t.name).join(', ')}).`,
      ),
    );
  }
  if (listing.variants.length > 1 && tiers.length === 0) {
    problems.push(
      problem(
        'variants.options',
        'Variants need options (such as colour or size) so buyers can choose between them on Shopee.',
        'Varian memerlukan pilihan (misalnya warna atau ukuran) agar pembeli dapat memilih di Shopee.',
      ),
    );
  }
  for (const t of tiers) {
    if (t.name.length > TIER_NAME_MAX) {
      problems.push(
        problem(
          'variants.options',
          `Shopee allows option names of at most ${TIER_NAME_MAX} characters ("${t.name}" is longer).`,
          `Shopee mengizinkan nama pilihan paling panjang ${TIER_NAME_MAX} karakter ("${t.name}" lebih panjang).`,
        ),
      );
    }
    for (const o of t.options) {
      if (o.length > TIER_OPTION_MAX) {
        problems.push(
          problem(
            'variants.options',
            `Shopee allows option values of at most ${TIER_OPTION_MAX} characters ("${o}" is longer).`,
            `Shopee mengizinkan nilai pilihan paling panjang ${TIER_OPTION_MAX} karakter ("${o}" lebih panjang).`,
          ),
        );
      }
    }
  }
  const seen = new Set<string>();
  for (const v of listing.variants) {
    const index = indexOf(v);
    if (tiers.length > 0 && index.some((i) => i < 0)) {
      problems.push(
        problem(
          `variants.${v.sku}.options`,
          `Variant ${v.sku} must have a value for every option (${tiers.map((t) => t.name).join(', ')}).`,
          `Varian ${v.sku} harus punya nilai untuk setiap pilihan (${tiers.map((t) => t.name).join(', ')}).`,
        ),
      );
    }
    const key = index.join('/');
    if (tiers.length > 0 && seen.has(key)) {
      problems.push(
        problem(
          `variants.${v.sku}.options`,
          `Two variants have the same options (${Object.values(v.options).join(', ')}); Shopee needs each combination once.`,
          `Dua varian punya pilihan yang sama (${Object.values(v.options).join(', ')}); Shopee memerlukan setiap kombinasi sekali.`,
        ),
      );
    }
    seen.add(key);
    if (v.priceIdr < L.priceMinIdr || v.priceIdr > L.priceMaxIdr) {
      problems.push(
        problem(
          `variants.${v.sku}.priceIdr`,
          `Shopee takes prices from Rp${L.priceMinIdr.toLocaleString('id-ID')} to Rp${L.priceMaxIdr.toLocaleString('id-ID')} (variant ${v.sku}: Rp${v.priceIdr.toLocaleString('id-ID')}).`,
          `Shopee menerima harga Rp${L.priceMinIdr.toLocaleString('id-ID')} sampai Rp${L.priceMaxIdr.toLocaleString('id-ID')} (varian ${v.sku}: Rp${v.priceIdr.toLocaleString('id-ID')}).`,
        ),
      );
    }
    if (v.weightGrams <= 0) {
      problems.push(
        problem(
          `variants.${v.sku}.weightGrams`,
          `Shopee needs a shipping weight; variant ${v.sku} has none.`,
          `Shopee memerlukan berat pengiriman; varian ${v.sku} belum punya.`,
        ),
      );
    }
  }
  if (!listing.placement.logisticsChannelId) {
    problems.push(
      problem(
        'placement.logisticsChannelId',
        `No Shopee shipping channel is set for this category; the council must choose one in the category mapping.`,
        `Belum ada jasa kirim Shopee untuk kategori ini; dewan harus memilihnya di pemetaan kategori.`,
      ),
    );
  }
  return problems;
}

/** Shopee counts stock per model; values above its limit are capped rather than refused. */
export const shopeeStock = (stock: number): number => Math.max(0, Math.min(stock, SHOPEE_LIMITS.stockMax));

export function addItemBody(listing: CanonicalListing, imageIds: string[]): ShopeeAddItemBody {
  const { placement, variants } = listing;
  const first = variants[0];
  const minPrice = Math.min(...variants.map((v) => v.priceIdr));
  const weightKg = Math.max(...variants.map((v) => v.weightGrams)) / 1000;
  const body: ShopeeAddItemBody = {
    original_price: minPrice,
    description: listing.description,
    weight: weightKg,
    item_name: listing.title.trim(),
    item_status: 'NORMAL',
    // The item-level SKU is what a lookup after a crash finds (search and list match it only).
    item_sku: first?.sku ?? '',
    category_id: Number(placement.categoryId),
    image: { image_id_list: imageIds },
    logistic_info: [
      {
        logistic_id: Number(placement.logisticsChannelId),
        enabled: true,
        ...(placement.logisticsSizeId ? { size_id: Number(placement.logisticsSizeId) } : {}),
      },
    ],
    // v2.product.add_item `brand` (mandatory where get_brand_list says is_mandatory): without a
    // mapped brand, brand_id 0 is Shopee's "No Brand", offered in every category (SH
    // product-creation-preparation guide).
    brand: placement.brandId
      ? { brand_id: Number(placement.brandId), original_brand_name: placement.brandName ?? '' }
      : { brand_id: 0, original_brand_name: 'NoBrand' },
    attribute_list: placement.attributes.map((a) => ({
      attribute_id: Number(a.attributeId),
      attribute_value_list: [
        a.valueId
          ? { value_id: Number(a.valueId), ...(a.value ? { original_value_name: a.value } : {}) }
          : { value_id: 0, original_value_name: a.value ?? '' },
      ],
    })),
    // add_item `seller_stock` (required; without it production stores 0). With tiers the models
    // carry the stock, set by init_tier_variation.
    seller_stock: [{ stock: variants.length === 1 && first ? shopeeStock(first.stock) : 0 }],
  };
  if (placement.packageCm) {
    body.dimension = {
      package_length: placement.packageCm.length,
      package_width: placement.packageCm.width,
      package_height: placement.packageCm.height,
    };
  }
  return body;
}

export function standardiseTiers(structure: TierStructure): ShopeeStandardiseTier[] {
  return structure.tiers.map((t) => ({
    variation_id: 0,
    variation_group_id: 0,
    variation_name: t.name,
    variation_option_list: t.options.map((o) => ({ variation_option_id: 0, variation_option_name: o })),
  }));
}

export function modelInputs(
  variants: readonly CanonicalVariant[],
  structure: TierStructure,
): ShopeeModelInput[] {
  return variants.map((v) => ({
    tier_index: structure.indexOf(v),
    original_price: v.priceIdr,
    model_sku: v.sku,
    seller_stock: [{ stock: shopeeStock(v.stock) }],
  }));
}

/** Whether the remote tiers are exactly the ones we would send (same names, same options, same order). */
export function sameTiers(
  remote: ReadonlyArray<{ name: string; options: readonly string[] }>,
  wanted: ReadonlyArray<{ name: string; options: readonly string[] }>,
): boolean {
  return (
    remote.length === wanted.length &&
    remote.every(
      (t, i) =>
        t.name === wanted[i]?.name &&
        t.options.length === wanted[i]?.options.length &&
        t.options.every((o, j) => o === wanted[i]?.options[j]),
    )
  );
}
