/**
 * Error catalogue of the emulated TikTok Shop API. Codes marked "documented" come from the
 * reference (§2.2, §2.4); codes marked "sandbox" are ours, chosen inside the documented family
 * because the reference names no code for that rule. Clients must decide on `code`, then status.
 */

/** A TikTok Shop error answered as `{ code, message, request_id, data }`. */
export class TtsError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** HTTP status; only 401 (sign) and 429 (throttle) are documented as non-200. */
    readonly httpStatus = 200,
    readonly data: unknown = {},
  ) {
    super(message);
    this.name = 'TtsError';
  }
}

export const TtsCode = {
  ok: 0,
  /** documented: too many requests, HTTP 429. */
  rateLimited: 36009002,
  /** documented: overloaded "invalid request" code, distinguished by message. */
  invalidRequest: 36009004,
  /** documented: invalid path. */
  invalidPath: 36009009,
  /** documented: invalid method. */
  invalidMethod: 36009010,
  /** documented: invalid version. */
  invalidVersion: 36009014,
  /** documented: file too large. */
  fileTooLarge: 36009021,
  /** documented: wrong content-type. */
  wrongContentType: 36009022,
  /** documented: invalid sign, HTTP 401. */
  invalidSign: 106001,
  /** documented: missing shop_cipher. */
  missingShopCipher: 106013,
  /** documented: access token expired. */
  accessTokenExpired: 105002,
  /** documented: "can not find related auth record" (unknown, used or expired auth code / refresh token). */
  authRecordNotFound: 36004004,
  /** documented: refresh token ("rt") has expired. */
  refreshTokenExpired: 36004001,
  /** documented: category is not a leaf category. */
  categoryNotLeaf: 12052024,
  /** documented: more than 100 SKUs. */
  tooManySkus: 12052050,
  /** documented: more than 10 seller_skus in a product search. */
  tooManySellerSkus: 12019027,
  /** documented: batch business error (activate/deactivate/delete per-item failure). */
  batchBusinessError: 12052990,
  /** sandbox: a product field breaks a documented rule that has no documented code of its own (title length, seller_sku). Absent from every TT error list. */
  invalidProductField: 12052000,
  /** documented (create/edit/update-price/inventory): "The product does not exist". */
  productNotFound: 12052032,
  /** documented: "The product in its current status is not available for this operation." */
  productWrongStatus: 12052901,
  /** documented (create/edit): "product main image uri illegal" — used for a uri this app never uploaded. */
  imageUriIllegal: 12052300,
  /** documented (update-price, edit, partial-edit): "The SKU ID does not belong to the product." */
  skuNotInProduct: 12052557,
  /** documented (update-inventory): "The SKU id not exist." */
  skuIdNotExist: 12052556,
  /** documented: "The SKU inventory quantity for the warehouse must be within allowed limits." */
  quantityOutOfRange: 12052055,
  /** documented: "The warehouse does not exist". */
  warehouseNotFound: 12052097,
  /** documented: "The warehouse '{{warehouse ID}}' does not belong to this shop/seller." */
  warehouseNotOfShop: 12052530,
  /** documented: "No multiple warehouse permission". */
  noMultiWarehouse: 12052094,
  /** documented (create): "SKU must contain a valid warehouse." (update-inventory list). */
  skuNeedsWarehouse: 12019022,
  /** documented: "The product price is invalid". */
  invalidPrice: 12052073,
  /** documented: "Category does not exist". */
  categoryNotFound: 12052023,
  /** documented: "Brand does not exist". */
  brandNotFound: 12052026,
  /** documented: "You are not authorized to sell this brand in this category." */
  brandNotAuthorized: 12052201,
  /** documented: "property is required" (a product attribute marked is_requried is missing). */
  attributeRequired: 12052104,
  /** documented: "Do not support custom product attribute." (unknown attribute or value). */
  attributeNotSupported: 12052247,
  /** documented: "The {{property_type}} not support multi selected". */
  attributeNotMultiple: 12052246,
  /** documented: "SKU property must contain all properties" (SKUs with different sales-attribute types). */
  skuPropertiesDiffer: 12052550,
  /** documented: "Product sale property image is required". */
  skuImageRequired: 12052522,
  /** documented: "The SKU contains duplicate sales attribute." */
  duplicateSalesAttribute: 12052560,
  /** documented: "The attribute max num cannot exceed 3." */
  tooManySalesAttributes: 12052525,
  /** documented: "product package weight is invalid". */
  invalidPackageWeight: 12019011,
  /** documented: imperial weight or dimension units on a non-US local product. */
  imperialUnits: 12019061,
  /** documented (Get Category Rules: package_dimension.is_required) — "Incorrect parcel length format". */
  packageDimensionsRequired: 12052005,
  /** documented (upload image): "Invalid upload file. Please ensure you are passing the correct file data." */
  invalidUploadFile: 12038002,
  /** documented (upload image): "Failed to process the image. The format or content is not supported." */
  imageFormatUnsupported: 12038004,
  /** documented (upload image): "The file size exceeds the maximum allowed size." */
  imageTooLarge: 12038005,
  /** documented (upload image): "The image dimensions exceed the allowed limits. Allowed dimensions …" */
  imageDimensions: 12038014,
  /** documented: "category do not support cod". */
  categoryNoCod: 12052222,
  /** documented: "Sku id duplicate". */
  skuIdDuplicate: 12052553,
  /** documented: "product is not supported to list in designated sale platform". */
  platformNotSupported: 12052330,
  /** documented: "The warehouse is disabled." */
  warehouseDisabled: 12052531,
  /** documented: "the warehouse not delivery warehouse" (a return warehouse on a SKU). */
  notDeliveryWarehouse: 12052532,
  /** documented: "The package weight of the product can not be zero." */
  packageWeightZero: 12052181,
  /** documented (update-inventory): "Multiple warehouses detected. Include all warehouse IDs …" */
  multipleWarehousesDetected: 12019028,
  /** documented: "The check failed." — the per-SKU entry of Update Inventory's data.errors. */
  checkFailed: 12052990,
  /** documented (order detail): "The order or package does not belong to the current seller." */
  orderNotOfSeller: 21008111,
} as const;

export const invalidRequest = (message: string): TtsError => new TtsError(TtsCode.invalidRequest, message);

export const throttled = (): TtsError =>
  new TtsError(TtsCode.rateLimited, 'Too many requests. Please retry later.', 429);
