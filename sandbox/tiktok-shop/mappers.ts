/**
 * Pure mappers from sandbox state to the TikTok Shop wire format (202309 field names). Money leaves
 * as decimal strings with currency IDR; ids are strings; times are Unix seconds.
 */
import type { TtsOrder, TtsProduct, TtsProductContent, TtsShop, TtsSku } from './store.js';

export const CURRENCY = 'IDR';

export const money = (rupiah: number): string => String(Math.round(rupiah));

export function mapSku(sku: TtsSku) {
  return {
    id: sku.id,
    seller_sku: sku.sellerSku,
    price: { amount: money(sku.price), currency: CURRENCY, sale_price: money(sku.price) },
    inventory: sku.inventory.map((row) => ({ warehouse_id: row.warehouseId, quantity: row.quantity })),
    sales_attributes: sku.salesAttributes.map((attr) => ({
      id: attr.id,
      name: attr.name,
      value_id: attr.valueId,
      value_name: attr.valueName,
      ...(attr.skuImgUri ? { sku_img: { uri: attr.skuImgUri } } : {}),
    })),
    ...(sku.externalSkuId ? { external_sku_id: sku.externalSkuId } : {}),
  };
}

/** Per-platform status: a listing is live on every platform it was listed on once it is ACTIVATE. */
export function integratedPlatformStatuses(product: TtsProduct) {
  return product.listingPlatforms.map((platform) => ({ platform, status: product.status }));
}

/** Get Product `audit.status`: AUDITING while a review runs, else the outcome of the last one. */
export function auditStatus(product: TtsProduct): 'NONE' | 'AUDITING' | 'FAILED' | 'APPROVED' {
  if (product.auditDueAtMs !== undefined) return 'AUDITING';
  if (product.auditFailedReasons.length > 0) return 'FAILED';
  if (product.status === 'ACTIVATE') return 'APPROVED';
  return 'NONE';
}

/**
 * Get Product. For a live product under review the live version (v1) is shown unless the caller
 * asks for `return_under_review_version=true`; status and price/inventory are the live ones.
 */
export function mapProductDetail(
  product: TtsProduct,
  imageUrl: (uri: string) => string,
  options: { underReviewVersion?: boolean } = {},
) {
  const shown: TtsProductContent =
    options.underReviewVersion && product.revision ? product.revision : product;
  return {
    ...productContentFields(shown, imageUrl),
    id: product.id,
    status: product.status,
    audit: { status: auditStatus(product) },
    audit_failed_reasons: product.auditFailedReasons.map((reason) => ({
      position: 'product',
      reasons: [reason],
    })),
    integrated_platform_statuses: integratedPlatformStatuses(product),
    create_time: product.createTime,
    update_time: product.updateTime,
  };
}

function productContentFields(product: TtsProductContent, imageUrl: (uri: string) => string) {
  return {
    title: product.title,
    description: product.description,
    category_chains: [{ id: product.categoryId, is_leaf: true }],
    ...(product.brandId ? { brand: { id: product.brandId } } : {}),
    main_images: product.mainImageUris.map((uri) => ({ uri, urls: [imageUrl(uri)] })),
    skus: product.skus.map(mapSku),
    package_weight: product.packageWeight,
    ...(product.packageDimensions ? { package_dimensions: product.packageDimensions } : {}),
    product_attributes: product.productAttributes,
    is_cod_allowed: product.isCodAllowed,
    ...(product.externalProductId ? { external_product_id: product.externalProductId } : {}),
    listing_platforms: product.listingPlatforms,
  };
}

export function mapProductSummary(product: TtsProduct) {
  return {
    id: product.id,
    title: product.title,
    status: product.status,
    skus: product.skus.map((sku) => {
      const full = mapSku(sku);
      return { id: full.id, seller_sku: full.seller_sku, price: full.price, inventory: full.inventory };
    }),
    sales_regions: ['ID'],
    listing_platforms: product.listingPlatforms,
    integrated_platform_statuses: integratedPlatformStatuses(product),
    create_time: product.createTime,
    update_time: product.updateTime,
  };
}

const WITHHELD_ADDRESS_STATUSES = new Set(['UNPAID', 'ON_HOLD']);

export function mapOrder(order: TtsOrder, shop: TtsShop, imageUrl: (uri: string) => string) {
  const originalTotal = order.lines.reduce((sum, line) => sum + line.originalPrice, 0);
  const sellerDiscount = order.lines.reduce((sum, line) => sum + line.sellerDiscount, 0);
  const platformDiscount = order.lines.reduce((sum, line) => sum + line.platformDiscount, 0);
  const subTotal = originalTotal - sellerDiscount - platformDiscount;
  const lineStatus = order.status === 'CANCELLED' ? 'CANCELLED' : order.status;
  return {
    id: order.id,
    status: order.status,
    ...(shop.region === 'ID' ? { commerce_platform: order.commercePlatform } : {}),
    user_id: order.buyerUserId,
    buyer_message: order.buyerMessage,
    create_time: order.createTime,
    update_time: order.updateTime,
    ...(order.paidTime !== undefined ? { paid_time: order.paidTime } : {}),
    shipping_type: 'TIKTOK',
    delivery_option_name: 'Reguler',
    warehouse_id: shop.defaultWarehouseId,
    is_cod: false,
    is_on_hold_order: order.status === 'ON_HOLD',
    payment: {
      currency: CURRENCY,
      sub_total: money(subTotal),
      shipping_fee: money(order.shippingFee),
      seller_discount: money(sellerDiscount),
      platform_discount: money(platformDiscount),
      total_amount: money(subTotal + order.shippingFee),
      original_total_product_price: money(originalTotal),
      original_shipping_fee: money(order.shippingFee),
      shipping_fee_seller_discount: '0',
      shipping_fee_platform_discount: '0',
      tax: '0',
      buyer_service_fee: '0',
      shipping_insurance_fee: '0',
      item_insurance_fee: '0',
    },
    ...(WITHHELD_ADDRESS_STATUSES.has(order.status)
      ? {}
      : {
          recipient_address: {
            name: order.recipient.name,
            phone_number: order.recipient.phone,
            full_address: order.recipient.address,
            postal_code: order.recipient.postalCode,
            region_code: 'ID',
            district_info: [{ address_level_name: 'City', address_name: order.recipient.city }],
          },
        }),
    line_items: order.lines.map((line) => ({
      id: line.id,
      product_id: line.productId,
      sku_id: line.skuId,
      seller_sku: line.sellerSku,
      product_name: line.productName,
      sku_name: line.skuName,
      sku_image: imageUrl(line.skuImageUri),
      original_price: money(line.originalPrice),
      sale_price: money(line.salePrice),
      seller_discount: money(line.sellerDiscount),
      platform_discount: money(line.platformDiscount),
      currency: CURRENCY,
      display_status: line.cancelled ? 'CANCELLED' : lineStatus,
      ...(line.cancelled || order.status === 'CANCELLED' ? { cancel_user: 'BUYER' } : {}),
      is_gift: false,
      sku_type: 'NORMAL',
    })),
  };
}
