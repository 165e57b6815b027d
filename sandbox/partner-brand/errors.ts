/** Error catalogue of the partner-brand API: every error is `{ "error": { "code", "message" } }`. */

export const PartnerErrorCode = {
  missingCredentials: 'missing_credentials',
  unknownKey: 'unknown_key',
  staleTimestamp: 'stale_timestamp',
  invalidSignature: 'invalid_signature',
  validationFailed: 'validation_failed',
  invalidCursor: 'invalid_cursor',
  notFound: 'not_found',
  rateLimited: 'rate_limited',
  internal: 'internal_error',
} as const;

export type PartnerErrorCodeValue = (typeof PartnerErrorCode)[keyof typeof PartnerErrorCode];

export class PartnerError extends Error {
  constructor(
    readonly code: PartnerErrorCodeValue,
    message: string,
    readonly httpStatus: number,
    /** Seconds a throttled client should wait (sent as `Retry-After`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'PartnerError';
  }
}

export const unauthorized = (code: PartnerErrorCodeValue, message: string) =>
  new PartnerError(code, message, 401);
export const badRequest = (message: string) =>
  new PartnerError(PartnerErrorCode.validationFailed, message, 400);

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}
