import { describe, expect, it } from 'vitest';
import {
  addItemBody,
  modelInputs,
  standardiseTiers,
  tierStructure,
  validateForShopee,
} from '../../../../src/channels/shopee/mappers/listing.js';
import type { CanonicalListing, CanonicalVariant } from '../../../../src/channels/types.js';

const variant = (
  sku: string,
  options: Record<string, string>,
  priceIdr = 150_000,
  stock = 5,
): CanonicalVariant => ({
  variantId: `v-${sku}`,
  sku,
  options,
  priceIdr,
  stock,
  weightGrams: 400,
});

const listing = (
  variants: CanonicalVariant[],
  overrides: Partial<CanonicalListing> = {},
): CanonicalListing => ({
  productId: 'p1',
  version: 3,
  title: 'Batik tulis Ciater motif bambu',
  description: 'Kain batik tulis, pewarna alami.',
  imageUrls: ['https://img.example/a.jpg'],
  placement: {
    categoryId: '100017',
    attributes: [
      { attributeId: '100134', valueId: '2001', value: 'Katun' },
      { attributeId: '100999', value: 'Tangerang Selatan' },
    ],
    logisticsChannelId: '8003',
  },
  variants,
  ...overrides,
});

describe('Shopee tiers from canonical options', () => {
  it('orders tiers and options by first appearance and indexes each variant', () => {
    const vs = [
      variant('B-M-S', { warna: 'merah', ukuran: 'S' }),
      variant('B-M-L', { warna: 'merah', ukuran: 'L' }),
      variant('B-B-S', { warna: 'biru', ukuran: 'S' }),
    ];
    const s = tierStructure(vs);
    expect(s.tiers).toEqual([
      { name: 'warna', options: ['merah', 'biru'] },
      { name: 'ukuran', options: ['S', 'L'] },
    ]);
    expect(vs.map((v) => s.indexOf(v))).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(standardiseTiers(s)[0]).toEqual({
      variation_id: 0,
      variation_group_id: 0,
      variation_name: 'warna',
      variation_option_list: [
        { variation_option_id: 0, variation_option_name: 'merah' },
        { variation_option_id: 0, variation_option_name: 'biru' },
      ],
    });
    expect(modelInputs(vs, s)[2]).toEqual({
      tier_index: [1, 0],
      original_price: 150_000,
      model_sku: 'B-B-S',
      seller_stock: [{ stock: 5 }],
    });
  });
});

describe('add_item body', () => {
  it('maps weight to kg, the first SKU to item_sku, attributes by id or free text, and no brand to NoBrand', () => {
    const body = addItemBody(listing([variant('B-1', {}, 99_000, 7)]), ['img1']);
    expect(body).toMatchObject({
      original_price: 99_000,
      weight: 0.4,
      item_sku: 'B-1',
      category_id: 100017,
      image: { image_id_list: ['img1'] },
      logistic_info: [{ logistic_id: 8003, enabled: true }],
      brand: { brand_id: 0, original_brand_name: 'NoBrand' },
      seller_stock: [{ stock: 7 }],
      attribute_list: [
        { attribute_id: 100134, attribute_value_list: [{ value_id: 2001, original_value_name: 'Katun' }] },
        {
          attribute_id: 100999,
          attribute_value_list: [{ value_id: 0, original_value_name: 'Tangerang Selatan' }],
        },
      ],
    });
  });

  it('takes the lowest price as the item price when there are models', () => {
    const body = addItemBody(
      listing([variant('A', { w: 'a' }, 120_000), variant('B', { w: 'b' }, 90_000)]),
      [],
    );
    expect(body.original_price).toBe(90_000);
    expect(body.seller_stock).toEqual([{ stock: 0 }]);
  });
});

describe('validateForShopee', () => {
  it('accepts a product within the limits', () => {
    expect(
      validateForShopee(listing([variant('A', { warna: 'merah' }), variant('B', { warna: 'biru' })])),
    ).toEqual([]);
  });

  it('names each problem in plain words, in English and Bahasa', () => {
    const problems = validateForShopee(
      listing(
        [
          variant('A', { warna: 'merah', ukuran: 'S', bahan: 'katun' }, 50),
          variant('B', { warna: 'merah', ukuran: 'S', bahan: 'katun' }),
        ],
        { title: 'Tas', imageUrls: [], placement: { categoryId: '1', attributes: [] } },
      ),
    );
    const fields = problems.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'title',
        'imageUrls',
        'variants.options',
        'variants.A.priceIdr',
        'placement.logisticsChannelId',
      ]),
    );
    expect(problems.find((p) => p.field === 'title')?.message).toEqual({
      en: 'Shopee needs a title of 5–255 characters (this one has 3).',
      id: 'Shopee memerlukan judul 5–255 karakter (judul ini 3 karakter).',
    });
    expect(problems.some((p) => p.message.en.includes('same options'))).toBe(true);
  });
});
