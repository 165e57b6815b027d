/**
 * Products with inline SKUs (reference §2.5): create, full edit, partial edit, price and inventory
 * updates, detail, search, activate / deactivate / delete. The category model they are checked
 * against (attributes, brands, rules) lives in catalog.ts; warehouses in logistics.ts.
 *
 * Edits follow edit-product / partial-edit-product: an edit of a live product is reviewed as v2
 * while v1 stays on sale; price and inventory are not reviewed and apply at once; SKU ids left out
 * of `skus` are deleted; `price`/`inventory` left out of an existing SKU stay unchanged.
 */
import { z } from 'zod';
import { invalidRequest, TtsCode, TtsError } from '../errors.js';
import { type Endpoint, type EndpointCall, parseOrThrow } from '../gateway.js';
import { mapProductDetail, mapProductSummary } from '../mappers.js';
import { paginate } from '../paging.js';
import type { TtsRuntime } from '../runtime.js';
import {
  type ListingPlatform,
  type ProductStatus,
  type TtsProduct,
  type TtsProductContent,
  type TtsSalesAttribute,
  type TtsShop,
  type TtsSku,
  warehousesOf,
} from '../store.js';
import { checkBrand, checkCategory, checkCategoryRules, checkProductAttributes } from './catalog.js';

const ID_TITLE_MIN = 25;
const ID_TITLE_MAX = 255;
const ID_PRICE_MIN = 100;
const ID_PRICE_MAX = 100_000_000;
const MAX_SALES_ATTRIBUTES = 3;
const MAX_BATCH_PRODUCT_IDS = 20;
/**
 * create-product, edit-product, update-inventory: "Valid range: [1, 99,999]". Reading taken (see
 * docs/sandbox-tiktok-shop.md): create keeps the floor of 1, while edit and Update Inventory accept 0,
 * which integrators send to mark a sold-out SKU; a sold-out variant must be expressible.
 */
export const MIN_INVENTORY_QUANTITY = 1;
/** Edit Product and Update Inventory: 0 marks a sold-out SKU. */
export const MIN_UPDATE_INVENTORY_QUANTITY = 0;
export const MAX_INVENTORY_QUANTITY = 99_999;

const priceInput = z.object({ amount: z.string(), currency: z.string() });
const inventoryRowInput = z.object({
  warehouse_id: z.string().optional(),
  quantity: z.number().int(),
});
const inventoryInput = z.array(inventoryRowInput);
const salesAttributeInput = z.object({
  id: z.string().optional(),
  name: z.string().max(20).optional(),
  value_id: z.string().optional(),
  value_name: z.string().max(50).optional(),
  sku_img: z.object({ uri: z.string() }).optional(),
});
const skuInput = z.object({
  id: z.string().optional(),
  seller_sku: z.string().max(50).optional(),
  price: priceInput.optional(),
  inventory: inventoryInput.min(1).optional(),
  sales_attributes: z.array(salesAttributeInput).optional(),
  external_sku_id: z.string().optional(),
});
const PLATFORMS = ['TIKTOK_SHOP', 'TOKOPEDIA'] as const;
const platformList = z.array(z.enum(PLATFORMS)).min(1);
const productFields = {
  title: z.string(),
  description: z.string().min(1).max(10_000),
  category_id: z.string(),
  brand_id: z.string().optional(),
  main_images: z
    .array(z.object({ uri: z.string() }))
    .min(1)
    .max(9),
  skus: z.array(z.unknown()).min(1),
  package_weight: z.object({ value: z.string(), unit: z.string() }),
  package_dimensions: z
    .object({
      length: z.string(),
      width: z.string(),
      height: z.string(),
      unit: z.string(),
    })
    .optional(),
  product_attributes: z
    .array(
      z.object({
        id: z.string(),
        values: z.array(z.object({ id: z.string().optional(), name: z.string().optional() })),
      }),
    )
    .optional(),
  save_mode: z.enum(['LISTING', 'AS_DRAFT']).optional(),
  external_product_id: z.string().optional(),
  is_cod_allowed: z.boolean().optional(),
  /** The reference's name (create/edit/partial_edit/search). */
  listing_platforms: platformList.optional(),
  /** The Tokopedia one-pager's name; accepted as an alias (array, or a single value). */
  listing_platform: z.union([platformList, z.enum(PLATFORMS)]).optional(),
};
const productInput = z.object(productFields);
const partialEditInput = z.object(productFields).partial();

type SkuInput = z.infer<typeof skuInput>;
type ProductInput = z.infer<typeof productInput>;

const productError = (message: string) => new TtsError(TtsCode.invalidProductField, message);

/** Parses a price string: decimal, currency IDR, 100 … 100,000,000 for Indonesian shops. */
export function parsePrice(price: { amount: string; currency: string }): number {
  if (price.currency !== 'IDR')
    throw new TtsError(
      TtsCode.invalidPrice,
      `The product price is invalid: currency ${price.currency}, IDR is required`,
    );
  if (!/^\d+(\.\d{1,2})?$/.test(price.amount))
    throw new TtsError(TtsCode.invalidPrice, `The product price is invalid: amount "${price.amount}"`);
  const amount = Number(price.amount);
  if (amount < ID_PRICE_MIN || amount > ID_PRICE_MAX) {
    throw new TtsError(
      TtsCode.invalidPrice,
      `The product price is invalid: it must be between ${ID_PRICE_MIN} and ${ID_PRICE_MAX} IDR`,
    );
  }
  return amount;
}

function findProduct(call: EndpointCall, productId: string | undefined): TtsProduct {
  const product = productId ? call.rt.state.products[productId] : undefined;
  if (!product || product.shopId !== call.shop?.id || product.status === 'DELETED') {
    throw new TtsError(TtsCode.productNotFound, `The product does not exist: ${productId ?? ''}`);
  }
  return product;
}

function requireShop(call: EndpointCall): TtsShop {
  if (!call.shop) throw new TtsError(TtsCode.missingShopCipher, 'shop_cipher is required');
  return call.shop;
}

function checkImage(call: EndpointCall, uri: string): void {
  const image = call.rt.state.images[uri];
  if (!image || image.appKey !== call.app.appKey) {
    throw new TtsError(
      TtsCode.imageUriIllegal,
      `product main image uri illegal: ${uri} was never uploaded by this app`,
    );
  }
}

function quantityError(quantity: number, min: number): TtsError | undefined {
  return quantity < min || quantity > MAX_INVENTORY_QUANTITY
    ? new TtsError(
        TtsCode.quantityOutOfRange,
        `The SKU inventory quantity for the warehouse must be within allowed limits: [${min}, ${MAX_INVENTORY_QUANTITY}], got ${quantity}`,
      )
    : undefined;
}

/** The warehouse a SKU's stock may sit in: a sales warehouse of this shop that is enabled. */
function checkWarehouse(call: EndpointCall, shop: TtsShop, warehouseId: string): TtsError | undefined {
  const own = warehousesOf(shop).find((warehouse) => warehouse.id === warehouseId);
  if (!own) {
    const elsewhere = Object.values(call.rt.state.shops).some(
      (other) =>
        other.id !== shop.id && warehousesOf(other).some((warehouse) => warehouse.id === warehouseId),
    );
    return elsewhere
      ? new TtsError(
          TtsCode.warehouseNotOfShop,
          `The warehouse '${warehouseId}' does not belong to this shop/seller.`,
        )
      : new TtsError(TtsCode.warehouseNotFound, `The warehouse does not exist: ${warehouseId}`);
  }
  if (own.type !== 'SALES_WAREHOUSE')
    return new TtsError(TtsCode.notDeliveryWarehouse, `the warehouse not delivery warehouse: ${warehouseId}`);
  if (own.effectStatus !== 'ENABLED')
    return new TtsError(TtsCode.warehouseDisabled, `The warehouse is disabled: ${warehouseId}`);
  return undefined;
}

/**
 * Create/edit inventory: one row, `warehouse_id` required (create-product: Y), quantity in range
 * (from 1 on create, from 0 on edit).
 */
function inventoryRows(
  call: EndpointCall,
  shop: TtsShop,
  rows: z.infer<typeof inventoryInput>,
  minQuantity: number,
) {
  if (rows.length > 1) throw new TtsError(TtsCode.noMultiWarehouse, 'No multiple warehouse permission');
  return rows.map((row) => {
    if (row.warehouse_id === undefined || row.warehouse_id === '') {
      throw new TtsError(
        TtsCode.skuNeedsWarehouse,
        'SKU must contain a valid warehouse: inventory[].warehouse_id is required (Get Warehouse List)',
      );
    }
    const problem = checkWarehouse(call, shop, row.warehouse_id) ?? quantityError(row.quantity, minQuantity);
    if (problem) throw problem;
    return { warehouseId: row.warehouse_id, quantity: row.quantity };
  });
}

/** Sales attributes of a SKU: their names in order, for the "same number and type" rule. */
function attributeTypes(attributes: TtsSalesAttribute[]): string {
  return attributes
    .map((attr) => attr.id)
    .sort()
    .join('|');
}

/**
 * Builds the SKU list of a create/edit: the SKU limits, the sales-attribute rules of create-product
 * (same attribute types on every SKU, unique combinations, images for every value of one attribute
 * only), SKU ids of the product only, and price/inventory (kept from the existing SKU when omitted).
 */
function buildSkus(
  call: EndpointCall,
  shop: TtsShop,
  rawSkus: unknown[],
  existingSkus: TtsSku[],
  minQuantity: number,
): TtsSku[] {
  const { rt } = call;
  const max = rt.state.settings.maxSkusPerProduct;
  if (rawSkus.length > max) throw new TtsError(TtsCode.tooManySkus, `A product can have at most ${max} SKUs`);
  const inputs: SkuInput[] = rawSkus.map((raw) => parseOrThrow(skuInput, raw));
  const ids = new Set<string>();
  for (const input of inputs) {
    if (input.id === undefined) continue;
    if (ids.has(input.id)) throw new TtsError(TtsCode.skuIdDuplicate, `Sku id duplicate: ${input.id}`);
    ids.add(input.id);
    if (!existingSkus.some((sku) => sku.id === input.id)) {
      throw new TtsError(TtsCode.skuNotInProduct, `The SKU ID does not belong to the product: ${input.id}`);
    }
  }
  // Attribute and value ids stay stable across edits when names match.
  const attributeIds = new Map<string, string>();
  const valueIds = new Map<string, string>();
  for (const sku of existingSkus) {
    for (const attr of sku.salesAttributes) {
      attributeIds.set(attr.name, attr.id);
      valueIds.set(`${attr.name}\u0000${attr.valueName}`, attr.valueId);
    }
  }
  const combinations = new Set<string>();
  const skus = inputs.map((input): TtsSku => {
    const existing = existingSkus.find((sku) => sku.id === input.id);
    const raw = input.sales_attributes ?? [];
    if (raw.length > MAX_SALES_ATTRIBUTES) {
      throw new TtsError(
        TtsCode.tooManySalesAttributes,
        `The attribute max num cannot exceed ${MAX_SALES_ATTRIBUTES}.`,
      );
    }
    const salesAttributes: TtsSalesAttribute[] = raw.map((attr) => {
      const name = attr.name ?? attr.id ?? '';
      const valueName = attr.value_name ?? attr.value_id ?? '';
      if (!name || !valueName)
        throw productError('A sales attribute needs a name (or id) and a value_name (or value_id)');
      if (attr.sku_img) checkImage(call, attr.sku_img.uri);
      const id = attr.id ?? attributeIds.get(name) ?? rt.newId();
      attributeIds.set(name, id);
      const valueKey = `${name}\u0000${valueName}`;
      const valueId = attr.value_id ?? valueIds.get(valueKey) ?? rt.newId();
      valueIds.set(valueKey, valueId);
      return { id, name, valueId, valueName, ...(attr.sku_img ? { skuImgUri: attr.sku_img.uri } : {}) };
    });
    if (new Set(salesAttributes.map((attr) => attr.id)).size !== salesAttributes.length) {
      throw new TtsError(TtsCode.duplicateSalesAttribute, 'The SKU contains duplicate sales attribute.');
    }
    const combination = salesAttributes
      .map((attr) => `${attr.id}=${attr.valueId}`)
      .sort()
      .join('&');
    if (combinations.has(combination)) {
      throw productError(
        inputs.length > 1 && salesAttributes.length === 0
          ? 'Every SKU of a product with several SKUs needs sales_attributes'
          : 'Two SKUs have the same sales attribute values',
      );
    }
    combinations.add(combination);
    const sellerSku = input.seller_sku ?? existing?.sellerSku ?? '';
    if (/\s/.test(sellerSku)) throw productError(`seller_sku must not contain spaces: "${sellerSku}"`);
    if (!existing && (!input.price || !input.inventory)) {
      throw invalidRequest('Invalid request parameters. skus: a new SKU needs price and inventory');
    }
    return {
      id: input.id ?? rt.newId(),
      sellerSku,
      price: input.price ? parsePrice(input.price) : (existing?.price ?? 0),
      inventory: input.inventory
        ? inventoryRows(call, shop, input.inventory, minQuantity)
        : (existing?.inventory ?? []),
      salesAttributes,
      ...(input.external_sku_id !== undefined
        ? { externalSkuId: input.external_sku_id }
        : existing?.externalSkuId !== undefined
          ? { externalSkuId: existing.externalSkuId }
          : {}),
    };
  });
  const types = new Set(skus.map((sku) => attributeTypes(sku.salesAttributes)));
  if (types.size > 1) {
    throw new TtsError(
      TtsCode.skuPropertiesDiffer,
      'SKU property must contain all properties: every SKU needs the same number and type of sales attributes',
    );
  }
  checkSkuImages(skus);
  return skus;
}

/** One sales attribute may carry images, and then every one of its values needs one (create-product `sku_img`). */
function checkSkuImages(skus: TtsSku[]): void {
  const withImages = new Set(
    skus.flatMap((sku) => sku.salesAttributes.filter((attr) => attr.skuImgUri).map((attr) => attr.id)),
  );
  if (withImages.size > 1) {
    throw productError('You can attach images to only 1 type of sales attribute');
  }
  const [imaged] = [...withImages];
  if (imaged === undefined) return;
  const missing = skus.some((sku) =>
    sku.salesAttributes.some((attr) => attr.id === imaged && !attr.skuImgUri),
  );
  if (missing) {
    throw new TtsError(
      TtsCode.skuImageRequired,
      'Product sale property image is required: every value of the primary sales attribute needs sku_img',
    );
  }
}

function checkTitle(title: string): void {
  const length = [...title].length;
  if (length < ID_TITLE_MIN || length > ID_TITLE_MAX) {
    throw productError(`Title must be ${ID_TITLE_MIN}-${ID_TITLE_MAX} characters for Indonesian shops`);
  }
}

const DECIMAL = /^\d+(\.\d+)?$/;

/** Indonesian local products use metric units only (12019061); weight a positive decimal string. */
function checkPackage(content: Pick<TtsProductContent, 'packageWeight' | 'packageDimensions'>): void {
  const weight = content.packageWeight;
  if (weight.unit !== 'KILOGRAM') {
    throw new TtsError(
      TtsCode.imperialUnits,
      `Product weight or dimensions unit does not support the imperial units on non-US local products: ${weight.unit}`,
    );
  }
  if (!DECIMAL.test(weight.value))
    throw new TtsError(TtsCode.invalidPackageWeight, `product package weight is invalid: "${weight.value}"`);
  if (Number(weight.value) === 0)
    throw new TtsError(TtsCode.packageWeightZero, 'The package weight of the product can not be zero.');
  const dims = content.packageDimensions;
  if (!dims) return;
  if (dims.unit !== 'CENTIMETER') {
    throw new TtsError(
      TtsCode.imperialUnits,
      `Product weight or dimensions unit does not support the imperial units on non-US local products: ${dims.unit}`,
    );
  }
  for (const side of [dims.length, dims.width, dims.height]) {
    if (!DECIMAL.test(side) || Number(side) === 0)
      throw new TtsError(TtsCode.packageDimensionsRequired, `Incorrect parcel dimension format: "${side}"`);
  }
}

/**
 * The listing platforms a request names. The reference calls the field `listing_platforms`; the
 * Tokopedia one-pager samples `listing_platform`. Both are accepted; naming both differently is refused.
 */
function requestedPlatforms(input: {
  listing_platforms?: ListingPlatform[] | undefined;
  listing_platform?: ListingPlatform[] | ListingPlatform | undefined;
}): ListingPlatform[] | undefined {
  const plural = input.listing_platforms;
  const singular =
    input.listing_platform === undefined
      ? undefined
      : Array.isArray(input.listing_platform)
        ? input.listing_platform
        : [input.listing_platform];
  if (plural && singular && [...new Set(plural)].sort().join() !== [...new Set(singular)].sort().join()) {
    throw invalidRequest('Invalid request parameters. listing_platforms and listing_platform disagree');
  }
  const chosen = plural ?? singular;
  return chosen ? [...new Set(chosen)] : undefined;
}

function checkPlatforms(shop: TtsShop, platforms: ListingPlatform[]): ListingPlatform[] {
  if (platforms.includes('TOKOPEDIA') && !shop.tokopedia) {
    throw new TtsError(
      TtsCode.platformNotSupported,
      'product is not supported to list in designated sale platform: TOKOPEDIA is only for sellers migrated from Tokopedia',
    );
  }
  return platforms;
}

function writeResult(product: TtsProduct, content: TtsProductContent = product) {
  return {
    product_id: product.id,
    skus: content.skus.map((sku) => ({
      id: sku.id,
      seller_sku: sku.sellerSku,
      sales_attributes: sku.salesAttributes.map((attr) => ({ id: attr.id, value_id: attr.valueId })),
    })),
    warnings: [],
  };
}

const CONTENT_KEYS = [
  'title',
  'description',
  'categoryId',
  'brandId',
  'mainImageUris',
  'skus',
  'packageWeight',
  'packageDimensions',
  'productAttributes',
  'listingPlatforms',
  'externalProductId',
  'isCodAllowed',
] as const satisfies ReadonlyArray<keyof TtsProductContent>;

/** The version an edit starts from: the one under review if any, else the live one. */
function baseContent(product: TtsProduct): TtsProductContent {
  const source: TtsProductContent = product.revision ?? product;
  const content: Record<string, unknown> = {};
  for (const key of CONTENT_KEYS) if (source[key] !== undefined) content[key] = source[key];
  return structuredClone(content) as unknown as TtsProductContent;
}

/** Checks a complete candidate version against every listing rule. */
function checkContent(call: EndpointCall, content: TtsProductContent): void {
  checkTitle(content.title);
  checkCategory(content.categoryId);
  checkBrand(content.brandId, content.categoryId);
  for (const uri of content.mainImageUris) checkImage(call, uri);
  checkPackage(content);
  checkProductAttributes(content.categoryId, content.productAttributes);
  checkCategoryRules(content);
}

function contentFrom(
  call: EndpointCall,
  shop: TtsShop,
  input: ProductInput,
  existing: TtsProduct | undefined,
): TtsProductContent {
  const content: TtsProductContent = {
    title: input.title,
    description: input.description,
    categoryId: input.category_id,
    ...(input.brand_id !== undefined && input.brand_id !== '' ? { brandId: input.brand_id } : {}),
    mainImageUris: input.main_images.map((image) => image.uri),
    skus: [],
    packageWeight: input.package_weight,
    ...(input.package_dimensions ? { packageDimensions: input.package_dimensions } : {}),
    productAttributes: attributesFrom(input.product_attributes ?? []),
    // Create: default TIKTOK_SHOP. Edit: omitted keeps the platforms of the previous request.
    listingPlatforms: checkPlatforms(
      shop,
      requestedPlatforms(input) ??
        existing?.revision?.listingPlatforms ??
        existing?.listingPlatforms ?? ['TIKTOK_SHOP'],
    ),
    ...(input.external_product_id !== undefined ? { externalProductId: input.external_product_id } : {}),
    isCodAllowed: input.is_cod_allowed ?? false,
  };
  checkContent(call, content);
  content.skus = existing
    ? buildSkus(call, shop, input.skus, liveAndRevisionSkus(existing), MIN_UPDATE_INVENTORY_QUANTITY)
    : buildSkus(call, shop, input.skus, [], MIN_INVENTORY_QUANTITY);
  return content;
}

/** SKUs an edit may name by id: the live ones and those of a version under review. */
function liveAndRevisionSkus(product: TtsProduct): TtsSku[] {
  const skus = [...(product.revision?.skus ?? [])];
  for (const sku of product.skus) if (!skus.some((other) => other.id === sku.id)) skus.push(sku);
  return skus;
}

function attributesFrom(input: NonNullable<ProductInput['product_attributes']>) {
  return input.map((attr) => ({
    id: attr.id,
    values: attr.values.map((value) => ({
      ...(value.id !== undefined ? { id: value.id } : {}),
      ...(value.name !== undefined ? { name: value.name } : {}),
    })),
  }));
}

/**
 * Stores an edit. A live product keeps v1 on sale while v2 is reviewed; the price and inventory it
 * carries for SKUs that are already live apply at once. Anything else takes the new version and,
 * unless saved as a draft, goes (back) to audit.
 */
function submitEdit(
  call: EndpointCall,
  product: TtsProduct,
  content: TtsProductContent,
  saveMode: string | undefined,
) {
  if (product.status === 'FREEZE') {
    throw new TtsError(
      TtsCode.productWrongStatus,
      'The product in its current status is not available for this operation. Change the product status and try again.',
    );
  }
  product.updateTime = call.rt.nowSeconds();
  if (product.status === 'ACTIVATE') {
    if (saveMode === 'AS_DRAFT') {
      throw productError(
        'save_mode AS_DRAFT on a live product (post-live draft) is not emulated by the sandbox',
      );
    }
    for (const sku of content.skus) {
      const live = product.skus.find((candidate) => candidate.id === sku.id);
      if (!live) continue;
      live.price = sku.price;
      live.inventory = structuredClone(sku.inventory);
    }
    call.rt.startRevisionAudit(product, content);
    return;
  }
  Object.assign(product, content);
  if (content.brandId === undefined) delete product.brandId;
  if (content.packageDimensions === undefined) delete product.packageDimensions;
  if (content.externalProductId === undefined) delete product.externalProductId;
  if (saveMode === 'AS_DRAFT') {
    if (product.status === 'DRAFT') return;
    throw productError('save_mode AS_DRAFT is only for products that are still drafts');
  }
  call.rt.startAudit(product);
}

function createProduct(call: EndpointCall) {
  const shop = requireShop(call);
  const rawSkus = (call.body as { skus?: unknown } | undefined)?.skus;
  if (Array.isArray(rawSkus) && rawSkus.length > call.rt.state.settings.maxSkusPerProduct) {
    throw new TtsError(
      TtsCode.tooManySkus,
      `A product can have at most ${call.rt.state.settings.maxSkusPerProduct} SKUs`,
    );
  }
  const input = parseOrThrow(productInput, call.body);
  const content = contentFrom(call, shop, input, undefined);
  const now = call.rt.nowSeconds();
  const product: TtsProduct = {
    ...content,
    id: call.rt.newId(),
    shopId: shop.id,
    status: 'DRAFT',
    auditFailedReasons: [],
    createTime: now,
    updateTime: now,
  };
  if (input.save_mode !== 'AS_DRAFT') call.rt.startAudit(product);
  call.rt.state.products[product.id] = product;
  return writeResult(product);
}

/** Edit Product (PUT): the whole version; price/inventory omitted from an existing SKU stay unchanged. */
function editProduct(call: EndpointCall) {
  const shop = requireShop(call);
  const product = findProduct(call, call.params.product_id);
  const input = parseOrThrow(productInput, call.body);
  const content = contentFrom(call, shop, input, product);
  submitEdit(call, product, content, input.save_mode);
  return writeResult(product, content);
}

/** Partial Edit Product: top-level fields replace those of the base version; `skus` is the whole SKU list. */
function partialEdit(call: EndpointCall) {
  const shop = requireShop(call);
  const product = findProduct(call, call.params.product_id);
  const input = parseOrThrow(partialEditInput, call.body);
  const content = baseContent(product);
  if (input.title !== undefined) content.title = input.title;
  if (input.description !== undefined) content.description = input.description;
  if (input.category_id !== undefined) content.categoryId = input.category_id;
  if (input.brand_id !== undefined) {
    if (input.brand_id === '') delete content.brandId;
    else content.brandId = input.brand_id;
  }
  if (input.main_images !== undefined) content.mainImageUris = input.main_images.map((image) => image.uri);
  if (input.package_weight !== undefined) content.packageWeight = input.package_weight;
  if (input.package_dimensions !== undefined) content.packageDimensions = input.package_dimensions;
  if (input.product_attributes !== undefined)
    content.productAttributes = attributesFrom(input.product_attributes);
  if (input.is_cod_allowed !== undefined) content.isCodAllowed = input.is_cod_allowed;
  if (input.external_product_id !== undefined) content.externalProductId = input.external_product_id;
  const platforms = requestedPlatforms(input);
  if (platforms !== undefined) content.listingPlatforms = checkPlatforms(shop, platforms);
  checkContent(call, content);
  if (input.skus !== undefined) {
    // "Any existing SKU IDs not listed here will result in the deletion of those SKUs."
    content.skus = buildSkus(
      call,
      shop,
      input.skus,
      liveAndRevisionSkus(product),
      MIN_UPDATE_INVENTORY_QUANTITY,
    );
  }
  submitEdit(call, product, content, input.save_mode);
  return writeResult(product, content);
}

interface BatchError {
  code: number;
  message: string;
  detail: Record<string, unknown>;
}

function batchStatusChange(
  call: EndpointCall,
  change: (product: TtsProduct) => ProductStatus | string,
): { errors?: BatchError[] } {
  const input = parseOrThrow(
    z.object({
      product_ids: z.array(z.string()).min(1),
      listing_platforms: platformList.optional(),
      listing_platform: z.union([platformList, z.enum(PLATFORMS)]).optional(),
    }),
    call.body,
  );
  if (input.product_ids.length > MAX_BATCH_PRODUCT_IDS) {
    throw invalidRequest(`Invalid request parameters. product_ids: at most ${MAX_BATCH_PRODUCT_IDS} ids`);
  }
  const errors: BatchError[] = [];
  for (const productId of input.product_ids) {
    const product = call.rt.state.products[productId];
    if (!product || product.shopId !== call.shop?.id || product.status === 'DELETED') {
      errors.push({
        code: TtsCode.productNotFound,
        message: 'The product does not exist',
        detail: { product_id: productId },
      });
      continue;
    }
    const outcome = change(product);
    if (typeof outcome === 'string' && !isProductStatus(outcome)) {
      errors.push({ code: TtsCode.productWrongStatus, message: outcome, detail: { product_id: productId } });
      continue;
    }
    product.status = outcome as ProductStatus;
    product.updateTime = call.rt.nowSeconds();
  }
  return errors.length > 0 ? { errors } : {};
}

const PRODUCT_STATUSES = new Set<string>([
  'DRAFT',
  'PENDING',
  'FAILED',
  'ACTIVATE',
  'SELLER_DEACTIVATED',
  'PLATFORM_DEACTIVATED',
  'FREEZE',
  'DELETED',
]);
function isProductStatus(value: string): value is ProductStatus {
  return PRODUCT_STATUSES.has(value);
}

/** Update Price / Update Inventory apply to ACTIVATE products only (a live product under review included). */
function liveProduct(call: EndpointCall): TtsProduct {
  const product = findProduct(call, call.params.product_id);
  if (product.status !== 'ACTIVATE') {
    throw new TtsError(
      TtsCode.productWrongStatus,
      `The product in its current status is not available for this operation. Change the product status and try again. (status ${product.status}; only ACTIVATE products can be updated)`,
    );
  }
  return product;
}

/** The request's SKUs, resolved against the product: duplicates and foreign ids fail the whole request. */
function resolveSkus<T extends { id: string }>(
  call: EndpointCall,
  product: TtsProduct,
  entries: T[],
  notFoundCode: number,
): Array<{ sku: TtsSku; entry: T }> {
  if (entries.length > call.rt.state.settings.maxSkusPerProduct) {
    throw new TtsError(
      TtsCode.tooManySkus,
      `At most ${call.rt.state.settings.maxSkusPerProduct} SKUs per call`,
    );
  }
  const seen = new Set<string>();
  return entries.map((entry) => {
    if (seen.has(entry.id)) throw new TtsError(TtsCode.skuIdDuplicate, `Sku id duplicate: ${entry.id}`);
    seen.add(entry.id);
    const sku = product.skus.find((candidate) => candidate.id === entry.id);
    if (!sku) {
      throw new TtsError(
        notFoundCode,
        notFoundCode === TtsCode.skuNotInProduct
          ? `The SKU ID does not belong to the product: ${entry.id}`
          : `The SKU id not exist: ${entry.id}`,
      );
    }
    return { sku, entry };
  });
}

/**
 * Update Price: "The `data` response field is always empty". Every price is checked before any is
 * written, so a refused request changes nothing.
 */
function updatePrice(call: EndpointCall): Record<string, never> {
  const product = liveProduct(call);
  const input = parseOrThrow(
    z.object({ skus: z.array(z.object({ id: z.string(), price: priceInput })).min(1) }),
    call.body,
  );
  const updates = resolveSkus(call, product, input.skus, TtsCode.skuNotInProduct).map(({ sku, entry }) => ({
    sku,
    price: parsePrice(entry.price),
  }));
  for (const { sku, price } of updates) {
    sku.price = price;
    const underReview = product.revision?.skus.find((candidate) => candidate.id === sku.id);
    if (underReview) underReview.price = price;
  }
  product.updateTime = call.rt.nowSeconds();
  return {};
}

/**
 * Update Inventory: an unknown SKU fails the request (12052556); a SKU whose rows break a rule is
 * reported in `data.errors` as 12052990 "Check failed" with `extra_errors` per warehouse (the
 * reference sample), and the other SKUs are written. `warehouse_id` may be left out while the shop
 * has one sales warehouse ("Optional if there is only 1 warehouse").
 */
function updateInventory(call: EndpointCall): { errors?: BatchError[] } {
  const shop = requireShop(call);
  const product = liveProduct(call);
  const input = parseOrThrow(
    z.object({ skus: z.array(z.object({ id: z.string(), inventory: inventoryInput.min(1) })).min(1) }),
    call.body,
  );
  const salesWarehouses = warehousesOf(shop).filter((warehouse) => warehouse.type === 'SALES_WAREHOUSE');
  const errors: BatchError[] = [];
  for (const { sku, entry } of resolveSkus(call, product, input.skus, TtsCode.skuIdNotExist)) {
    const extra: Array<{ warehouse_id: string; code: number; message: string }> = [];
    const rows = entry.inventory.map((row) => {
      const warehouseId =
        row.warehouse_id ?? (salesWarehouses.length === 1 ? salesWarehouses[0]?.id : undefined) ?? '';
      const problem =
        warehouseId === ''
          ? new TtsError(
              TtsCode.multipleWarehousesDetected,
              'Multiple warehouses detected. Include all warehouse IDs and the corresponding details and try again.',
            )
          : (checkWarehouse(call, shop, warehouseId) ??
            quantityError(row.quantity, MIN_UPDATE_INVENTORY_QUANTITY));
      if (problem) extra.push({ warehouse_id: warehouseId, code: problem.code, message: problem.message });
      return { warehouseId, quantity: row.quantity };
    });
    if (rows.length > 1 && extra.length === 0) {
      extra.push({
        warehouse_id: '',
        code: TtsCode.noMultiWarehouse,
        message: 'No multiple warehouse permission',
      });
    }
    if (extra.length > 0) {
      errors.push({
        code: TtsCode.checkFailed,
        message: 'Check failed',
        detail: { sku_id: sku.id, extra_errors: extra },
      });
      continue;
    }
    sku.inventory = rows;
    const underReview = product.revision?.skus.find((candidate) => candidate.id === sku.id);
    if (underReview) underReview.inventory = structuredClone(rows);
  }
  product.updateTime = call.rt.nowSeconds();
  return errors.length > 0 ? { errors } : {};
}

const searchQuery = z.object({
  page_size: z.coerce.number().int().min(1).max(100),
  page_token: z.string().optional(),
});
const searchBody = z
  .object({
    status: z
      .enum([
        'ALL',
        'DRAFT',
        'PENDING',
        'FAILED',
        'ACTIVATE',
        'SELLER_DEACTIVATED',
        'PLATFORM_DEACTIVATED',
        'FREEZE',
        'DELETED',
      ])
      .optional(),
    seller_skus: z.array(z.string()).optional(),
    create_time_ge: z.number().int().optional(),
    create_time_le: z.number().int().optional(),
    update_time_ge: z.number().int().optional(),
    update_time_le: z.number().int().optional(),
    /** The reference's filter; the legacy singular is accepted too. */
    listing_platforms: platformList.optional(),
    listing_platform: z.union([platformList, z.enum(PLATFORMS)]).optional(),
  })
  .optional();

function searchProducts(call: EndpointCall) {
  const shop = requireShop(call);
  const query = parseOrThrow(searchQuery, call.query);
  const filter = parseOrThrow(searchBody, call.body) ?? {};
  if ((filter.seller_skus?.length ?? 0) > 10) {
    throw new TtsError(TtsCode.tooManySellerSkus, 'At most 10 seller_skus can be searched');
  }
  const status = filter.status ?? 'ALL';
  const platforms = requestedPlatforms(filter);
  const matches = call.rt.store.productsOfShop(shop.id).filter((product) => {
    if (status === 'ALL' ? product.status === 'DELETED' : product.status !== status) return false;
    if (filter.seller_skus && !product.skus.some((sku) => filter.seller_skus?.includes(sku.sellerSku)))
      return false;
    if (platforms && !product.listingPlatforms.some((platform) => platforms.includes(platform))) return false;
    if (filter.create_time_ge !== undefined && product.createTime < filter.create_time_ge) return false;
    if (filter.create_time_le !== undefined && product.createTime > filter.create_time_le) return false;
    if (filter.update_time_ge !== undefined && product.updateTime < filter.update_time_ge) return false;
    if (filter.update_time_le !== undefined && product.updateTime > filter.update_time_le) return false;
    return true;
  });
  const { page, nextPageToken } = paginate(
    matches,
    (product) => ({ sortValue: product.createTime, id: product.id }),
    {
      order: 'DESC',
      pageSize: query.page_size,
      pageToken: query.page_token,
      scope: `products:${shop.id}`,
    },
  );
  return {
    products: page.map(mapProductSummary),
    total_count: matches.length,
    next_page_token: nextPageToken,
  };
}

function recoverProducts(call: EndpointCall): { errors?: BatchError[] } {
  const input = parseOrThrow(z.object({ product_ids: z.array(z.string()).min(1) }), call.body);
  if (input.product_ids.length > MAX_BATCH_PRODUCT_IDS) {
    throw invalidRequest(`Invalid request parameters. product_ids: at most ${MAX_BATCH_PRODUCT_IDS} ids`);
  }
  const errors: BatchError[] = [];
  for (const productId of input.product_ids) {
    const product = call.rt.state.products[productId];
    if (!product || product.shopId !== call.shop?.id || product.status !== 'DELETED') {
      errors.push({
        code: TtsCode.productNotFound,
        message: 'No deleted product with this id',
        detail: { product_id: productId },
      });
      continue;
    }
    product.status = 'SELLER_DEACTIVATED';
    product.updateTime = call.rt.nowSeconds();
  }
  return errors.length > 0 ? { errors } : {};
}

function inventorySearch(call: EndpointCall) {
  const shop = requireShop(call);
  const input = parseOrThrow(
    z
      .object({
        product_ids: z.array(z.string()).max(100).optional(),
        sku_ids: z.array(z.string()).max(600).optional(),
      })
      .refine((value) => (value.product_ids?.length ?? 0) + (value.sku_ids?.length ?? 0) > 0, {
        message: 'product_ids or sku_ids is required',
      }),
    call.body,
  );
  const products = call.rt.store
    .productsOfShop(shop.id)
    .filter((product) => product.status !== 'DELETED')
    .filter(
      (product) =>
        input.product_ids?.includes(product.id) ||
        product.skus.some((candidate) => input.sku_ids?.includes(candidate.id)),
    );
  return {
    inventory: products.map((product) => ({
      product_id: product.id,
      skus: product.skus
        .filter(
          (candidate) => input.product_ids?.includes(product.id) || input.sku_ids?.includes(candidate.id),
        )
        .map((candidate) => ({
          id: candidate.id,
          seller_sku: candidate.sellerSku,
          total_available_quantity: candidate.inventory.reduce((sum, row) => sum + row.quantity, 0),
          warehouse_inventory: candidate.inventory.map((row) => ({
            warehouse_id: row.warehouseId,
            available_quantity: row.quantity,
          })),
        })),
    })),
  };
}

export function productEndpoints(): Endpoint[] {
  return [
    // product/202309/products (Create Product)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products',
      name: 'Create Product',
      shopCipher: 'required',
      handle: createProduct,
    },
    // product/202509/products/{product_id} (Edit Product): the whole version, omitted SKU ids are deleted
    {
      method: 'PUT',
      module: 'product',
      pattern: 'products/{product_id}',
      name: 'Edit Product',
      shopCipher: 'required',
      handle: editProduct,
    },
    // product/202509/products/{product_id}/partial_edit (Partial Edit Product)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products/{product_id}/partial_edit',
      name: 'Partial Edit Product',
      shopCipher: 'required',
      handle: partialEdit,
    },
    // product/202309/products/{product_id}/prices/update (Update Price)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products/{product_id}/prices/update',
      name: 'Update Price',
      shopCipher: 'required',
      handle: updatePrice,
    },
    // product/202309/products/{product_id}/inventory/update (Update Inventory)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products/{product_id}/inventory/update',
      name: 'Update Inventory',
      shopCipher: 'required',
      handle: updateInventory,
    },
    // product/202309/products/{product_id} (Get Product)
    {
      method: 'GET',
      module: 'product',
      pattern: 'products/{product_id}',
      name: 'Get Product',
      shopCipher: 'required',
      handle: (call) =>
        mapProductDetail(findProduct(call, call.params.product_id), (uri) => call.rt.imageUrl(uri), {
          underReviewVersion: call.query.return_under_review_version === 'true',
        }),
    },
    // product/202502/products/search (Search Products)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products/search',
      name: 'Search Products',
      shopCipher: 'required',
      handle: searchProducts,
    },
    // product/202309/products/activate (Activate Product)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products/activate',
      name: 'Activate Product',
      shopCipher: 'required',
      handle: (call) =>
        batchStatusChange(call, (product) =>
          product.status === 'SELLER_DEACTIVATED' || product.status === 'ACTIVATE'
            ? 'ACTIVATE'
            : `The product in its current status is not available for this operation. (status ${product.status})`,
        ),
    },
    // product/202309/products/deactivate (Deactivate Product)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products/deactivate',
      name: 'Deactivate Product',
      shopCipher: 'required',
      handle: (call) =>
        batchStatusChange(call, (product) =>
          product.status === 'ACTIVATE' || product.status === 'SELLER_DEACTIVATED'
            ? 'SELLER_DEACTIVATED'
            : `The product in its current status is not available for this operation. (status ${product.status})`,
        ),
    },
    // product/202309/products/recover (Recover Products): deleted products come back deactivated
    {
      method: 'POST',
      module: 'product',
      pattern: 'products/recover',
      name: 'Recover Products',
      shopCipher: 'required',
      handle: (call) => recoverProducts(call),
    },
    // product/202309/inventory/search (Inventory Search)
    {
      method: 'POST',
      module: 'product',
      pattern: 'inventory/search',
      name: 'Inventory Search',
      shopCipher: 'required',
      handle: inventorySearch,
    },
    // product/202309/products (Delete Products): DELETE with a JSON body
    {
      method: 'DELETE',
      module: 'product',
      pattern: 'products',
      name: 'Delete Products',
      shopCipher: 'required',
      handle: (call) => batchStatusChange(call, () => 'DELETED'),
    },
  ];
}

export type { TtsRuntime };
