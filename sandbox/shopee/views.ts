import type { ShopeeRuntime } from './runtime.js';
import type { ShopeeItem, ShopeeModel, TierVariation } from './store.js';

/** Wire shapes of the product APIs, built from store records. Money is IDR in major units (integers). */

export function imageUrl(rt: ShopeeRuntime, imageId: string): string {
  return `${rt.ctx.baseUrl()}/shopee/file/${imageId}`;
}

const priceInfo = (price: number) => [{ currency: 'IDR', original_price: price, current_price: price }];

const stockInfo = (stock: number) => ({
  summary_info: { total_reserved_stock: 0, total_available_stock: stock },
  seller_stock: [{ location_id: 'IDZ', stock }],
});

export function totalStock(item: ShopeeItem): number {
  return item.models.length > 0 ? item.models.reduce((sum, m) => sum + m.stock, 0) : item.stock;
}

export function tierView(rt: ShopeeRuntime, tiers: TierVariation[]) {
  return tiers.map((tier) => ({
    name: tier.name,
    option_list: tier.options.map((o) =>
      o.imageId === undefined
        ? { option: o.option }
        : { option: o.option, image: { image_id: o.imageId, image_url: imageUrl(rt, o.imageId) } },
    ),
  }));
}

export function modelView(item: ShopeeItem, model: ShopeeModel) {
  return {
    model_id: model.modelId,
    tier_index: model.tierIndex,
    model_name: model.tierIndex
      .map((index, tier) => item.tiers[tier]?.options[index]?.option ?? '')
      .join(','),
    model_sku: model.modelSku,
    model_status: 'MODEL_NORMAL',
    price_info: priceInfo(model.price),
    stock_info_v2: stockInfo(model.stock),
  };
}

export function itemBaseInfo(rt: ShopeeRuntime, item: ShopeeItem) {
  const hasModel = item.models.length > 0;
  return {
    item_id: item.itemId,
    category_id: item.categoryId,
    item_name: item.itemName,
    description: item.description,
    description_type: 'normal',
    item_sku: item.itemSku,
    create_time: item.createTime,
    update_time: item.updateTime,
    attribute_list: item.attributes,
    // Documented: price_info is only present for items without models.
    ...(hasModel ? {} : { price_info: priceInfo(item.price) }),
    image: { image_id_list: item.imageIds, image_url_list: item.imageIds.map((id) => imageUrl(rt, id)) },
    weight: String(item.weight),
    ...(item.dimension ? { dimension: item.dimension } : {}),
    logistic_info: item.logisticInfo,
    pre_order: { is_pre_order: false, days_to_ship: 2 },
    condition: item.condition,
    item_status: item.status,
    has_model: hasModel,
    brand: item.brand,
    item_dangerous: 0,
    stock_info_v2: stockInfo(totalStock(item)),
  };
}
