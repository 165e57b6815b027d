import { ShopeeError } from './errors.js';

/**
 * The logistics channels every sandbox shop is seeded with, shaped like `v2.logistics.get_channel_list`,
 * and the rules `add_item` / `update_item` apply to `logistic_info` (SH-G `creating-product.md` §6):
 * SIZE_SELECTION needs a `size_id` from the channel's `size_list`, SIZE_INPUT needs the item's weight and
 * `dimension`, CUSTOM_PRICE needs `shipping_fee`; weight and dimensions must fit the channel's limits.
 * Channel ids and names are invented but follow Indonesian services; one channel is disabled on shop level.
 */

export type FeeType = 'SIZE_SELECTION' | 'SIZE_INPUT' | 'FIXED_DEFAULT_PRICE' | 'CUSTOM_PRICE';

export interface Channel {
  id: number;
  name: string;
  feeType: FeeType;
  enabled: boolean;
  codEnabled: boolean;
  /** kg; 0 = no limit (as documented). */
  maxWeight: number;
  minWeight: number;
  /** cm; 0 = no limit. */
  maxDimension: { length: number; width: number; height: number; sum: number };
  sizes: Array<{ sizeId: string; name: string; defaultPrice: number }>;
  description: string;
}

export const channels: readonly Channel[] = [
  {
    id: 8003,
    name: 'Reguler (Cashless)',
    feeType: 'SIZE_INPUT',
    enabled: true,
    codEnabled: true,
    maxWeight: 50,
    minWeight: 0.01,
    maxDimension: { length: 150, width: 150, height: 150, sum: 300 },
    sizes: [],
    description: 'Regular delivery, 2-4 days on Java. Fee from weight and package dimensions.',
  },
  {
    id: 8005,
    name: 'Hemat',
    feeType: 'FIXED_DEFAULT_PRICE',
    enabled: true,
    codEnabled: true,
    maxWeight: 10,
    minWeight: 0.01,
    maxDimension: { length: 60, width: 60, height: 60, sum: 0 },
    sizes: [],
    description: 'Economy delivery at a fixed fee.',
  },
  {
    id: 8006,
    name: 'Kargo',
    feeType: 'SIZE_SELECTION',
    enabled: true,
    codEnabled: false,
    maxWeight: 0,
    minWeight: 5,
    maxDimension: { length: 0, width: 0, height: 0, sum: 0 },
    sizes: [
      { sizeId: '1', name: 'Kecil (S)', defaultPrice: 45_000 },
      { sizeId: '2', name: 'Sedang (M)', defaultPrice: 75_000 },
      { sizeId: '3', name: 'Besar (L)', defaultPrice: 120_000 },
    ],
    description: 'Cargo for heavy parcels (5 kg and more); choose a size.',
  },
  {
    id: 8007,
    name: 'Kurir Toko',
    feeType: 'CUSTOM_PRICE',
    enabled: true,
    codEnabled: false,
    maxWeight: 20,
    minWeight: 0,
    maxDimension: { length: 0, width: 0, height: 0, sum: 0 },
    sizes: [],
    description: "The seller's own courier; the seller sets the fee per item.",
  },
  {
    id: 8008,
    name: 'Same Day',
    feeType: 'SIZE_INPUT',
    enabled: false,
    codEnabled: false,
    maxWeight: 5,
    minWeight: 0.01,
    maxDimension: { length: 40, width: 40, height: 40, sum: 0 },
    sizes: [],
    description: 'Same-day delivery in Jabodetabek. Not enabled for this shop.',
  },
];

const byId = new Map(channels.map((ch) => [ch.id, ch]));

export function channelView(ch: Channel) {
  return {
    logistics_channel_id: ch.id,
    logistics_channel_name: ch.name,
    cod_enabled: ch.codEnabled,
    enabled: ch.enabled,
    fee_type: ch.feeType,
    size_list: ch.sizes.map((s) => ({ size_id: s.sizeId, name: s.name, default_price: s.defaultPrice })),
    weight_limit: { item_max_weight: ch.maxWeight, item_min_weight: ch.minWeight },
    item_max_dimension: {
      height: ch.maxDimension.height,
      width: ch.maxDimension.width,
      length: ch.maxDimension.length,
      unit: 'cm',
      dimension_sum: ch.maxDimension.sum,
    },
    volume_limit: { item_max_volume: 0, item_min_volume: 0 },
    logistics_description: ch.description,
    force_enable: false,
    mask_channel_id: 0,
    block_seller_cover_shipping_fee: false,
    support_cross_border: false,
    seller_logistic_has_configuration: null,
    logistics_capability: { seller_logistics: ch.feeType === 'CUSTOM_PRICE' },
    preprint: false,
    support_pause: false,
  };
}

export interface LogisticEntry {
  logistic_id: number;
  enabled: boolean;
  size_id?: number | string | undefined;
  shipping_fee?: number | undefined;
  is_free?: boolean | undefined;
}

export interface Dimension {
  package_length: number;
  package_width: number;
  package_height: number;
}

const invalid = (detail: string) =>
  new ShopeeError('error_invalid_logistic_info', `invalid logistic info , ${detail}`);

/**
 * Checks `logistic_info` against the shop's channels for an item of this weight and dimension.
 * Strictest reading where the reference is silent: a disabled or unknown channel is refused even when
 * the entry itself says `enabled: false`, and at least one entry must be enabled.
 */
export function checkLogistics(entries: LogisticEntry[], weight: number, dimension?: Dimension): void {
  const seen = new Set<number>();
  for (const entry of entries) {
    const ch = byId.get(entry.logistic_id);
    if (!ch) throw invalid(`logistic_id ${entry.logistic_id} does not exist.`);
    if (seen.has(ch.id)) throw invalid(`logistic_id ${ch.id} is repeated.`);
    seen.add(ch.id);
    if (!ch.enabled) throw invalid(`logistic_id ${ch.id} is not enabled for this shop.`);
    if (!entry.enabled) continue;
    if (ch.feeType === 'SIZE_SELECTION') {
      if (entry.size_id === undefined)
        throw invalid(`size_id is required for logistic_id ${ch.id} (fee_type SIZE_SELECTION).`);
      if (!ch.sizes.some((s) => s.sizeId === String(entry.size_id)))
        throw invalid(`size_id ${entry.size_id} is not valid for logistic_id ${ch.id}.`);
    }
    if (ch.feeType === 'SIZE_INPUT' && dimension === undefined)
      throw invalid(`dimension is required for logistic_id ${ch.id} (fee_type SIZE_INPUT).`);
    if (ch.feeType === 'CUSTOM_PRICE' && entry.shipping_fee === undefined)
      throw invalid(`shipping_fee is required for logistic_id ${ch.id} (fee_type CUSTOM_PRICE).`);
    if ((ch.maxWeight > 0 && weight > ch.maxWeight) || (ch.minWeight > 0 && weight < ch.minWeight))
      throw invalid(
        `weight ${weight} kg is outside ${ch.minWeight}-${ch.maxWeight || '∞'} kg of logistic_id ${ch.id}.`,
      );
    if (dimension !== undefined) {
      const { length, width, height, sum } = ch.maxDimension;
      const over =
        (length > 0 && dimension.package_length > length) ||
        (width > 0 && dimension.package_width > width) ||
        (height > 0 && dimension.package_height > height) ||
        (sum > 0 && dimension.package_length + dimension.package_width + dimension.package_height > sum);
      if (over) throw invalid(`dimension exceeds the limit of logistic_id ${ch.id}.`);
    }
  }
  if (!entries.some((e) => e.enabled)) throw invalid('at least one logistic channel must be enabled.');
}
