/**
 * Canonical listing → TikTok Shop product with inline SKUs. Pure: no I/O.
 * TikTok's variant model: every SKU carries its own sales attributes (at most 3 kinds); no separate
 * tier step. Money is a decimal string with currency IDR.
 */
import type { CanonicalListing, ChannelLimits, ListingProblem, ValidationContext } from '../../types.js';
import type { TiktokProductBody, TiktokSkuInput } from '../types.js';

export const TIKTOK_LIMITS: ChannelLimits = {
  titleMin: 25,
  titleMax: 255,
  imagesMin: 1,
  imagesMax: 9,
  optionDimensionsMax: 3,
  variantsMax: 100,
  priceMinIdr: 100,
  priceMaxIdr: 100_000_000,
  stockMax: 99_999,
};

const SELLER_SKU_MAX = 50;
const ATTRIBUTE_NAME_MAX = 20;
const ATTRIBUTE_VALUE_MAX = 50;

const problem = (field: string, en: string, id: string): ListingProblem => ({ field, message: { en, id } });
const rupiah = (n: number): string => `Rp${n.toLocaleString('id-ID')}`;

export function validateForTiktok(
  listing: CanonicalListing,
  context: ValidationContext = { creating: false },
): ListingProblem[] {
  const L = TIKTOK_LIMITS;
  const problems: ListingProblem[] = [];
  const title = listing.title.trim();
  if (title.length < L.titleMin || title.length > L.titleMax) {
    problems.push(
      problem(
        'title',
        `Tokopedia needs a title of ${L.titleMin}–${L.titleMax} characters (this one has ${title.length}).`,
        `Tokopedia memerlukan judul ${L.titleMin}–${L.titleMax} karakter (judul ini ${title.length} karakter).`,
      ),
    );
  }
  if (listing.imageUrls.length < L.imagesMin || listing.imageUrls.length > L.imagesMax) {
    problems.push(
      problem(
        'imageUrls',
        `Tokopedia needs ${L.imagesMin}–${L.imagesMax} photos (this product has ${listing.imageUrls.length}).`,
        `Tokopedia memerlukan ${L.imagesMin}–${L.imagesMax} foto (produk ini punya ${listing.imageUrls.length}).`,
      ),
    );
  }
  if (listing.variants.length === 0 || listing.variants.length > L.variantsMax) {
    problems.push(
      problem(
        'variants',
        `Tokopedia takes 1–${L.variantsMax} variants per product (this one has ${listing.variants.length}).`,
        `Tokopedia menerima 1–${L.variantsMax} varian per produk (produk ini punya ${listing.variants.length}).`,
      ),
    );
  }
  const kinds = new Set(listing.variants.flatMap((v) => Object.keys(v.options)));
  if (kinds.size > L.optionDimensionsMax) {
    problems.push(
      problem(
        'variants.options',
        `Tokopedia allows at most ${L.optionDimensionsMax} kinds of option (this product has ${kinds.size}).`,
        `Tokopedia mengizinkan paling banyak ${L.optionDimensionsMax} jenis pilihan (produk ini punya ${kinds.size}).`,
      ),
    );
  }
  for (const v of listing.variants) {
    if (v.sku.length > SELLER_SKU_MAX || /\s/.test(v.sku)) {
      problems.push(
        problem(
          `variants.${v.sku}.sku`,
          `Tokopedia needs SKUs of at most ${SELLER_SKU_MAX} characters without spaces ("${v.sku}").`,
          `Tokopedia memerlukan SKU paling panjang ${SELLER_SKU_MAX} karakter tanpa spasi ("${v.sku}").`,
        ),
      );
    }
    if (Object.keys(v.options).length !== kinds.size) {
      problems.push(
        problem(
          `variants.${v.sku}.options`,
          `Every variant needs the same kinds of option on Tokopedia (${[...kinds].join(', ')}); ${v.sku} differs.`,
          `Setiap varian harus punya jenis pilihan yang sama di Tokopedia (${[...kinds].join(', ')}); ${v.sku} berbeda.`,
        ),
      );
    }
    for (const [name, value] of Object.entries(v.options)) {
      if (name.length > ATTRIBUTE_NAME_MAX || value.length > ATTRIBUTE_VALUE_MAX) {
        problems.push(
          problem(
            `variants.${v.sku}.options`,
            `Tokopedia allows option names up to ${ATTRIBUTE_NAME_MAX} and values up to ${ATTRIBUTE_VALUE_MAX} characters ("${name}: ${value}").`,
            `Tokopedia mengizinkan nama pilihan hingga ${ATTRIBUTE_NAME_MAX} dan nilai hingga ${ATTRIBUTE_VALUE_MAX} karakter ("${name}: ${value}").`,
          ),
        );
      }
    }
    if (v.priceIdr < L.priceMinIdr || v.priceIdr > L.priceMaxIdr) {
      problems.push(
        problem(
          `variants.${v.sku}.priceIdr`,
          `Tokopedia takes prices from ${rupiah(L.priceMinIdr)} to ${rupiah(L.priceMaxIdr)} (variant ${v.sku}: ${rupiah(v.priceIdr)}).`,
          `Tokopedia menerima harga ${rupiah(L.priceMinIdr)} sampai ${rupiah(L.priceMaxIdr)} (varian ${v.sku}: ${rupiah(v.priceIdr)}).`,
        ),
      );
    }
    // create-product: inventory quantity "Valid range: [1, 99,999]". Edits and Update Inventory take
    // 0 (a sold-out SKU, see docs/sandbox-tiktok-shop.md), so only creation needs a unit of each.
    if (context.creating && tiktokStock(v.stock) < 1) {
      problems.push(
        problem(
          `variants.${v.sku}.stock`,
          `Tokopedia needs at least 1 unit of every variant to create the listing (variant ${v.sku} has none).`,
          `Tokopedia memerlukan setidaknya 1 unit setiap varian untuk membuat listing (varian ${v.sku} kosong).`,
        ),
      );
    }
    if (v.weightGrams <= 0) {
      problems.push(
        problem(
          `variants.${v.sku}.weightGrams`,
          `Tokopedia needs a package weight; variant ${v.sku} has none.`,
          `Tokopedia memerlukan berat paket; varian ${v.sku} belum punya.`,
        ),
      );
    }
  }
  if (!listing.placement.warehouseId) {
    problems.push(
      problem(
        'placement.warehouseId',
        'No warehouse is set for this Tokopedia shop; choose the shop warehouse in the category mapping.',
        'Belum ada gudang untuk toko Tokopedia ini; pilih gudang toko di pemetaan kategori.',
      ),
    );
  }
  return problems;
}

/** Stock outside TikTok's range is capped; 0 is sent as 0 (a sold-out SKU on edits and Update Inventory). */
export const tiktokStock = (stock: number): number => Math.max(0, Math.min(stock, TIKTOK_LIMITS.stockMax));

export function skuInputs(
  listing: CanonicalListing,
  remoteSkuIds: Record<string, string> = {},
): TiktokSkuInput[] {
  const warehouseId = listing.placement.warehouseId ?? '';
  return listing.variants.map((v) => {
    const sku: TiktokSkuInput = {
      seller_sku: v.sku,
      price: { amount: String(v.priceIdr), currency: 'IDR' },
      inventory: [{ warehouse_id: warehouseId, quantity: tiktokStock(v.stock) }],
    };
    const id = remoteSkuIds[v.variantId];
    if (id) sku.id = id;
    const attributes = Object.entries(v.options).map(([name, value]) => ({ name, value_name: value }));
    if (attributes.length > 0) sku.sales_attributes = attributes;
    return sku;
  });
}

export function productBody(
  listing: CanonicalListing,
  imageUris: string[],
  listingPlatforms: string[],
  remoteSkuIds: Record<string, string> = {},
): TiktokProductBody {
  const { placement } = listing;
  const weightKg = Math.max(...listing.variants.map((v) => v.weightGrams)) / 1000;
  const body: TiktokProductBody = {
    title: listing.title.trim(),
    description: listing.description,
    category_id: placement.categoryId,
    main_images: imageUris.map((uri) => ({ uri })),
    skus: skuInputs(listing, remoteSkuIds),
    package_weight: { value: String(weightKg), unit: 'KILOGRAM' },
    listing_platforms: listingPlatforms,
  };
  if (placement.brandId) body.brand_id = placement.brandId;
  if (placement.attributes.length > 0) {
    body.product_attributes = placement.attributes.map((a) => ({
      id: a.attributeId,
      values: [a.valueId ? { id: a.valueId } : { name: a.value ?? '' }],
    }));
  }
  if (placement.packageCm) {
    body.package_dimensions = {
      length: String(placement.packageCm.length),
      width: String(placement.packageCm.width),
      height: String(placement.packageCm.height),
      unit: 'CENTIMETER',
    };
  }
  return body;
}
