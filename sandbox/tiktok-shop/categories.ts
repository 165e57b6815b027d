/**
 * The demo catalogue model of the emulated TikTok Shop (Indonesia, `category_version` v1, 3 levels):
 * categories, the attributes bound to each leaf (Get Attributes), brands (Get Brands) and category
 * rules (Get Category Rules). It covers the crafts the council's crafters make (batik, woven bags,
 * ceramics, snacks), so an adapter has to do the real work: read the required attributes, pick
 * brand ids, respect the rules. Only leaves can carry products (12052024 otherwise).
 */
export interface TtsCategory {
  id: string;
  parentId: string;
  localName: string;
  isLeaf: boolean;
}

export const CATEGORIES: readonly TtsCategory[] = [
  { id: '600001', parentId: '0', localName: 'Kerajinan Tangan', isLeaf: false },
  { id: '600100', parentId: '600001', localName: 'Batik & Kain Tradisional', isLeaf: false },
  { id: '600101', parentId: '600100', localName: 'Kain Batik', isLeaf: true },
  { id: '600102', parentId: '600100', localName: 'Tenun Ikat', isLeaf: true },
  { id: '600200', parentId: '600001', localName: 'Anyaman', isLeaf: false },
  { id: '600201', parentId: '600200', localName: 'Tas Anyaman', isLeaf: true },
  { id: '600202', parentId: '600200', localName: 'Keranjang Anyaman', isLeaf: true },
  { id: '600300', parentId: '600001', localName: 'Keramik & Gerabah', isLeaf: false },
  { id: '600301', parentId: '600300', localName: 'Vas Keramik', isLeaf: true },
  { id: '600302', parentId: '600300', localName: 'Peralatan Makan Gerabah', isLeaf: true },
  { id: '601001', parentId: '0', localName: 'Fashion Muslim', isLeaf: false },
  { id: '601100', parentId: '601001', localName: 'Aksesoris Muslim', isLeaf: false },
  { id: '601101', parentId: '601100', localName: 'Bros & Peniti', isLeaf: true },
  { id: '602001', parentId: '0', localName: 'Makanan & Minuman', isLeaf: false },
  { id: '602100', parentId: '602001', localName: 'Makanan Ringan', isLeaf: false },
  { id: '602101', parentId: '602100', localName: 'Keripik & Kerupuk', isLeaf: true },
  { id: '602102', parentId: '602100', localName: 'Kue Kering', isLeaf: true },
];

export function findCategory(id: string): TtsCategory | undefined {
  return CATEGORIES.find((category) => category.id === id);
}

export interface TtsAttribute {
  id: string;
  name: string;
  type: 'PRODUCT_PROPERTY' | 'SALES_PROPERTY';
  /** Serialised as the reference's own spelling, `is_requried`. */
  isRequired: boolean;
  isCustomizable: boolean;
  isMultipleSelection: boolean;
  values: ReadonlyArray<{ id: string; name: string }>;
}

const values = (prefix: number, names: string[]) =>
  names.map((name, index) => ({ id: String(prefix + index), name }));

const productProperty = (
  id: string,
  name: string,
  options: {
    required: boolean;
    customizable?: boolean;
    multiple?: boolean;
    values: Array<{ id: string; name: string }>;
  },
): TtsAttribute => ({
  id,
  name,
  type: 'PRODUCT_PROPERTY',
  isRequired: options.required,
  isCustomizable: options.customizable ?? false,
  isMultipleSelection: options.multiple ?? false,
  values: options.values,
});

const salesProperty = (id: string, name: string, names: string[], prefix: number): TtsAttribute => ({
  id,
  name,
  type: 'SALES_PROPERTY',
  isRequired: false,
  isCustomizable: true,
  isMultipleSelection: false,
  values: values(prefix, names),
});

const COLOUR = salesProperty(
  '100000',
  'Warna',
  ['Merah', 'Biru', 'Hijau', 'Cokelat', 'Hitam', 'Putih'],
  1000000,
);
const SIZE = salesProperty('100007', 'Ukuran', ['S', 'M', 'L', 'XL'], 1000100);
const VARIANT = salesProperty('100010', 'Varian', ['Original', 'Pedas', 'Balado'], 1000200);
const NET_WEIGHT = salesProperty('100011', 'Berat Bersih', ['100 g', '250 g', '500 g'], 1000300);

const FABRIC = productProperty('101001', 'Bahan Kain', {
  required: true,
  values: values(1010010, ['Katun', 'Sutra', 'Rayon', 'Katun Primisima']),
});
const BATIK_TECHNIQUE = productProperty('101002', 'Teknik Batik', {
  required: true,
  values: values(1010020, ['Tulis', 'Cap', 'Kombinasi']),
});
const MOTIF = productProperty('101003', 'Motif', {
  required: false,
  customizable: true,
  values: values(1010030, ['Parang', 'Kawung', 'Mega Mendung', 'Truntum']),
});
const WEAVE_MATERIAL = productProperty('102001', 'Bahan Anyaman', {
  required: true,
  multiple: true,
  values: values(1020010, ['Pandan', 'Rotan', 'Mendong', 'Eceng Gondok', 'Bambu']),
});
const BAG_STYLE = productProperty('102002', 'Model Tas', {
  required: false,
  values: values(1020020, ['Tote', 'Selempang', 'Clutch', 'Ransel']),
});
const CERAMIC_MATERIAL = productProperty('103001', 'Bahan Keramik', {
  required: true,
  values: values(1030010, ['Keramik', 'Gerabah', 'Porselen', 'Stoneware']),
});
const FOOD_SAFE = productProperty('103002', 'Aman untuk Makanan', {
  required: true,
  values: values(1030020, ['Ya', 'Tidak']),
});
const SHELF_LIFE = productProperty('104001', 'Masa Simpan', {
  required: true,
  values: values(1040010, ['1 Bulan', '3 Bulan', '6 Bulan', '12 Bulan']),
});
const FOOD_PERMIT = productProperty('104002', 'Nomor Izin Edar (PIRT/BPOM)', {
  required: true,
  customizable: true,
  values: [],
});
const FLAVOUR = productProperty('104003', 'Rasa', {
  required: false,
  customizable: true,
  multiple: true,
  values: values(1040030, ['Original', 'Pedas', 'Manis', 'Asin']),
});
const BROOCH_MATERIAL = productProperty('105001', 'Bahan', {
  required: false,
  values: values(1050010, ['Logam', 'Mutiara', 'Kain']),
});

const ATTRIBUTES: Readonly<Record<string, readonly TtsAttribute[]>> = {
  '600101': [FABRIC, BATIK_TECHNIQUE, MOTIF, COLOUR, SIZE],
  '600102': [FABRIC, MOTIF, COLOUR, SIZE],
  '600201': [WEAVE_MATERIAL, BAG_STYLE, COLOUR, SIZE],
  '600202': [WEAVE_MATERIAL, COLOUR, SIZE],
  '600301': [CERAMIC_MATERIAL, COLOUR, SIZE],
  '600302': [CERAMIC_MATERIAL, FOOD_SAFE, COLOUR, SIZE],
  '601101': [BROOCH_MATERIAL, COLOUR],
  '602101': [SHELF_LIFE, FOOD_PERMIT, FLAVOUR, VARIANT, NET_WEIGHT],
  '602102': [SHELF_LIFE, FOOD_PERMIT, FLAVOUR, VARIANT, NET_WEIGHT],
};

export function attributesOf(categoryId: string): readonly TtsAttribute[] {
  return ATTRIBUTES[categoryId] ?? [];
}

export interface TtsBrand {
  id: string;
  name: string;
  authorized: boolean;
  /** T1 (internationally renowned) brands cannot be used unless authorized. */
  isT1: boolean;
  /** Leaf categories the brand is available in (authorized brands only). */
  categoryIds: readonly string[];
}

const CRAFT_LEAVES = ['600101', '600102', '600201', '600202', '600301', '600302', '601101'];
const FOOD_LEAVES = ['602101', '602102'];

export const BRANDS: readonly TtsBrand[] = [
  {
    id: '7082427311584347905',
    name: 'Kriya Ciater',
    authorized: true,
    isT1: false,
    categoryIds: CRAFT_LEAVES,
  },
  {
    id: '7082427311584347906',
    name: 'Batik Tangsel',
    authorized: true,
    isT1: false,
    categoryIds: ['600101', '600102'],
  },
  {
    id: '7082427311584347907',
    name: 'Gerabah Serpong',
    authorized: true,
    isT1: false,
    categoryIds: ['600301', '600302'],
  },
  {
    id: '7082427311584347908',
    name: 'Camilan Pamulang',
    authorized: true,
    isT1: false,
    categoryIds: FOOD_LEAVES,
  },
  { id: '7082427311584347909', name: 'Anyaman Nusantara', authorized: false, isT1: false, categoryIds: [] },
  { id: '7082427311584347910', name: 'Maison Lumière', authorized: false, isT1: true, categoryIds: [] },
];

export function findBrand(id: string): TtsBrand | undefined {
  return BRANDS.find((brand) => brand.id === id);
}

export interface TtsCategoryRules {
  packageDimensionRequired: boolean;
  codSupported: boolean;
  sizeChartSupported: boolean;
}

/** Ceramics are fragile and food is perishable: package dimensions are required, COD is not offered for food. */
export function rulesOf(categoryId: string): TtsCategoryRules {
  const ceramics = categoryId === '600301' || categoryId === '600302';
  const food = FOOD_LEAVES.includes(categoryId);
  return {
    packageDimensionRequired: ceramics || food,
    codSupported: !food,
    sizeChartSupported: false,
  };
}
