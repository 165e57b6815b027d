import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryValue, shopApi } from '../api.js';
import {
  attributesOf,
  brandsOf,
  categories,
  categoryById,
  formatType,
  inputType,
  NO_BRAND,
} from '../catalog.js';
import { WithWarning } from '../envelope.js';
import { ShopeeError, shopeeErrors } from '../errors.js';
import { checkLogistics, type Dimension, type LogisticEntry } from '../logistics.js';
import type { ShopeeRuntime } from '../runtime.js';
import {
  type AttributeInput,
  type ItemStatus,
  itemStatuses,
  type ShopeeItem,
  type ShopeeModel,
  type TierVariation,
} from '../store.js';
import { intParam, listParam, parseInput } from '../validation.js';
import { itemBaseInfo, modelView, tierView } from '../views.js';

const MAX_TIERS = 2;
const MAX_MODELS = 50;
const MAX_BATCH = 50;
/** get_item_list refuses deep offsets ("offset over limit"); the real ceiling is unpublished. */
const ITEM_LIST_MAX_OFFSET = 10_000;

const attributeInput = z.object({
  attribute_id: z.number().int(),
  attribute_value_list: z
    .array(
      z.object({
        value_id: z.number().int(),
        original_value_name: z.string().optional(),
        value_unit: z.string().optional(),
      }),
    )
    .min(1),
});
const sellerStock = z
  .array(z.object({ location_id: z.string().optional(), stock: z.number().int().min(0) }))
  .min(1);
// Documented as int32 centimetres.
const dimension = z.object({
  package_length: z.number().int().positive(),
  package_width: z.number().int().positive(),
  package_height: z.number().int().positive(),
});
const brand = z.object({ brand_id: z.number().int().min(0), original_brand_name: z.string() });
const logisticInfo = z
  .array(
    z.looseObject({
      logistic_id: z.number().int(),
      enabled: z.boolean(),
      size_id: z.union([z.number().int(), z.string()]).optional(),
      shipping_fee: z.number().min(0).optional(),
      is_free: z.boolean().optional(),
    }),
  )
  .min(1);

const itemFields = {
  description: z.string(),
  weight: z.number().positive(),
  item_name: z.string(),
  logistic_info: logisticInfo,
  category_id: z.number().int(),
  image: z.object({ image_id_list: z.array(z.string()) }),
  item_sku: z.string().max(100).optional(),
  attribute_list: z.array(attributeInput).optional(),
  brand: brand.optional(),
  dimension: dimension.optional(),
  condition: z.enum(['NEW', 'USED']).optional(),
};

const addItemBody = z.object({
  original_price: z.number(),
  ...itemFields,
  item_status: z.enum(['NORMAL', 'UNLIST']).optional(),
  // Optional in the reference, but without it the item's stock is silently 0: required here.
  seller_stock: sellerStock,
});

const updateItemBody = z.object({
  item_id: z.number().int(),
  description: itemFields.description.optional(),
  weight: itemFields.weight.optional(),
  item_name: itemFields.item_name.optional(),
  logistic_info: logisticInfo.optional(),
  category_id: itemFields.category_id.optional(),
  image: itemFields.image.optional(),
  item_sku: itemFields.item_sku,
  attribute_list: itemFields.attribute_list,
  brand: itemFields.brand,
  dimension: itemFields.dimension,
  condition: itemFields.condition,
  item_status: z.enum(['NORMAL', 'UNLIST']).optional(),
});

const tierInput = z.object({
  name: z.string(),
  option_list: z
    .array(z.object({ option: z.string(), image: z.object({ image_id: z.string() }).optional() }))
    .min(1),
});
// variation_id / variation_option_id are required (0 = a custom variation, as in the reference samples).
const standardTierInput = z.object({
  variation_id: z.number().int(),
  variation_name: z.string(),
  variation_group_id: z.number().int().optional(),
  variation_option_list: z
    .array(
      z.object({
        variation_option_id: z.number().int(),
        variation_option_name: z.string(),
        image_id: z.string().optional(),
      }),
    )
    .min(1),
});
const modelInput = z.object({
  // Empty only when init_tier_variation turns an item back into one without variations.
  tier_index: z.array(z.number().int().min(0)),
  original_price: z.number(),
  model_sku: z.string().optional(),
  seller_stock: sellerStock,
});
const initTierBody = z.object({
  item_id: z.number().int(),
  tier_variation: z.array(tierInput).optional(),
  standardise_tier_variation: z.array(standardTierInput).optional(),
  model: z.array(modelInput),
});
const updateTierBody = z.object({
  item_id: z.number().int(),
  tier_variation: z.array(tierInput).optional(),
  standardise_tier_variation: z.array(standardTierInput).optional(),
  model_list: z
    .array(z.object({ model_id: z.number().int(), tier_index: z.array(z.number().int().min(0)).min(1) }))
    .optional(),
});
const addModelBody = z.object({ item_id: z.number().int(), model_list: z.array(modelInput) });
const updatePriceBody = z.object({
  item_id: z.number().int(),
  price_list: z.array(z.object({ model_id: z.number().int().min(0).default(0), original_price: z.number() })),
});
const updateStockBody = z.object({
  item_id: z.number().int(),
  stock_list: z.array(z.object({ model_id: z.number().int().min(0).default(0), seller_stock: sellerStock })),
});
const unlistBody = z.object({
  item_list: z.array(z.object({ item_id: z.number().int(), unlist: z.boolean() })),
});
const deleteBody = z.object({ item_id: z.number().int() });
const updateModelBody = z.object({
  item_id: z.number().int(),
  model: z.array(z.object({ model_id: z.number().int(), model_sku: z.string().optional() })),
});
const deleteModelBody = z.object({ item_id: z.number().int(), model_id: z.number().int() });

type ItemFieldsInput = Partial<z.infer<typeof updateItemBody>>;

function checkPrice(rt: ShopeeRuntime, price: number): void {
  // Indonesia has no minor unit: Shopee accepts only whole rupiah for ID shops.
  if (!Number.isInteger(price))
    throw shopeeErrors.param('Wrong parameters, detail: price should be integer for ID region.');
  if (price < rt.config.itemLimit.priceMin)
    throw new ShopeeError(
      'error_price_exceed_min_limitt',
      `Price is lower than the minimum ${rt.config.itemLimit.priceMin}.`,
    );
  if (price > rt.config.itemLimit.priceMax)
    throw new ShopeeError(
      'error_price_exceed_max_limitt',
      `Price is higher than the maximum ${rt.config.itemLimit.priceMax}.`,
    );
}

function checkStock(rt: ShopeeRuntime, stock: number): void {
  if (stock > rt.config.itemLimit.stockMax)
    throw shopeeErrors.param(
      `Wrong parameters, detail: stock should not exceed ${rt.config.itemLimit.stockMax}.`,
    );
}

function checkImages(rt: ShopeeRuntime, partnerId: number, imageIds: string[]): void {
  for (const id of imageIds) {
    const image = rt.store.images.get(id);
    if (!image || image.partnerId !== partnerId) throw shopeeErrors.imageNotExist();
  }
}

function checkAttributes(categoryId: number, attributes: AttributeInput[]): void {
  const allowed = attributesOf(categoryId);
  const seen = new Set<number>();
  for (const given of attributes) {
    const def = allowed.find((a) => a.attribute.attributeId === given.attribute_id)?.attribute;
    if (!def) throw new ShopeeError('error_invalid_category_attribute', 'Category and attribute not match.');
    if (seen.has(def.attributeId))
      throw shopeeErrors.param(`Invalid attribute. attribute_id ${def.attributeId} is repeated.`);
    seen.add(def.attributeId);
    const multi = def.inputType === inputType.MULTI_DROP_DOWN || def.inputType === inputType.MULTI_COMBO_BOX;
    const max = multi ? def.maxValueCount : 1;
    if (given.attribute_value_list.length > max)
      throw shopeeErrors.param(
        `Invalid attribute. attribute ${def.attributeId} takes at most ${max} value(s).`,
      );
    for (const value of given.attribute_value_list) {
      if (def.inputType === inputType.FREE_TEXT_FILED && value.value_id !== 0)
        throw new ShopeeError('error_value_id_must_equal_zero', 'Value_id must equal 0.');
      if (value.value_id === 0) {
        const customAllowed =
          def.inputType !== inputType.SINGLE_DROP_DOWN && def.inputType !== inputType.MULTI_DROP_DOWN;
        if (!customAllowed)
          throw new ShopeeError('error_invalid_attribute_value', 'Invalid attribute value.');
        if ((value.original_value_name ?? '').trim() === '')
          throw new ShopeeError('error_value_name_required', 'Value_name is required.');
        if (
          def.formatType === formatType.QUANTITATIVE_WITH_UNIT &&
          (value.value_unit === undefined || !def.units.includes(value.value_unit))
        )
          throw shopeeErrors.param(
            `Invalid attribute. value_unit of attribute ${def.attributeId} should be one of ${def.units.join('/')}.`,
          );
      } else if (!def.values.some((v) => v.valueId === value.value_id)) {
        throw new ShopeeError('error_invalid_attribute_value', 'Invalid attribute value.');
      }
    }
  }
  for (const required of allowed.filter((a) => a.mandatory)) {
    const given = attributes.find((a) => a.attribute_id === required.attribute.attributeId);
    if (!given || given.attribute_value_list.length === 0) {
      throw new ShopeeError('error_less_required_attribute', 'Mandatory attribute information required');
    }
  }
}

type BrandInput = { brand_id: number; original_brand_name: string };

/** Brand rules of the category: present when `is_mandatory`, and one of `get_brand_list` (0 = No Brand). */
function checkBrand(categoryId: number, given: BrandInput | undefined): BrandInput {
  const { brands, mandatory } = brandsOf(categoryId);
  if (given === undefined) {
    if (mandatory) throw new ShopeeError('error_less_required_brand', 'Brand information required');
    return { brand_id: NO_BRAND.brandId, original_brand_name: NO_BRAND.name };
  }
  const known = brands.find((b) => b.brandId === given.brand_id);
  if (!known) throw new ShopeeError('error_invalid_brand', 'Invalid brand');
  return { brand_id: known.brandId, original_brand_name: known.name };
}

/** `normal_stock` went offline on 2022-10-31 (add_model update log); `seller_stock` replaces it. */
function refuseNormalStock(body: Record<string, unknown>, lists: string[]): void {
  const offline = () =>
    shopeeErrors.param('Wrong parameters, detail: normal_stock is offline, please use seller_stock.');
  if ('normal_stock' in body) throw offline();
  for (const key of lists) {
    const list = body[key];
    if (Array.isArray(list) && list.some((m) => typeof m === 'object' && m !== null && 'normal_stock' in m))
      throw offline();
  }
}

/** The documented listing validations, against the limits `get_item_limit` reports. */
function checkItemFields(
  rt: ShopeeRuntime,
  partnerId: number,
  fields: ItemFieldsInput,
  current?: ShopeeItem,
): { brand: BrandInput | undefined } {
  const limit = rt.config.itemLimit;
  if (fields.item_name !== undefined) {
    if (fields.item_name.length < limit.itemNameMin)
      throw new ShopeeError(
        'error_item_name_is_too_short',
        `Item name should be at least ${limit.itemNameMin} characters.`,
      );
    if (fields.item_name.length > limit.itemNameMax)
      throw new ShopeeError(
        'error_name_length_limit',
        `Item name should not exceed ${limit.itemNameMax} characters.`,
      );
  }
  if (fields.description !== undefined) {
    if (fields.description.length < limit.descriptionMin)
      throw new ShopeeError(
        'error_desc_length_min_limit',
        `Description should be at least ${limit.descriptionMin} characters.`,
      );
    if (fields.description.length > limit.descriptionMax)
      throw new ShopeeError(
        'error_desc_length_max_limit',
        `Description should not exceed ${limit.descriptionMax} characters.`,
      );
  }
  if (fields.image !== undefined) {
    const count = fields.image.image_id_list.length;
    if (count < limit.imageMin)
      throw new ShopeeError('error_image_num_min', `At least ${limit.imageMin} image is required.`);
    if (count > limit.imageMax)
      throw new ShopeeError('error_image_num_max', `At most ${limit.imageMax} images are allowed.`);
    checkImages(rt, partnerId, fields.image.image_id_list);
  }
  const categoryId = fields.category_id ?? current?.categoryId;
  if (fields.category_id !== undefined) {
    const category = categoryById.get(fields.category_id);
    if (!category || category.hasChildren)
      throw shopeeErrors.param(
        'Wrong parameters, detail: category_id is invalid, please use a leaf category.',
      );
  }
  if (categoryId !== undefined && (fields.attribute_list !== undefined || fields.category_id !== undefined)) {
    checkAttributes(categoryId, fields.attribute_list ?? current?.attributes ?? []);
  }
  let brand: BrandInput | undefined;
  if (categoryId !== undefined && (fields.brand !== undefined || fields.category_id !== undefined)) {
    brand = checkBrand(categoryId, fields.brand ?? current?.brand);
  }
  if (fields.logistic_info !== undefined || fields.weight !== undefined || fields.dimension !== undefined) {
    const entries = (fields.logistic_info ?? current?.logisticInfo ?? []) as LogisticEntry[];
    const weight = fields.weight ?? current?.weight ?? 0;
    const size: Dimension | undefined = fields.dimension ?? current?.dimension;
    checkLogistics(entries, weight, size);
  }
  return { brand };
}

function findItem(rt: ShopeeRuntime, shopId: number, itemId: number): ShopeeItem {
  const item = rt.store.shopItem(shopId, itemId, rt.nowMs());
  if (!item || item.status === 'SELLER_DELETE' || item.status === 'SHOPEE_DELETE')
    throw shopeeErrors.itemNotFound(itemId);
  return item;
}

function normaliseTiers(
  input: Pick<z.infer<typeof initTierBody>, 'tier_variation' | 'standardise_tier_variation'>,
): TierVariation[] {
  if (input.standardise_tier_variation !== undefined) {
    // The sandbox serves no standard variations (`get_variations`): only custom ones, id 0, exist.
    for (const t of input.standardise_tier_variation) {
      if (t.variation_id !== 0)
        throw shopeeErrors.param(`Wrong parameters, detail: variation_id ${t.variation_id} is invalid.`);
      for (const o of t.variation_option_list)
        if (o.variation_option_id !== 0)
          throw shopeeErrors.param(
            `Wrong parameters, detail: variation_option_id ${o.variation_option_id} is invalid.`,
          );
    }
    return input.standardise_tier_variation.map((t) => ({
      name: t.variation_name,
      options: t.variation_option_list.map((o) =>
        o.image_id === undefined
          ? { option: o.variation_option_name }
          : { option: o.variation_option_name, imageId: o.image_id },
      ),
    }));
  }
  if (input.tier_variation !== undefined) {
    return input.tier_variation.map((t) => ({
      name: t.name,
      options: t.option_list.map((o) =>
        o.image === undefined ? { option: o.option } : { option: o.option, imageId: o.image.image_id },
      ),
    }));
  }
  throw shopeeErrors.required('standardise_tier_variation');
}

function buildModels(
  rt: ShopeeRuntime,
  tiers: TierVariation[],
  existing: ShopeeModel[],
  inputs: Array<z.infer<typeof modelInput>>,
): ShopeeModel[] {
  if (existing.length + inputs.length > MAX_MODELS)
    throw shopeeErrors.param(`Wrong parameters, detail: model number at most ${MAX_MODELS}.`);
  const seen = new Set(existing.map((m) => m.tierIndex.join(',')));
  return inputs.map((input) => {
    if (
      input.tier_index.length !== tiers.length ||
      input.tier_index.some((index, tier) => index >= (tiers[tier]?.options.length ?? 0))
    ) {
      throw shopeeErrors.param(
        `Wrong parameters, detail: tier_index ${JSON.stringify(input.tier_index)} does not match the tier variation.`,
      );
    }
    const key = input.tier_index.join(',');
    if (seen.has(key))
      throw shopeeErrors.param(
        `Wrong parameters, detail: duplicate tier_index ${JSON.stringify(input.tier_index)}.`,
      );
    seen.add(key);
    checkPrice(rt, input.original_price);
    const stock = input.seller_stock.reduce((sum, s) => sum + s.stock, 0);
    checkStock(rt, stock);
    const sku = input.model_sku ?? '';
    if (sku.length > rt.config.itemLimit.modelSkuMax)
      throw shopeeErrors.param('Wrong parameters, detail: model_sku is too long.');
    rt.store.sequence.model += 1;
    return {
      modelId: rt.store.sequence.model,
      tierIndex: [...input.tier_index],
      modelSku: sku,
      price: input.original_price,
      stock,
    };
  });
}

function checkTiers(rt: ShopeeRuntime, partnerId: number, tiers: TierVariation[]): void {
  if (tiers.length < 1 || tiers.length > MAX_TIERS)
    throw shopeeErrors.param(
      `Wrong parameters, detail: tier_variation length should be between 1 and ${MAX_TIERS}.`,
    );
  for (const tier of tiers) {
    if (tier.name === '' || tier.name.length > rt.config.itemLimit.tierNameMax)
      throw shopeeErrors.param('Wrong parameters, detail: tier variation name length is invalid.');
    const names = new Set<string>();
    for (const option of tier.options) {
      if (option.option === '' || option.option.length > rt.config.itemLimit.tierOptionMax)
        throw shopeeErrors.param('Wrong parameters, detail: tier variation option length is invalid.');
      if (names.has(option.option))
        throw shopeeErrors.param(`Wrong parameters, detail: duplicate option ${option.option}.`);
      names.add(option.option);
      if (option.imageId !== undefined) checkImages(rt, partnerId, [option.imageId]);
    }
  }
}

/**
 * Request-level model_id rules of update_price / update_stock (strictest reading: the reference lists
 * "Wrong model_id." and "Repeat model_id." as errors, so nothing is written and nothing lands in
 * failure_list). model_id 0 addresses an item without models only.
 */
function checkModelIds(item: ShopeeItem, ids: number[], hasModelError: ShopeeError): void {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) throw shopeeErrors.param('Repeat model_id.');
    seen.add(id);
    if (item.models.length > 0) {
      if (id === 0) throw hasModelError;
      if (!item.models.some((m) => m.modelId === id)) throw shopeeErrors.param('Wrong model_id.');
    } else if (id !== 0) throw shopeeErrors.param('Wrong model_id.');
  }
}

function batchLength(list: unknown[], field: string): void {
  if (list.length < 1 || list.length > MAX_BATCH)
    throw shopeeErrors.param(
      `Wrong parameters, detail: ${field} length should be between 1 and ${MAX_BATCH}.`,
    );
}

export function registerProductRoutes(app: FastifyInstance, rt: ShopeeRuntime): void {
  // v2.product.get_category
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/product/get_category',
    handler: ({ query }) => {
      const language = queryValue(query, 'language') ?? 'en';
      return {
        category_list: categories.map((cat) => ({
          category_id: cat.id,
          parent_category_id: cat.parentId,
          original_category_name: cat.en,
          display_category_name: language === 'id' ? cat.id_ : cat.en,
          has_children: cat.hasChildren,
        })),
      };
    },
  });

  // v2.product.get_attribute_tree
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/product/get_attribute_tree',
    handler: ({ query }) => {
      const ids = listParam(query, 'category_id_list');
      if (ids.length < 1 || ids.length > 20)
        throw shopeeErrors.param(
          'Wrong parameters, detail: category_id_list length should be between 1 and 20.',
        );
      const language = queryValue(query, 'language') ?? 'en';
      const name = (x: { en: string; id_: string }) => (language === 'id' ? x.id_ : x.en);
      return {
        list: ids.map((raw) => {
          const id = Number(raw);
          const category = categoryById.get(id);
          if (!category || category.hasChildren)
            return { category_id: id, attribute_tree: [], warning: 'category is not a leaf category' };
          return {
            category_id: id,
            attribute_tree: attributesOf(id).map(({ attribute, mandatory }) => ({
              attribute_id: attribute.attributeId,
              mandatory,
              name: name(attribute),
              attribute_value_list: attribute.values.map((v) => ({
                value_id: v.valueId,
                name: name(v),
                multi_lang: [
                  { language: 'en', value: v.en },
                  { language: 'id', value: v.id_ },
                ],
              })),
              attribute_info: {
                input_type: attribute.inputType,
                input_validation_type: attribute.formatType === formatType.QUANTITATIVE_WITH_UNIT ? 3 : 0,
                format_type: attribute.formatType,
                ...(attribute.units.length > 0 ? { attribute_unit_list: attribute.units } : {}),
                max_value_count: attribute.maxValueCount,
                is_oem: false,
                support_search_value: false,
              },
              multi_lang: [
                { language: 'en', value: attribute.en },
                { language: 'id', value: attribute.id_ },
              ],
            })),
          };
        }),
      };
    },
  });

  // v2.product.get_brand_list — brands of a leaf category; brand_id 0 is "No Brand".
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/product/get_brand_list',
    handler: ({ query }) => {
      const offset = intParam(query, 'offset', { required: true }) ?? 0;
      const pageSize = intParam(query, 'page_size', { required: true }) ?? 0;
      const categoryId = intParam(query, 'category_id', { required: true }) ?? 0;
      const status = intParam(query, 'status');
      if (status === undefined) throw shopeeErrors.param('status is required.');
      if (status !== 1 && status !== 2)
        throw shopeeErrors.param('Wrong parameters, detail: status should be 1 or 2.');
      if (pageSize < 1 || pageSize > 100)
        throw shopeeErrors.param('Wrong parameters, detail: page_size should be between 1 and 100.');
      if (offset < 0) throw shopeeErrors.param('Wrong parameters, detail: offset should not be negative.');
      const category = categoryById.get(categoryId);
      if (!category || category.hasChildren)
        throw new ShopeeError('error_invalid_category', 'Invalid category ID');
      const { brands, mandatory } = brandsOf(categoryId);
      // status 2 lists the shop's brand registrations under review: the sandbox has none.
      const all = status === 1 ? brands : [];
      const page = all.slice(offset, offset + pageSize);
      const more = offset + pageSize < all.length;
      return {
        brand_list: page.map((b) => ({
          brand_id: b.brandId,
          original_brand_name: b.name,
          display_brand_name: b.brandId === NO_BRAND.brandId ? 'No Brand' : b.name,
        })),
        has_next_page: more,
        next_offset: more ? offset + pageSize : all.length,
        is_mandatory: mandatory,
        input_type: 'DROP_DOWN',
      };
    },
  });

  // v2.product.get_item_limit
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/product/get_item_limit',
    handler: () => {
      const l = rt.config.itemLimit;
      return {
        price_limit: { min_limit: l.priceMin, max_limit: l.priceMax },
        stock_limit: { min_limit: 0, max_limit: l.stockMax },
        item_name_length_limit: { min_limit: l.itemNameMin, max_limit: l.itemNameMax },
        item_image_count_limit: { min_limit: l.imageMin, max_limit: l.imageMax },
        item_description_length_limit: { min_limit: l.descriptionMin, max_limit: l.descriptionMax },
        tier_variation_name_length_limit: { min_limit: 1, max_limit: l.tierNameMax },
        tier_variation_option_length_limit: { min_limit: 1, max_limit: l.tierOptionMax },
        item_count_limit: { max_limit: l.itemCountMax },
        dts_limit: { days_to_ship_limit: { min_limit: 1, max_limit: 3 }, non_pre_order_days_to_ship: 2 },
        weight_limit: { item_max_weight: 300, item_min_weight: 0.01 },
        dimension_mandatory_type: 'OPTIONAL',
      };
    },
  });

  // v2.product.add_item
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/add_item',
    handler: ({ body, shopId, partner }) => {
      refuseNormalStock(body, []);
      const input = parseInput(addItemBody, body);
      // "optional(expect Indonesia)": every sandbox shop is Indonesian.
      if (input.attribute_list === undefined) throw shopeeErrors.required('attribute_list');
      const { brand } = checkItemFields(rt, partner.partnerId, input);
      checkPrice(rt, input.original_price);
      const stock = input.seller_stock.reduce((sum, s) => sum + s.stock, 0);
      checkStock(rt, stock);
      const live = [...rt.store.items.values()].filter(
        (i) => i.shopId === shopId && !i.status.endsWith('DELETE'),
      ).length;
      if (live >= rt.config.itemLimit.itemCountMax)
        throw new ShopeeError('error_item_count_limit', 'Item count has reached the shop limit.');
      const now = rt.nowMs();
      const requested: ItemStatus = input.item_status ?? 'NORMAL';
      rt.store.sequence.item += 1;
      const item: ShopeeItem = {
        itemId: rt.store.sequence.item,
        shopId,
        itemName: input.item_name,
        description: input.description,
        itemSku: input.item_sku ?? '',
        categoryId: input.category_id,
        price: input.original_price,
        stock,
        status: rt.config.reviewDelayMs > 0 ? 'REVIEWING' : requested,
        createTime: Math.floor(now / 1000),
        createdAtMs: now,
        updateTime: Math.floor(now / 1000),
        imageIds: input.image.image_id_list,
        weight: input.weight,
        attributes: input.attribute_list,
        brand: brand ?? { brand_id: NO_BRAND.brandId, original_brand_name: NO_BRAND.name },
        condition: input.condition ?? 'NEW',
        logisticInfo: input.logistic_info,
        tiers: [],
        models: [],
      };
      if (input.dimension) item.dimension = input.dimension;
      if (rt.config.reviewDelayMs > 0) {
        item.reviewUntil = now + rt.config.reviewDelayMs;
        item.statusAfterReview = requested;
      }
      rt.store.items.set(item.itemId, item);
      return itemBaseInfo(rt, item);
    },
  });

  // v2.product.update_item
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/update_item',
    handler: ({ body, shopId, partner }) => {
      refuseNormalStock(body, []);
      const input = parseInput(updateItemBody, body);
      const item = findItem(rt, shopId, input.item_id);
      if (input.item_status !== undefined && item.status === 'BANNED')
        throw new ShopeeError('error_busi_item_status_invalid', 'Invalid item status.');
      const { brand } = checkItemFields(rt, partner.partnerId, input, item);
      if (input.item_name !== undefined) item.itemName = input.item_name;
      if (input.description !== undefined) item.description = input.description;
      if (input.item_sku !== undefined) item.itemSku = input.item_sku;
      if (input.category_id !== undefined) item.categoryId = input.category_id;
      if (input.attribute_list !== undefined) item.attributes = input.attribute_list;
      if (input.image !== undefined) item.imageIds = input.image.image_id_list;
      if (input.weight !== undefined) item.weight = input.weight;
      if (input.dimension !== undefined) item.dimension = input.dimension;
      if (input.condition !== undefined) item.condition = input.condition;
      if (input.logistic_info !== undefined) item.logisticInfo = input.logistic_info;
      if (brand !== undefined) item.brand = brand;
      if (input.item_status !== undefined) {
        // An item still in review takes the asked status when the review ends.
        if (item.status === 'REVIEWING') item.statusAfterReview = input.item_status;
        else item.status = input.item_status;
      }
      item.updateTime = rt.nowSeconds();
      return itemBaseInfo(rt, item);
    },
  });

  // v2.product.init_tier_variation — sets (or replaces: no/one/two tiers ↔ one/two/no tiers) the tier
  // structure; the item's previous models are removed, as the variant-management guide says.
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/init_tier_variation',
    handler: ({ body, shopId, partner }) => {
      refuseNormalStock(body, ['model']);
      const input = parseInput(initTierBody, body);
      const item = findItem(rt, shopId, input.item_id);
      // "Please wait at least 5 seconds after creating an item before creating variants."
      const createdAtMs = item.createdAtMs ?? item.createTime * 1000;
      if (rt.nowMs() - createdAtMs < rt.config.variationDelayMs)
        throw new ShopeeError(
          'error_system_busy',
          'Our system is taking some time to respond, please try later.',
        );
      const tiers = normaliseTiers(input);
      if (input.model.length < 1) throw shopeeErrors.required('model');
      if (tiers.length === 0) {
        // Back to an item without variations: one model with an empty tier_index carries price and stock.
        const only = input.model[0];
        if (input.model.length !== 1 || !only || only.tier_index.length !== 0)
          throw shopeeErrors.param('Model tier_index error.');
        checkPrice(rt, only.original_price);
        const stock = only.seller_stock.reduce((sum, s) => sum + s.stock, 0);
        checkStock(rt, stock);
        item.tiers = [];
        item.models = [];
        item.price = only.original_price;
        item.stock = stock;
        if (only.model_sku !== undefined) item.itemSku = only.model_sku;
        item.updateTime = rt.nowSeconds();
        return { item_id: item.itemId, tier_variation: [], model: [] };
      }
      checkTiers(rt, partner.partnerId, tiers);
      const models = buildModels(rt, tiers, [], input.model);
      item.tiers = tiers;
      item.models = models;
      item.updateTime = rt.nowSeconds();
      return {
        item_id: item.itemId,
        tier_variation: tierView(rt, tiers),
        model: models.map((m) => modelView(item, m)),
      };
    },
  });

  // v2.product.update_tier_variation — rename, add, delete or reorder options of the existing tiers.
  // The item keeps exactly the models named in `model_list`, at their new tier_index; every other model
  // is deleted (variant-management guide, scenarios 3-4: "delete both option and model information").
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/update_tier_variation',
    handler: ({ body, shopId, partner }) => {
      const input = parseInput(updateTierBody, body);
      const item = findItem(rt, shopId, input.item_id);
      if (item.tiers.length === 0)
        throw new ShopeeError(
          'error_tier_var_is_',
          'Item without tier-variation. Please use init_tier_variation api to upgrade the structure.',
        );
      const tiers = normaliseTiers(input);
      checkTiers(rt, partner.partnerId, tiers);
      if (tiers.length !== item.tiers.length)
        throw new ShopeeError('error_tier_var_level_not_same', 'Item tier-variation level not same');
      const list = input.model_list ?? [];
      if (list.length === 0)
        throw new ShopeeError('error_busi_cannot_delete_all_model', 'Cannot delete all models by this api.');
      const ids = new Set<number>();
      const indexes = new Set<string>();
      const next: ShopeeModel[] = [];
      for (const entry of list) {
        if (ids.has(entry.model_id))
          throw new ShopeeError(
            'error_duplicate_modelid',
            `The model_id is duplicate, model_id:${entry.model_id}`,
          );
        ids.add(entry.model_id);
        const model = item.models.find((m) => m.modelId === entry.model_id);
        if (!model)
          throw new ShopeeError(
            'error_wrong_modelid',
            `The model_id is wrong or not related to this item, model_id:${entry.model_id}`,
          );
        if (entry.tier_index.length !== tiers.length)
          throw new ShopeeError(
            'error_model_tier_index_level_mismatch_var_level',
            'Item tier_index level mismatch tier variation list level.',
          );
        if (entry.tier_index.some((index, tier) => index >= (tiers[tier]?.options.length ?? 0)))
          throw new ShopeeError('error_tier_index', 'The tier_index is not exist');
        const key = entry.tier_index.join(',');
        if (indexes.has(key))
          throw new ShopeeError(
            'error_model_duplicate_tier_variation_index',
            'Item have duplicate tier_index.',
          );
        indexes.add(key);
        next.push({ ...model, tierIndex: [...entry.tier_index] });
      }
      item.tiers = tiers;
      item.models = next;
      item.updateTime = rt.nowSeconds();
      return {
        item_id: item.itemId,
        tier_variation: tierView(rt, tiers),
        model: next.map((m) => ({ model_id: m.modelId, tier_index: m.tierIndex })),
      };
    },
  });

  // v2.product.add_model
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/add_model',
    handler: ({ body, shopId }) => {
      refuseNormalStock(body, ['model_list']);
      const input = parseInput(addModelBody, body);
      const item = findItem(rt, shopId, input.item_id);
      if (item.tiers.length === 0)
        throw shopeeErrors.param(
          'Wrong parameters, detail: item has no tier variation, use init_tier_variation first.',
        );
      batchLength(input.model_list, 'model_list');
      const models = buildModels(rt, item.tiers, item.models, input.model_list);
      item.models.push(...models);
      item.updateTime = rt.nowSeconds();
      return { model: models.map((m) => modelView(item, m)) };
    },
  });

  // v2.product.update_model — model metadata (seller SKU), 1..50 models.
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/update_model',
    handler: ({ body, shopId }) => {
      const input = parseInput(updateModelBody, body);
      batchLength(input.model, 'model');
      const item = findItem(rt, shopId, input.item_id);
      for (const entry of input.model) {
        if (!item.models.some((m) => m.modelId === entry.model_id))
          throw shopeeErrors.param(`Wrong parameters, detail: model_id ${entry.model_id} not found.`);
        if ((entry.model_sku ?? '').length > rt.config.itemLimit.modelSkuMax)
          throw shopeeErrors.param('Wrong parameters, detail: model_sku is too long.');
      }
      for (const entry of input.model) {
        const model = item.models.find((m) => m.modelId === entry.model_id);
        if (model && entry.model_sku !== undefined) model.modelSku = entry.model_sku;
      }
      item.updateTime = rt.nowSeconds();
      return {};
    },
  });

  // v2.product.delete_model — one model per call; the last model cannot be deleted.
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/delete_model',
    handler: ({ body, shopId }) => {
      const input = parseInput(deleteModelBody, body);
      const item = findItem(rt, shopId, input.item_id);
      const index = item.models.findIndex((m) => m.modelId === input.model_id);
      if (index < 0)
        throw shopeeErrors.param(`Wrong parameters, detail: model_id ${input.model_id} not found.`);
      if (item.models.length === 1)
        throw shopeeErrors.param('Wrong parameters, detail: an item must keep at least one model.');
      item.models.splice(index, 1);
      item.updateTime = rt.nowSeconds();
      return {};
    },
  });

  // v2.product.update_price — one item per call; per-model outcome in success_list / failure_list.
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/update_price',
    handler: ({ body, shopId }) => {
      const input = parseInput(updatePriceBody, body);
      batchLength(input.price_list, 'price_list');
      const item = findItem(rt, shopId, input.item_id);
      checkModelIds(
        item,
        input.price_list.map((e) => e.model_id),
        new ShopeeError(
          'error_edit_item_price_for_item_has_model',
          "Can't edit item price directly while item has models.",
        ),
      );
      const success: Array<{ model_id: number; original_price: number }> = [];
      const failure: Array<{ model_id: number; failed_reason: string }> = [];
      for (const entry of input.price_list) {
        const model = item.models.find((m) => m.modelId === entry.model_id);
        try {
          checkPrice(rt, entry.original_price);
        } catch (err) {
          failure.push({
            model_id: entry.model_id,
            failed_reason: err instanceof Error ? err.message : 'Invalid price.',
          });
          continue;
        }
        if (model) model.price = entry.original_price;
        else item.price = entry.original_price;
        success.push({ model_id: entry.model_id, original_price: entry.original_price });
      }
      if (success.length > 0) item.updateTime = rt.nowSeconds();
      return { success_list: success, failure_list: failure };
    },
  });

  // v2.product.update_stock — one item per call; per-model outcome in success_list / failure_list.
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/update_stock',
    handler: ({ body, shopId }) => {
      const input = parseInput(updateStockBody, body);
      batchLength(input.stock_list, 'stock_list');
      const item = findItem(rt, shopId, input.item_id);
      checkModelIds(
        item,
        input.stock_list.map((e) => e.model_id),
        new ShopeeError(
          'error_edit_item_stock_for_item_has_model',
          "Can't to edit item stock directly while item has models.",
        ),
      );
      const success: Array<{ model_id: number; location_id: string; stock: number }> = [];
      const failure: Array<{ model_id: number; failed_reason: string }> = [];
      for (const entry of input.stock_list) {
        const model = item.models.find((m) => m.modelId === entry.model_id);
        const stock = entry.seller_stock.reduce((sum, s) => sum + s.stock, 0);
        if (stock > rt.config.itemLimit.stockMax) {
          failure.push({
            model_id: entry.model_id,
            failed_reason: `Stock should not exceed ${rt.config.itemLimit.stockMax}.`,
          });
          continue;
        }
        if (model) model.stock = stock;
        else item.stock = stock;
        success.push({
          model_id: entry.model_id,
          location_id: entry.seller_stock[0]?.location_id ?? 'IDZ',
          stock,
        });
      }
      if (success.length > 0) item.updateTime = rt.nowSeconds();
      return { success_list: success, failure_list: failure };
    },
  });

  // v2.product.get_item_list — offset paging, item_status required (repeatable), update_time range.
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/product/get_item_list',
    handler: ({ query, shopId }) => {
      const offset = intParam(query, 'offset', { required: true }) ?? 0;
      const pageSize = intParam(query, 'page_size', { required: true }) ?? 0;
      if (pageSize < 1 || pageSize > 100)
        throw shopeeErrors.param('Wrong parameters, detail: page_size should be between 1 and 100.');
      if (offset < 0) throw shopeeErrors.param('Wrong parameters, detail: offset should not be negative.');
      if (offset + pageSize > ITEM_LIST_MAX_OFFSET)
        throw shopeeErrors.param('get items offset over limit, please use the next field');
      const statuses = listParam(query, 'item_status');
      if (statuses.length === 0) throw shopeeErrors.required('item_status');
      for (const s of statuses)
        if (!itemStatuses.includes(s as ItemStatus))
          throw shopeeErrors.param(`Wrong parameters, detail: item_status ${s} is invalid.`);
      const from = intParam(query, 'update_time_from');
      const to = intParam(query, 'update_time_to');
      const now = rt.nowMs();
      const matching = [...rt.store.items.values()]
        .filter((i) => i.shopId === shopId)
        .map((i) => rt.store.current(i, now))
        .filter(
          (i) =>
            statuses.includes(i.status) &&
            (from === undefined || i.updateTime >= from) &&
            (to === undefined || i.updateTime <= to),
        )
        .sort((a, b) => b.updateTime - a.updateTime || b.itemId - a.itemId);
      const page = matching.slice(offset, offset + pageSize);
      const hasNext = offset + pageSize < matching.length;
      return {
        item: page.map((i) => ({ item_id: i.itemId, item_status: i.status, update_time: i.updateTime })),
        total_count: matching.length,
        has_next_page: hasNext,
        next_offset: hasNext ? offset + pageSize : matching.length,
      };
    },
  });

  // v2.product.search_item — by name fragment or exact seller SKU; offset is an opaque string cursor.
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/product/search_item',
    handler: ({ query, shopId }) => {
      const pageSize = intParam(query, 'page_size', { required: true }) ?? 0;
      if (pageSize < 1 || pageSize > 100)
        throw shopeeErrors.param('Wrong parameters, detail: page_size should be between 1 and 100.');
      const cursor = queryValue(query, 'offset') ?? '';
      if (cursor !== '' && !/^\d+$/.test(cursor))
        throw shopeeErrors.param('Wrong parameters, detail: offset is invalid.');
      const offset = cursor === '' ? 0 : Number(cursor);
      const rawName = queryValue(query, 'item_name');
      const attributeStatus = intParam(query, 'attribute_status');
      if ((rawName === undefined || rawName === '') && attributeStatus === undefined)
        throw shopeeErrors.param('request must set one of [item_name,attribute_status]');
      if (attributeStatus !== undefined && attributeStatus !== 1 && attributeStatus !== 2)
        throw shopeeErrors.param('Wrong parameters, detail: attribute_status should be 1 or 2.');
      const sku = queryValue(query, 'item_sku');
      // "If you search for item_sku and item_name at the same time, only the results that match item_sku
      // will be returned": the name is ignored then. item_sku matches the item-level SKU only.
      const name = sku === undefined ? rawName?.toLowerCase() : undefined;
      const statuses = listParam(query, 'item_status');
      const lacks = (i: ShopeeItem, mandatory: boolean) =>
        attributesOf(i.categoryId)
          .filter((a) => a.mandatory === mandatory)
          .some((a) => !i.attributes.some((given) => given.attribute_id === a.attribute.attributeId));
      const now = rt.nowMs();
      const matching = [...rt.store.items.values()]
        .filter((i) => i.shopId === shopId)
        .map((i) => rt.store.current(i, now))
        .filter(
          (i) =>
            (statuses.length === 0 ? i.status === 'NORMAL' : statuses.includes(i.status)) &&
            (name === undefined || i.itemName.toLowerCase().includes(name)) &&
            (sku === undefined || i.itemSku === sku) &&
            (attributeStatus === undefined || lacks(i, attributeStatus === 1)),
        )
        .sort((a, b) => a.itemId - b.itemId);
      const page = matching.slice(offset, offset + pageSize);
      const more = offset + pageSize < matching.length;
      return {
        item_id_list: page.map((i) => i.itemId),
        total_count: matching.length,
        next_offset: more ? String(offset + pageSize) : '',
      };
    },
  });

  // v2.product.get_item_base_info — 1..50 ids, comma list.
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/product/get_item_base_info',
    handler: ({ query, shopId }) => {
      const ids = listParam(query, 'item_id_list');
      batchLength(ids, 'item_id_list');
      const now = rt.nowMs();
      const found = [];
      const missing = [];
      for (const raw of ids) {
        const item = /^\d+$/.test(raw) ? rt.store.shopItem(shopId, Number(raw), now) : undefined;
        if (item) found.push(itemBaseInfo(rt, item));
        else missing.push(raw);
      }
      const response = { item_list: found };
      return missing.length > 0
        ? new WithWarning(response, `item_id not found: ${missing.join(',')}`)
        : response;
    },
  });

  // v2.product.get_model_list
  shopApi(rt, app, {
    method: 'GET',
    path: '/api/v2/product/get_model_list',
    handler: ({ query, shopId }) => {
      const itemId = intParam(query, 'item_id', { required: true }) ?? 0;
      const item = findItem(rt, shopId, itemId);
      return {
        tier_variation: tierView(rt, item.tiers),
        standardise_tier_variation: item.tiers.map((t) => ({
          variation_id: 0,
          variation_name: t.name,
          variation_group_id: 0,
          variation_option_list: t.options.map((o) => ({
            variation_option_id: 0,
            variation_option_name: o.option,
            image_id: o.imageId ?? '',
          })),
        })),
        model: item.models.map((m) => modelView(item, m)),
      };
    },
  });

  // v2.product.unlist_item — unlist true = unlist, false = relist; 1..50 items.
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/unlist_item',
    handler: ({ body, shopId }) => {
      const input = parseInput(unlistBody, body);
      batchLength(input.item_list, 'item_list');
      const success: Array<{ item_id: number; unlist: boolean }> = [];
      const failure: Array<{ item_id: number; failed_reason: string }> = [];
      for (const entry of input.item_list) {
        const item = rt.store.shopItem(shopId, entry.item_id, rt.nowMs());
        if (!item || item.status.endsWith('DELETE'))
          failure.push({ item_id: entry.item_id, failed_reason: 'Item not found.' });
        else if (item.status === 'BANNED' || item.status === 'REVIEWING')
          failure.push({
            item_id: entry.item_id,
            failed_reason: `Item status ${item.status} cannot be changed.`,
          });
        else {
          item.status = entry.unlist ? 'UNLIST' : 'NORMAL';
          item.updateTime = rt.nowSeconds();
          success.push({ item_id: entry.item_id, unlist: entry.unlist });
        }
      }
      return { success_list: success, failure_list: failure };
    },
  });

  // v2.product.delete_item — the item becomes SELLER_DELETE.
  shopApi(rt, app, {
    method: 'POST',
    path: '/api/v2/product/delete_item',
    handler: ({ body, shopId }) => {
      const input = parseInput(deleteBody, body);
      const item = findItem(rt, shopId, input.item_id);
      item.status = 'SELLER_DELETE';
      item.updateTime = rt.nowSeconds();
      return {};
    },
  });
}
