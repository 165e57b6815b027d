/**
 * TikTok Shop Partner API wire shapes the adapter reads and writes (only the fields it uses).
 * Source: TikTok Shop API reference (product 202309/202502), mirrored in lazykern/ecommerce-api-docs.
 * These types never leave `src/channels/tiktok-shop/`.
 */

export interface TiktokSkuInput {
  id?: string;
  seller_sku: string;
  price: { amount: string; currency: 'IDR' };
  inventory: Array<{ warehouse_id: string; quantity: number }>;
  sales_attributes?: Array<{ name: string; value_name: string }>;
}

export interface TiktokProductBody {
  title: string;
  description: string;
  category_id: string;
  main_images: Array<{ uri: string }>;
  skus: TiktokSkuInput[];
  package_weight: { value: string; unit: 'KILOGRAM' };
  package_dimensions?: { length: string; width: string; height: string; unit: 'CENTIMETER' };
  brand_id?: string;
  product_attributes?: Array<{ id: string; values: Array<{ id?: string; name?: string }> }>;
  listing_platforms: string[];
}

export interface TiktokProductDetail {
  id: string;
  status: string;
  create_time?: number;
  skus?: Array<{
    id: string;
    seller_sku?: string;
    price?: { amount?: string; sale_price?: string };
    inventory?: Array<{ warehouse_id?: string; quantity?: number }>;
  }>;
}

export interface TiktokBatchErrors {
  errors?: Array<{ code: number; message: string; detail?: { product_id?: string } }>;
}

/** One unit of an order (`line_items[]`); TikTok has no quantity field. */
export interface TiktokOrderLineItem {
  id: string;
  product_id?: string;
  product_name?: string;
  sku_id?: string;
  seller_sku?: string;
  original_price?: string;
  sale_price?: string;
  seller_discount?: string;
  platform_discount?: string;
  /** Per line: UNPAID, AWAITING_SHIPMENT, …, CANCELLED (a unit cancelled on its own). */
  display_status?: string;
  is_gift?: boolean;
}

/** An order as Get Order List and Get Order Detail return it (only the fields the adapter reads). */
export interface TiktokOrder {
  id: string;
  status: string;
  create_time: number;
  update_time?: number;
  paid_time?: number;
  line_items?: TiktokOrderLineItem[];
}
