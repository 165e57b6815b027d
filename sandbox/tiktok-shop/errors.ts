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
  /** sandbox: a product field breaks a documented rule (title length, price range, sales attributes). */
  invalidProductField: 12052000,
  /** sandbox: product id unknown to this shop. */
  productNotFound: 12052700,
  /** sandbox: price/inventory update on a product that is not ACTIVATE. */
  productNotActive: 12052701,
  /** sandbox: image uri was never uploaded by this app. */
  imageNotFound: 12052702,
  /** sandbox: SKU id is not part of the product. */
  skuNotFound: 12052703,
} as const;

export const invalidRequest = (message: string): TtsError => new TtsError(TtsCode.invalidRequest, message);

export const throttled = (): TtsError =>
  new TtsError(TtsCode.rateLimited, 'Too many requests. Please retry later.', 429);
