/**
 * The category model an adapter reads before it lists (reference: Get Categories, Get Attributes,
 * Get Brands, Get Category Rules; all product/202309, shop-scoped) and the checks Create/Edit
 * Product apply with it: leaf category, brand, attributes marked `is_requried`, category rules.
 */
import { z } from 'zod';
import {
  attributesOf,
  BRANDS,
  CATEGORIES,
  findBrand,
  findCategory,
  rulesOf,
  type TtsAttribute,
} from '../categories.js';
import { TtsCode, TtsError } from '../errors.js';
import { type Endpoint, type EndpointCall, parseOrThrow } from '../gateway.js';
import { paginate } from '../paging.js';
import type { TtsProductContent } from '../store.js';

export function checkCategory(categoryId: string): void {
  const category = findCategory(categoryId);
  if (!category) throw new TtsError(TtsCode.categoryNotFound, `Category ${categoryId} does not exist`);
  if (!category.isLeaf) throw new TtsError(TtsCode.categoryNotLeaf, 'Category is not final category');
}

/**
 * Unknown brand → 12052026. A T1 brand the seller is not authorized for, or an authorized brand
 * outside its categories → 12052201. An unauthorized non-T1 brand is accepted (Get Brands: it
 * "will not appear on the product display page").
 */
export function checkBrand(brandId: string | undefined, categoryId: string): void {
  if (brandId === undefined || brandId === '') return;
  const brand = findBrand(brandId);
  if (!brand) throw new TtsError(TtsCode.brandNotFound, `Brand does not exist: ${brandId}`);
  if ((brand.isT1 && !brand.authorized) || (brand.authorized && !brand.categoryIds.includes(categoryId))) {
    throw new TtsError(
      TtsCode.brandNotAuthorized,
      'You are not authorized to sell this brand in this category. To do so, apply through the Qualification Center in Seller Center.',
    );
  }
}

type AttributeInput = TtsProductContent['productAttributes'];

/** Product attributes against Get Attributes of the category: required ones present, values known. */
export function checkProductAttributes(categoryId: string, attributes: AttributeInput): void {
  const bound = attributesOf(categoryId).filter((attr) => attr.type === 'PRODUCT_PROPERTY');
  const seen = new Set<string>();
  for (const input of attributes) {
    const attr = bound.find((candidate) => candidate.id === input.id);
    if (!attr) {
      throw new TtsError(
        TtsCode.attributeNotSupported,
        `Do not support custom product attribute. Attribute ${input.id} is not bound to category ${categoryId}`,
      );
    }
    if (seen.has(attr.id))
      throw new TtsError(TtsCode.attributeNotSupported, `Duplicate attribute id ${attr.id}`);
    seen.add(attr.id);
    if (input.values.length > 1 && !attr.isMultipleSelection) {
      throw new TtsError(
        TtsCode.attributeNotMultiple,
        `The product attribute not support multi selected, attribute id is :${attr.id}`,
      );
    }
    for (const value of input.values) checkValue(attr, value);
  }
  for (const attr of bound) {
    if (!attr.isRequired) continue;
    const given = attributes.find((input) => input.id === attr.id);
    if (!given || given.values.length === 0) {
      throw new TtsError(
        TtsCode.attributeRequired,
        `property is required: ${attr.name} (${attr.id}) is marked is_requried for category ${categoryId}`,
      );
    }
  }
}

function checkValue(attr: TtsAttribute, value: { id?: string | undefined; name?: string | undefined }): void {
  if (value.id !== undefined && value.id !== '') {
    if (!attr.values.some((known) => known.id === value.id)) {
      throw new TtsError(
        TtsCode.attributeNotSupported,
        `Attribute value id ${value.id} is not a value of attribute ${attr.id}`,
      );
    }
    return;
  }
  const name = value.name?.trim() ?? '';
  if (name === '') {
    throw new TtsError(
      TtsCode.attributeNotSupported,
      `The product attribute value name or attribute value id is empty (attribute ${attr.id})`,
    );
  }
  if (!attr.isCustomizable && !attr.values.some((known) => known.name === name)) {
    throw new TtsError(
      TtsCode.attributeNotSupported,
      `Do not support custom product attribute. Attribute ${attr.id} takes only its listed values`,
    );
  }
}

/** Get Category Rules as enforced: package dimensions where required, COD where supported. */
export function checkCategoryRules(content: TtsProductContent): void {
  const rules = rulesOf(content.categoryId);
  if (rules.packageDimensionRequired && !content.packageDimensions) {
    throw new TtsError(
      TtsCode.packageDimensionsRequired,
      `package_dimensions is required for category ${content.categoryId} (Get Category Rules: package_dimension.is_required)`,
    );
  }
  if (content.isCodAllowed && !rules.codSupported) {
    throw new TtsError(TtsCode.categoryNoCod, 'category do not support cod');
  }
}

function categoryParam(call: EndpointCall): string {
  const categoryId = call.params.category_id ?? '';
  checkCategory(categoryId);
  return categoryId;
}

const brandsQuery = z.object({
  page_size: z.coerce.number().int().min(1).max(100),
  page_token: z.string().optional(),
  category_id: z.string().optional(),
  is_authorized: z.enum(['0', '1', 'true', 'false']).optional(),
  brand_name: z.string().optional(),
});

function getBrands(call: EndpointCall) {
  const query = parseOrThrow(brandsQuery, call.query);
  if (query.category_id !== undefined) checkCategory(query.category_id);
  const onlyAuthorized = query.is_authorized === '1' || query.is_authorized === 'true';
  const matches = BRANDS.map((brand, index) => ({ brand, index })).filter(({ brand }) => {
    if (onlyAuthorized && !brand.authorized) return false;
    if (query.brand_name && !brand.name.toLowerCase().startsWith(query.brand_name.toLowerCase()))
      return false;
    return true;
  });
  const { page, nextPageToken } = paginate(
    matches,
    (entry) => ({ sortValue: entry.index, id: entry.brand.id }),
    {
      order: 'ASC',
      pageSize: query.page_size,
      pageToken: query.page_token,
      scope: `brands:${query.category_id ?? ''}:${onlyAuthorized}:${query.brand_name ?? ''}`,
    },
  );
  return {
    brands: page.map(({ brand }) => ({
      id: brand.id,
      name: brand.name,
      authorized_status: brand.authorized ? 'AUTHORIZED' : 'UNAUTHORIZED',
      is_t1_brand: brand.isT1,
      ...(query.category_id !== undefined && brand.authorized
        ? { brand_status: brand.categoryIds.includes(query.category_id) ? 'AVAILABLE' : 'UNAVAILABLE' }
        : {}),
    })),
    total_count: matches.length,
    next_page_token: nextPageToken,
  };
}

export const catalogEndpoints: Endpoint[] = [
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
  // product/202309/categories/{category_id}/attributes (Get Attributes)
  {
    method: 'GET',
    module: 'product',
    pattern: 'categories/{category_id}/attributes',
    name: 'Get Attributes',
    shopCipher: 'required',
    handle: (call) => ({
      attributes: attributesOf(categoryParam(call)).map((attr) => ({
        id: attr.id,
        name: attr.name,
        type: attr.type,
        ...(attr.type === 'PRODUCT_PROPERTY'
          ? {
              // The reference spells the flag `is_requried` (field table and sample alike).
              is_requried: attr.isRequired,
              is_customizable: attr.isCustomizable,
              is_multiple_selection: attr.isMultipleSelection,
            }
          : {}),
        values: attr.values.map((value) => ({ id: value.id, name: value.name })),
      })),
    }),
  },
  // product/202309/categories/{category_id}/rules (Get Category Rules)
  {
    method: 'GET',
    module: 'product',
    pattern: 'categories/{category_id}/rules',
    name: 'Get Category Rules',
    shopCipher: 'required',
    handle: (call) => {
      const rules = rulesOf(categoryParam(call));
      return {
        product_certifications: [],
        size_chart: { is_supported: rules.sizeChartSupported, is_required: false },
        cod: { is_supported: rules.codSupported },
        package_dimension: { is_required: rules.packageDimensionRequired },
        epr: { is_required: false },
        responsible_person: { is_required: false },
        manufacturer: { is_required: false },
      };
    },
  },
  // product/202309/brands (Get Brands)
  {
    method: 'GET',
    module: 'product',
    pattern: 'brands',
    name: 'Get Brands',
    shopCipher: 'required',
    handle: getBrands,
  },
];
