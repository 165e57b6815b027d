/**
 * Shopee v2 wire shapes the adapter reads and writes (only the fields it uses). Source: Shopee Open
 * Platform v2 API reference, mirrored as `schemas/v2.*.json` in congminh1254/shopee-sdk. These types
 * never leave `src/channels/shopee/`.
 */

export interface ShopeeStandardiseTier {
  /** 0 for a custom variation (the seller's own name and options). */
  variation_id: number;
  variation_name: string;
  variation_group_id?: number;
  variation_option_list: Array<{
    variation_option_id: number;
    variation_option_name: string;
    image_id?: string;
  }>;
}

export interface ShopeeModelInput {
  tier_index: number[];
  original_price: number;
  model_sku: string;
  seller_stock: Array<{ stock: number }>;
}

export interface ShopeeAddItemBody {
  original_price: number;
  description: string;
  weight: number;
  item_name: string;
  item_status: 'NORMAL' | 'UNLIST';
  item_sku: string;
  category_id: number;
  image: { image_id_list: string[] };
  logistic_info: Array<{ logistic_id: number; enabled: boolean; size_id?: number }>;
  brand: { brand_id: number; original_brand_name: string };
  attribute_list: Array<{
    attribute_id: number;
    attribute_value_list: Array<{ value_id: number; original_value_name?: string }>;
  }>;
  seller_stock: Array<{ stock: number }>;
  dimension?: { package_length: number; package_width: number; package_height: number };
}

export interface ShopeeModel {
  model_id: number;
  model_sku?: string;
  tier_index: number[];
  price_info?: Array<{ original_price: number; current_price?: number }>;
  stock_info_v2?: {
    summary_info?: { total_available_stock?: number };
    seller_stock?: Array<{ stock: number }>;
  };
}

export interface ShopeeModelList {
  tier_variation?: Array<{ name: string; option_list: Array<{ option: string }> }>;
  standardise_tier_variation?: ShopeeStandardiseTier[];
  model: ShopeeModel[];
}

export interface ShopeeItemBaseInfo {
  item_id: number;
  item_status: string;
  item_sku?: string;
  has_model?: boolean;
  create_time?: number;
  update_time?: number;
  price_info?: Array<{ original_price: number }>;
  stock_info_v2?: { summary_info?: { total_available_stock?: number } };
}

export interface ShopeeBatchResult {
  success_list?: Array<{ model_id: number }>;
  failure_list?: Array<{ model_id: number; failed_reason: string }>;
}

/** One entry of `get_order_detail` → `item_list` (opt-in field). */
export interface ShopeeOrderItem {
  item_id: number;
  item_name?: string;
  item_sku?: string;
  model_id?: number;
  model_name?: string;
  model_sku?: string;
  model_quantity_purchased?: number;
  model_original_price?: number;
  /** 0 for bundle-deal items (their prices are only in the escrow API). */
  model_discounted_price?: number;
  order_item_id?: number;
  /** Units of this entry cancelled on their own (partial cancellation), when Shopee reports it. */
  cancelled_qty?: number;
}

/** One order of `get_order_detail` → `order_list`, with the opt-in fields the adapter asks for. */
export interface ShopeeOrderDetail {
  order_sn: string;
  order_status: string;
  create_time: number;
  update_time: number;
  /** 0 (or absent) until paid. */
  pay_time?: number;
  item_list?: ShopeeOrderItem[];
  total_amount?: number;
}

export interface ShopeeOrderList {
  more?: boolean;
  next_cursor?: string;
  order_list?: Array<{ order_sn: string; order_status?: string }>;
}
