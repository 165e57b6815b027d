/**
 * Shopee error codes and messages as the documentation's common error list spells them, including the
 * real typo `invalid_acceess_token`. Business errors raise `ShopeeError` with their own code.
 */
export class ShopeeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ShopeeError';
  }
}

export const shopeeErrors = {
  noPartnerId: () => new ShopeeError('error_param', 'There is no partner_id in query'),
  noSign: () => new ShopeeError('error_param', 'There is no sign in query'),
  noAccessToken: () => new ShopeeError('error_param', 'There is no access_token in query'),
  noShopId: () => new ShopeeError('error_param', 'There is no shop_id in query'),
  invalidTimestamp: () => new ShopeeError('error_param', 'Invalid timestamp'),
  expiredTimestamp: () => new ShopeeError('error_param', 'Timestamp is expired'),
  wrongSign: () => new ShopeeError('error_sign', 'Wrong sign.'),
  invalidPartnerOrShop: () => new ShopeeError('error_auth', 'Invalid partner_id or shopid.'),
  invalidAccessToken: () => new ShopeeError('error_auth', 'Invalid access_token.'),
  expiredAccessToken: () => new ShopeeError('invalid_acceess_token', 'Invalid access_token.'),
  invalidCode: () =>
    new ShopeeError('invalid_code', 'The code is expired or used or invalid, please check the code.'),
  /** token/get: the code was issued for another shop. */
  invalidShopId: () =>
    new ShopeeError('invalid_shop_id', 'The code or shop_id is wrong, please check the code or the shop_id.'),
  invalidRefreshToken: () =>
    new ShopeeError(
      'error_shop_refresh_token',
      'Your refresh token is error ,please check refresh token or shopid.',
    ),
  expiredRefreshToken: () => new ShopeeError('refresh_token_expired', 'Your refresh_token expired.'),
  shopNotLinked: () => new ShopeeError('shop_no_linked', 'Partner and shop has no linked.'),
  rateLimit: () =>
    new ShopeeError(
      'error_rate_limit',
      'Too many requests. You have reached the rate limit. Please try again later.',
    ),
  dailyLimit: () =>
    new ShopeeError(
      'error_limit',
      'You have reached the daily API call limit, which resets at 00:00 (UTC+8).',
    ),
  param: (message: string) => new ShopeeError('error_param', message),
  required: (field: string) =>
    new ShopeeError('error_param', `Wrong parameters, detail: ${field} is required.`),
  itemNotFound: (itemId: number | string) =>
    new ShopeeError('error_item_not_found', `Item ${itemId} not found.`),
  imageNotExist: () => new ShopeeError('error_param', 'Image not exist.'),
  notFound: (path: string) => new ShopeeError('error_not_found', `Api ${path} not found.`),
  server: () => new ShopeeError('error_server', 'Internal server error, please try again later.'),
} as const;
