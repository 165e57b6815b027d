/**
 * The demo category model for the council's crafts (batik, woven bags, ceramics, snacks and a few
 * neighbours): Indonesian display names, English originals, attributes and brands per leaf category.
 *
 * Every leaf has at least one mandatory attribute and a mandatory brand: `add_item` documents
 * `attribute_list` as "optional(expect Indonesia)", and the sandbox's shops are all Indonesian, so an
 * adapter must read `get_attribute_tree` / `get_brand_list` and send both (strictest reading, see
 * docs/sandbox.md). Ids are invented; shapes follow `v2.product.get_attribute_tree` and `get_brand_list`.
 */

export interface Category {
  id: number;
  parentId: number;
  en: string;
  id_: string;
  hasChildren: boolean;
}

const c = (id: number, parentId: number, en: string, idName: string, hasChildren = false): Category => ({
  id,
  parentId,
  en,
  id_: idName,
  hasChildren,
});

export const categories: readonly Category[] = [
  c(100001, 0, 'Handicrafts', 'Kerajinan Tangan', true),
  c(100010, 100001, 'Batik & Woven Fabric', 'Batik & Tenun', true),
  c(100101, 100010, 'Batik Cloth', 'Kain Batik'),
  c(100102, 100010, 'Ikat Weaving', 'Tenun Ikat'),
  c(100103, 100010, 'Songket', 'Songket'),
  c(100011, 100001, 'Woven Crafts', 'Anyaman', true),
  c(100111, 100011, 'Woven Bags', 'Tas Anyaman'),
  c(100112, 100011, 'Baskets', 'Keranjang'),
  c(100012, 100001, 'Ceramics & Pottery', 'Keramik & Gerabah'),
  c(100013, 100001, 'Wood Carving', 'Ukiran Kayu'),
  c(100002, 0, 'Home & Living', 'Perlengkapan Rumah', true),
  c(100020, 100002, 'Home Decor', 'Dekorasi Rumah'),
  c(100021, 100002, 'Kitchenware', 'Peralatan Dapur'),
  c(100003, 0, 'Fashion Accessories', 'Aksesoris Fashion', true),
  c(100030, 100003, 'Silver Jewellery', 'Perhiasan Perak'),
  c(100031, 100003, 'Wallets', 'Dompet'),
  c(100004, 0, 'Food & Beverages', 'Makanan & Minuman', true),
  c(100040, 100004, 'Snacks', 'Makanan Ringan', true),
  c(100401, 100040, 'Chips & Crackers', 'Keripik & Kerupuk'),
  c(100402, 100040, 'Traditional Cakes', 'Kue Tradisional'),
];

export const categoryById = new Map(categories.map((cat) => [cat.id, cat]));

/** Shopee `attribute_info.input_type` values. */
export const inputType = {
  SINGLE_DROP_DOWN: 1,
  SINGLE_COMBO_BOX: 2,
  FREE_TEXT_FILED: 3,
  MULTI_DROP_DOWN: 4,
  MULTI_COMBO_BOX: 5,
} as const;

/** Shopee `attribute_info.format_type`: 2 = quantitative with unit (`value_unit` required). */
export const formatType = { NORMAL: 1, QUANTITATIVE_WITH_UNIT: 2 } as const;

export interface AttributeValue {
  valueId: number;
  en: string;
  id_: string;
}

export interface Attribute {
  attributeId: number;
  en: string;
  id_: string;
  inputType: number;
  formatType: number;
  units: string[];
  maxValueCount: number;
  values: AttributeValue[];
}

const attr = (
  attributeId: number,
  en: string,
  idName: string,
  type: number,
  values: AttributeValue[] = [],
  extra: Partial<Pick<Attribute, 'formatType' | 'units' | 'maxValueCount'>> = {},
): Attribute => ({
  attributeId,
  en,
  id_: idName,
  inputType: type,
  formatType: extra.formatType ?? formatType.NORMAL,
  units: extra.units ?? [],
  maxValueCount: extra.maxValueCount ?? 1,
  values,
});

const material = attr(200001, 'Material', 'Bahan', inputType.SINGLE_DROP_DOWN, [
  { valueId: 3001, en: 'Cotton', id_: 'Katun' },
  { valueId: 3002, en: 'Silk', id_: 'Sutra' },
  { valueId: 3003, en: 'Rattan', id_: 'Rotan' },
  { valueId: 3004, en: 'Pandan', id_: 'Pandan' },
  { valueId: 3005, en: 'Bamboo', id_: 'Bambu' },
  { valueId: 3006, en: 'Silver', id_: 'Perak' },
  { valueId: 3007, en: 'Leather', id_: 'Kulit' },
  { valueId: 3008, en: 'Water Hyacinth', id_: 'Eceng Gondok' },
]);
const woodType = attr(200002, 'Wood Type', 'Jenis Kayu', inputType.SINGLE_COMBO_BOX, [
  { valueId: 3101, en: 'Teak', id_: 'Jati' },
  { valueId: 3102, en: 'Mahogany', id_: 'Mahoni' },
  { valueId: 3103, en: 'Rosewood', id_: 'Sonokeling' },
]);
const pattern = attr(200003, 'Pattern', 'Motif', inputType.FREE_TEXT_FILED);
const origin = attr(200004, 'Region of Origin', 'Asal Daerah', inputType.FREE_TEXT_FILED);
const batikTechnique = attr(200005, 'Batik Technique', 'Teknik Batik', inputType.SINGLE_DROP_DOWN, [
  { valueId: 3201, en: 'Hand-drawn', id_: 'Tulis' },
  { valueId: 3202, en: 'Stamped', id_: 'Cap' },
  { valueId: 3203, en: 'Combination', id_: 'Kombinasi' },
  { valueId: 3204, en: 'Printed', id_: 'Printing' },
]);
const ceramicMaterial = attr(200006, 'Ceramic Material', 'Bahan Keramik', inputType.SINGLE_DROP_DOWN, [
  { valueId: 3301, en: 'Earthenware', id_: 'Gerabah' },
  { valueId: 3302, en: 'Stoneware', id_: 'Stoneware' },
  { valueId: 3303, en: 'Porcelain', id_: 'Porselen' },
  { valueId: 3304, en: 'Terracotta', id_: 'Terakota' },
]);
const shelfLife = attr(200007, 'Shelf Life', 'Masa Penyimpanan', inputType.SINGLE_DROP_DOWN, [
  { valueId: 3401, en: '1 Month', id_: '1 Bulan' },
  { valueId: 3402, en: '3 Months', id_: '3 Bulan' },
  { valueId: 3403, en: '6 Months', id_: '6 Bulan' },
  { valueId: 3404, en: '12 Months', id_: '12 Bulan' },
]);
/** Indonesian food sold online needs a home-industry (P-IRT) or BPOM registration number. */
const foodRegistration = attr(
  200008,
  'P-IRT / BPOM Registration No.',
  'No. Izin P-IRT / BPOM',
  inputType.FREE_TEXT_FILED,
);
const netWeight = attr(200009, 'Net Weight', 'Berat Bersih', inputType.FREE_TEXT_FILED, [], {
  formatType: formatType.QUANTITATIVE_WITH_UNIT,
  units: ['g', 'kg'],
});
const flavour = attr(
  200010,
  'Flavour',
  'Rasa',
  inputType.MULTI_COMBO_BOX,
  [
    { valueId: 3501, en: 'Original', id_: 'Original' },
    { valueId: 3502, en: 'Spicy', id_: 'Pedas' },
    { valueId: 3503, en: 'Sweet', id_: 'Manis' },
    { valueId: 3504, en: 'Savoury', id_: 'Gurih' },
  ],
  { maxValueCount: 3 },
);

export interface CategoryAttribute {
  attribute: Attribute;
  mandatory: boolean;
}

const m = (attribute: Attribute): CategoryAttribute => ({ attribute, mandatory: true });
const o = (attribute: Attribute): CategoryAttribute => ({ attribute, mandatory: false });

const attributesByCategory = new Map<number, CategoryAttribute[]>([
  [100101, [m(material), m(batikTechnique), o(pattern), o(origin)]],
  [100102, [m(material), o(pattern), o(origin)]],
  [100103, [m(material), o(pattern), o(origin)]],
  [100111, [m(material), o(origin)]],
  [100112, [m(material), o(origin)]],
  [100012, [m(ceramicMaterial), o(origin)]],
  [100013, [m(woodType), o(origin)]],
  [100020, [m(material), o(origin)]],
  [100021, [m(material), o(origin)]],
  [100030, [m(material)]],
  [100031, [m(material)]],
  [100401, [m(shelfLife), m(foodRegistration), o(netWeight), o(flavour)]],
  [100402, [m(shelfLife), m(foodRegistration), o(netWeight)]],
]);

export function attributesOf(categoryId: number): CategoryAttribute[] {
  const cat = categoryById.get(categoryId);
  if (!cat || cat.hasChildren) return [];
  return attributesByCategory.get(categoryId) ?? [m(material)];
}

export interface Brand {
  brandId: number;
  name: string;
}

/** brand_id 0 is Shopee's "No Brand" option, offered in every category (product-creation-preparation guide). */
export const NO_BRAND: Brand = { brandId: 0, name: 'NoBrand' };

const craftBrands: Brand[] = [
  NO_BRAND,
  { brandId: 1_100_001, name: 'Batik Serpong' },
  { brandId: 1_100_002, name: 'Anyaman Ciater' },
  { brandId: 1_100_003, name: 'Gerabah Pondok Aren' },
  { brandId: 1_100_004, name: 'Dekranasda Tangsel' },
];
const snackBrands: Brand[] = [
  NO_BRAND,
  { brandId: 1_200_001, name: 'Keripik Bu Ratna' },
  { brandId: 1_200_002, name: 'Dapur Pamulang' },
  { brandId: 1_100_004, name: 'Dekranasda Tangsel' },
];

/** Brands a leaf category accepts, and whether it requires one (`is_mandatory`). */
export function brandsOf(categoryId: number): { brands: Brand[]; mandatory: boolean } {
  const cat = categoryById.get(categoryId);
  if (!cat || cat.hasChildren) return { brands: [], mandatory: false };
  return { brands: cat.parentId === 100040 ? snackBrands : craftBrands, mandatory: true };
}
