/** A small, realistic crafts category tree (Indonesian display names, English originals) with attributes. */

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
  values: AttributeValue[];
}

const material: Attribute = {
  attributeId: 200001,
  en: 'Material',
  id_: 'Bahan',
  inputType: inputType.SINGLE_DROP_DOWN,
  values: [
    { valueId: 3001, en: 'Cotton', id_: 'Katun' },
    { valueId: 3002, en: 'Silk', id_: 'Sutra' },
    { valueId: 3003, en: 'Rattan', id_: 'Rotan' },
    { valueId: 3004, en: 'Pandan', id_: 'Pandan' },
    { valueId: 3005, en: 'Bamboo', id_: 'Bambu' },
    { valueId: 3006, en: 'Silver', id_: 'Perak' },
  ],
};
const woodType: Attribute = {
  attributeId: 200002,
  en: 'Wood Type',
  id_: 'Jenis Kayu',
  inputType: inputType.SINGLE_COMBO_BOX,
  values: [
    { valueId: 3101, en: 'Teak', id_: 'Jati' },
    { valueId: 3102, en: 'Mahogany', id_: 'Mahoni' },
    { valueId: 3103, en: 'Rosewood', id_: 'Sonokeling' },
  ],
};
const pattern: Attribute = {
  attributeId: 200003,
  en: 'Pattern',
  id_: 'Motif',
  inputType: inputType.FREE_TEXT_FILED,
  values: [],
};
const origin: Attribute = {
  attributeId: 200004,
  en: 'Region of Origin',
  id_: 'Asal Daerah',
  inputType: inputType.FREE_TEXT_FILED,
  values: [],
};

export interface CategoryAttribute {
  attribute: Attribute;
  mandatory: boolean;
}

const attributesByCategory = new Map<number, CategoryAttribute[]>([
  [
    100101,
    [
      { attribute: material, mandatory: true },
      { attribute: pattern, mandatory: false },
      { attribute: origin, mandatory: false },
    ],
  ],
  [
    100111,
    [
      { attribute: material, mandatory: true },
      { attribute: origin, mandatory: false },
    ],
  ],
  [100030, [{ attribute: material, mandatory: true }]],
  [
    100013,
    [
      { attribute: woodType, mandatory: true },
      { attribute: origin, mandatory: false },
    ],
  ],
]);

export function attributesOf(categoryId: number): CategoryAttribute[] {
  const cat = categoryById.get(categoryId);
  if (!cat || cat.hasChildren) return [];
  return attributesByCategory.get(categoryId) ?? [{ attribute: origin, mandatory: false }];
}
