/**
 * Products with inline SKUs (reference §2.5): create, full edit, partial edit, price and inventory
 * updates, detail, search, activate / deactivate / delete, and the category tree they depend on.
 */
import { z } from 'zod';
import { CATEGORIES, findCategory } from '../categories.js';
import { invalidRequest, TtsCode, TtsError } from '../errors.js';
import { type Endpoint, type EndpointCall, parseOrThrow } from '../gateway.js';
import { mapProductDetail, mapProductSummary } from '../mappers.js';
import { paginate } from '../paging.js';
import type { TtsRuntime } from '../runtime.js';
import type {
  ListingPlatform,
  ProductStatus,
  TtsProduct,
  TtsSalesAttribute,
  TtsShop,
  TtsSku,
} from '../store.js';

const ID_TITLE_MIN = 25;
const ID_TITLE_MAX = 255;
const ID_PRICE_MIN = 100;
const ID_PRICE_MAX = 100_000_000;
const MAX_SALES_ATTRIBUTES = 3;
const MAX_BATCH_PRODUCT_IDS = 20;
const MAX_INVENTORY_QUANTITY = 999_999;

const priceInput = z.object({ amount: z.string(), currency: z.string() });
const inventoryInput = z.array(
  z.object({
    warehouse_id: z.string().optional(),
    quantity: z.number().int().min(0).max(MAX_INVENTORY_QUANTITY),
  }),
);
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
  price: priceInput,
  inventory: inventoryInput.min(1),
  sales_attributes: z.array(salesAttributeInput).optional(),
  external_sku_id: z.string().optional(),
});
const listingPlatformInput = z
  .array(z.enum(['TIKTOK_SHOP', 'TOKOPEDIA']))
  .min(1)
  .optional();
const productInput = z.object({
  title: z.string(),
  description: z.string().min(1).max(10_000),
  category_id: z.string(),
  brand_id: z.string().optional(),
  main_images: z
    .array(z.object({ uri: z.string() }))
    .min(1)
    .max(9),
  skus: z.array(z.unknown()).min(1),
  package_weight: z.object({ value: z.string(), unit: z.enum(['KILOGRAM', 'POUND']) }),
  package_dimensions: z
    .object({
      length: z.string(),
      width: z.string(),
      height: z.string(),
      unit: z.enum(['CENTIMETER', 'INCH']),
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
  listing_platform: listingPlatformInput,
});
const partialEditInput = productInput.partial().omit({ save_mode: true });

type SkuInput = z.infer<typeof skuInput>;

const productError = (message: string) => new TtsError(TtsCode.invalidProductField, message);

/** Parses a price string: decimal, currency IDR, 100 … 100,000,000 for Indonesian shops. */
export function parsePrice(price: { amount: string; currency: string }): number {
  if (price.currency !== 'IDR') throw productError(`Invalid currency ${price.currency}: IDR is required`);
  if (!/^\d+(\.\d{1,2})?$/.test(price.amount)) throw productError(`Invalid price amount "${price.amount}"`);
  const amount = Number(price.amount);
  if (amount < ID_PRICE_MIN || amount > ID_PRICE_MAX) {
    throw productError(`Price must be between ${ID_PRICE_MIN} and ${ID_PRICE_MAX} IDR`);
  }
  return amount;
}

function findProduct(call: EndpointCall, productId: string | undefined): TtsProduct {
  const product = productId ? call.rt.state.products[productId] : undefined;
  if (!product || product.shopId !== call.shop?.id || product.status === 'DELETED') {
    throw new TtsError(TtsCode.productNotFound, `Product ${productId ?? ''} does not exist`);
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
    throw new TtsError(TtsCode.imageNotFound, `Image uri ${uri} does not exist; upload it first`);
  }
}

function inventoryRows(shop: TtsShop, rows: z.infer<typeof inventoryInput>) {
  return rows.map((row) => {
    if (row.warehouse_id !== undefined && row.warehouse_id !== shop.defaultWarehouseId) {
      throw productError(`Warehouse ${row.warehouse_id} does not belong to the shop`);
    }
    return { warehouseId: shop.defaultWarehouseId, quantity: row.quantity };
  });
}

/** Builds the SKU list of a create/edit, enforcing the SKU and sales-attribute limits. */
function buildSkus(
  call: EndpointCall,
  shop: TtsShop,
  rawSkus: unknown[],
  existing: TtsProduct | undefined,
): TtsSku[] {
  const { rt } = call;
  if (rawSkus.length > rt.state.settings.maxSkusPerProduct) {
    throw new TtsError(
      TtsCode.tooManySkus,
      `A product can have at most ${rt.state.settings.maxSkusPerProduct} SKUs`,
    );
  }
  const inputs: SkuInput[] = rawSkus.map((raw) => parseOrThrow(skuInput, raw));
  const names = new Set<string>();
  for (const sku of inputs) {
    const attributes = sku.sales_attributes ?? [];
    if (attributes.length > MAX_SALES_ATTRIBUTES) {
      throw productError(`A SKU can have at most ${MAX_SALES_ATTRIBUTES} sales attributes`);
    }
    for (const attr of attributes) names.add(attr.id ?? attr.name ?? '');
  }
  if (names.size > MAX_SALES_ATTRIBUTES) {
    throw productError(`A product can have at most ${MAX_SALES_ATTRIBUTES} sales attributes`);
  }
  if (inputs.length > 1 && inputs.some((sku) => (sku.sales_attributes ?? []).length === 0)) {
    throw productError('Every SKU of a product with several SKUs needs sales_attributes');
  }
  // Attribute and value ids stay stable across edits when names match.
  const attributeIds = new Map<string, string>();
  const valueIds = new Map<string, string>();
  for (const sku of existing?.skus ?? []) {
    for (const attr of sku.salesAttributes) {
      attributeIds.set(attr.name, attr.id);
      valueIds.set(`${attr.name}\u0000${attr.valueName}`, attr.valueId);
    }
  }
  const combinations = new Set<string>();
  return inputs.map((input) => {
    if (input.id !== undefined && !existing?.skus.some((sku) => sku.id === input.id)) {
      throw new TtsError(TtsCode.skuNotFound, `SKU ${input.id} does not belong to the product`);
    }
    const salesAttributes: TtsSalesAttribute[] = (input.sales_attributes ?? []).map((attr) => {
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
    const combination = salesAttributes.map((attr) => `${attr.id}=${attr.valueId}`).join('&');
    if (combinations.has(combination)) throw productError('Two SKUs have the same sales attribute values');
    combinations.add(combination);
    return {
      id: input.id ?? rt.newId(),
      sellerSku: input.seller_sku ?? '',
      price: parsePrice(input.price),
      inventory: inventoryRows(shop, input.inventory),
      salesAttributes,
      ...(input.external_sku_id !== undefined ? { externalSkuId: input.external_sku_id } : {}),
    };
  });
}

function checkTitle(title: string): void {
  const length = [...title].length;
  if (length < ID_TITLE_MIN || length > ID_TITLE_MAX) {
    throw productError(`Title must be ${ID_TITLE_MIN}-${ID_TITLE_MAX} characters for Indonesian shops`);
  }
}

function checkCategory(categoryId: string): void {
  const category = findCategory(categoryId);
  if (!category) throw productError(`Category ${categoryId} does not exist`);
  if (!category.isLeaf) throw new TtsError(TtsCode.categoryNotLeaf, 'Category is not final category');
}

function listingPlatforms(shop: TtsShop, requested: ListingPlatform[] | undefined): ListingPlatform[] {
  if (!requested) return shop.tokopedia ? ['TIKTOK_SHOP', 'TOKOPEDIA'] : ['TIKTOK_SHOP'];
  if (requested.includes('TOKOPEDIA') && !shop.tokopedia) {
    throw productError('listing_platform TOKOPEDIA is only available to Tokopedia shops');
  }
  return [...new Set(requested)];
}

function writeResult(product: TtsProduct) {
  return {
    product_id: product.id,
    skus: product.skus.map((sku) => ({
      id: sku.id,
      seller_sku: sku.sellerSku,
      sales_attributes: sku.salesAttributes.map((attr) => ({ id: attr.id, value_id: attr.valueId })),
    })),
    warnings: [],
  };
}

/** Applies a full create/edit payload to a product (new or existing). */
function applyFullPayload(call: EndpointCall, body: unknown, existing: TtsProduct | undefined): TtsProduct {
  const shop = requireShop(call);
  const rawSkus = (body as { skus?: unknown } | undefined)?.skus;
  if (Array.isArray(rawSkus) && rawSkus.length > call.rt.state.settings.maxSkusPerProduct) {
    throw new TtsError(
      TtsCode.tooManySkus,
      `A product can have at most ${call.rt.state.settings.maxSkusPerProduct} SKUs`,
    );
  }
  const input = parseOrThrow(productInput, body);
  checkTitle(input.title);
  checkCategory(input.category_id);
  for (const image of input.main_images) checkImage(call, image.uri);
  const skus = buildSkus(call, shop, input.skus, existing);
  const now = call.rt.nowSeconds();
  const product: TtsProduct = {
    id: existing?.id ?? call.rt.newId(),
    shopId: shop.id,
    title: input.title,
    description: input.description,
    categoryId: input.category_id,
    ...(input.brand_id !== undefined ? { brandId: input.brand_id } : {}),
    mainImageUris: input.main_images.map((image) => image.uri),
    skus,
    packageWeight: input.package_weight,
    ...(input.package_dimensions ? { packageDimensions: input.package_dimensions } : {}),
    productAttributes: (input.product_attributes ?? []).map((attr) => ({
      id: attr.id,
      values: attr.values.map((value) => ({
        ...(value.id !== undefined ? { id: value.id } : {}),
        ...(value.name !== undefined ? { name: value.name } : {}),
      })),
    })),
    status: 'DRAFT',
    listingPlatforms: listingPlatforms(shop, input.listing_platform ?? existing?.listingPlatforms),
    auditFailedReasons: [],
    ...(input.external_product_id !== undefined ? { externalProductId: input.external_product_id } : {}),
    isCodAllowed: input.is_cod_allowed ?? false,
    createTime: existing?.createTime ?? now,
    updateTime: now,
  };
  if (input.save_mode !== 'AS_DRAFT') call.rt.startAudit(product);
  call.rt.state.products[product.id] = product;
  return product;
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
    z.object({ product_ids: z.array(z.string()).min(1), listing_platform: listingPlatformInput }),
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
        message: 'Product does not exist',
        detail: { product_id: productId },
      });
      continue;
    }
    const outcome = change(product);
    if (typeof outcome === 'string' && !isProductStatus(outcome)) {
      errors.push({ code: TtsCode.batchBusinessError, message: outcome, detail: { product_id: productId } });
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

function skuUpdates(
  call: EndpointCall,
  apply: (sku: TtsSku, input: Record<string, unknown>) => void,
  schema: z.ZodType<{ skus: Array<{ id: string } & Record<string, unknown>> }>,
): { errors?: BatchError[] } {
  const product = findProduct(call, call.params.product_id);
  if (product.status !== 'ACTIVATE') {
    throw new TtsError(
      TtsCode.productNotActive,
      `Product status is ${product.status}; only ACTIVATE products can be updated`,
    );
  }
  const input = parseOrThrow(schema, call.body);
  if (input.skus.length > call.rt.state.settings.maxSkusPerProduct) {
    throw new TtsError(
      TtsCode.tooManySkus,
      `At most ${call.rt.state.settings.maxSkusPerProduct} SKUs per call`,
    );
  }
  const errors: BatchError[] = [];
  for (const entry of input.skus) {
    const sku = product.skus.find((candidate) => candidate.id === entry.id);
    if (!sku) {
      errors.push({
        code: TtsCode.skuNotFound,
        message: 'SKU does not belong to the product',
        detail: { sku_id: entry.id },
      });
      continue;
    }
    try {
      apply(sku, entry);
    } catch (error) {
      if (!(error instanceof TtsError)) throw error;
      errors.push({ code: error.code, message: error.message, detail: { sku_id: entry.id } });
    }
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
    listing_platform: z.enum(['TIKTOK_SHOP', 'TOKOPEDIA']).optional(),
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
  const matches = call.rt.store.productsOfShop(shop.id).filter((product) => {
    if (status === 'ALL' ? product.status === 'DELETED' : product.status !== status) return false;
    if (filter.seller_skus && !product.skus.some((sku) => filter.seller_skus?.includes(sku.sellerSku)))
      return false;
    if (filter.listing_platform && !product.listingPlatforms.includes(filter.listing_platform)) return false;
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

function partialEdit(call: EndpointCall) {
  const shop = requireShop(call);
  const product = findProduct(call, call.params.product_id);
  const rawSkus = (call.body as { skus?: unknown } | undefined)?.skus;
  const input = parseOrThrow(partialEditInput, call.body);
  if (input.title !== undefined) {
    checkTitle(input.title);
    product.title = input.title;
  }
  if (input.description !== undefined) product.description = input.description;
  if (input.category_id !== undefined) {
    checkCategory(input.category_id);
    product.categoryId = input.category_id;
  }
  if (input.brand_id !== undefined) product.brandId = input.brand_id;
  if (input.main_images !== undefined) {
    for (const image of input.main_images) checkImage(call, image.uri);
    product.mainImageUris = input.main_images.map((image) => image.uri);
  }
  if (input.package_weight !== undefined) product.packageWeight = input.package_weight;
  if (input.package_dimensions !== undefined) product.packageDimensions = input.package_dimensions;
  if (input.is_cod_allowed !== undefined) product.isCodAllowed = input.is_cod_allowed;
  if (input.external_product_id !== undefined) product.externalProductId = input.external_product_id;
  if (input.listing_platform !== undefined)
    product.listingPlatforms = listingPlatforms(shop, input.listing_platform);
  if (Array.isArray(rawSkus)) {
    // Supplied SKUs (by id) are replaced, new ones added; SKUs not mentioned stay as they are.
    const supplied = buildSkus(call, shop, rawSkus, product);
    const merged = [...product.skus.filter((sku) => !supplied.some((s) => s.id === sku.id)), ...supplied];
    if (merged.length > call.rt.state.settings.maxSkusPerProduct) {
      throw new TtsError(
        TtsCode.tooManySkus,
        `A product can have at most ${call.rt.state.settings.maxSkusPerProduct} SKUs`,
      );
    }
    product.skus = merged;
  }
  product.updateTime = call.rt.nowSeconds();
  return writeResult(product);
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
    // product/202309/categories (Get Categories)
    {
      method: 'GET',
      module: 'product',
      pattern: 'categories',
      name: 'Get Categories',
      shopCipher: 'required',
      handle: () => ({
        categories: CATEGORIES.map((category) => ({
          id: category.id,
          parent_id: category.parentId,
          local_name: category.localName,
          is_leaf: category.isLeaf,
          permission_statuses: ['AVAILABLE'],
        })),
      }),
    },
    // product/202309/products (Create Product)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products',
      name: 'Create Product',
      shopCipher: 'required',
      handle: (call) => writeResult(applyFullPayload(call, call.body, undefined)),
    },
    // product/202309/products/{product_id} (Edit Product): full replace, omitted SKU ids are deleted
    {
      method: 'PUT',
      module: 'product',
      pattern: 'products/{product_id}',
      name: 'Edit Product',
      shopCipher: 'required',
      handle: (call) =>
        writeResult(applyFullPayload(call, call.body, findProduct(call, call.params.product_id))),
    },
    // product/202309/products/{product_id}/partial_edit (Partial Edit Product)
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
      handle: (call) =>
        skuUpdates(
          call,
          (sku, entry) => {
            sku.price = parsePrice(entry.price as { amount: string; currency: string });
          },
          z.object({ skus: z.array(z.object({ id: z.string(), price: priceInput })).min(1) }),
        ),
    },
    // product/202309/products/{product_id}/inventory/update (Update Inventory)
    {
      method: 'POST',
      module: 'product',
      pattern: 'products/{product_id}/inventory/update',
      name: 'Update Inventory',
      shopCipher: 'required',
      handle: (call) => {
        const shop = requireShop(call);
        return skuUpdates(
          call,
          (sku, entry) => {
            sku.inventory = inventoryRows(shop, entry.inventory as z.infer<typeof inventoryInput>);
          },
          z.object({ skus: z.array(z.object({ id: z.string(), inventory: inventoryInput.min(1) })).min(1) }),
        );
      },
    },
    // product/202309/products/{product_id} (Get Product)
    {
      method: 'GET',
      module: 'product',
      pattern: 'products/{product_id}',
      name: 'Get Product',
      shopCipher: 'required',
      handle: (call) =>
        mapProductDetail(findProduct(call, call.params.product_id), (uri) => call.rt.imageUrl(uri)),
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
            : `Batch activate business error: product status is ${product.status}`,
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
            : `Batch deactivate business error: product status is ${product.status}`,
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
