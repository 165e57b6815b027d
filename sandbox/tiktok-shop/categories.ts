/**
 * A small, realistic crafts category tree (3-level, `category_version` v1) for Indonesian shops.
 * Only leaves can carry products (12052024 otherwise).
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
];

export function findCategory(id: string): TtsCategory | undefined {
  return CATEGORIES.find((category) => category.id === id);
}
