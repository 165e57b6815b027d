/**
 * The error catalogue. Every failure the service reports is one of these classes, each with a
 * stable machine-readable `code`. The HTTP layer maps them to RFC 9457 problem documents; workers
 * map `retryable`/`retryAfterMs` to BullMQ control flow. Domain code picks the class, never a status.
 */

export interface FieldIssue {
  /** Where the problem is: `body.variants.0.priceIdr`, `query.limit`, `row 4 / price_idr`. */
  path: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  /** Same message in Bahasa Indonesia, for crafters and admins. */
  detailId?: string;
  issues?: FieldIssue[];
  retryAfterMs?: number;
  cause?: unknown;
}

/** Base class: a failure with a stable code, an HTTP mapping and a retry classification. */
export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  /** Whether doing the same thing again later can succeed. */
  readonly retryable: boolean = false;
  readonly detailId: string | undefined;
  readonly issues: FieldIssue[] | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: AppErrorOptions = {}) {
    super(options.detail ?? message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.detailId = options.detailId;
    this.issues = options.issues;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Input that does not match the schema or a business rule about its shape. */
export class ValidationError extends AppError {
  readonly code: string = 'validation_failed';
  readonly httpStatus: number = 400;
  constructor(message: string, options: AppErrorOptions = {}) {
    super(message, { detailId: 'Data yang dikirim tidak valid.', ...options });
  }
}

export class MalformedBodyError extends AppError {
  readonly code = 'malformed_body';
  readonly httpStatus = 400;
}

export class UnauthenticatedError extends AppError {
  readonly code: string = 'unauthenticated';
  readonly httpStatus = 401;
  constructor(message = 'A valid bearer token is required.', options: AppErrorOptions = {}) {
    super(message, { detailId: 'Silakan masuk terlebih dahulu.', ...options });
  }
}

export class TokenExpiredError extends UnauthenticatedError {
  override readonly code = 'token_expired';
  constructor() {
    super('The bearer token has expired; log in again.', {
      detailId: 'Sesi Anda telah berakhir; silakan masuk lagi.',
    });
  }
}

export class InvalidCredentialsError extends AppError {
  readonly code = 'invalid_credentials';
  readonly httpStatus = 401;
  constructor() {
    super('Username or password is wrong.', { detailId: 'Nama pengguna atau kata sandi salah.' });
  }
}

/** The caller is known but its role may not do this at all. */
export class ForbiddenError extends AppError {
  readonly code = 'forbidden';
  readonly httpStatus = 403;
  constructor(message = 'Your role may not do this.', options: AppErrorOptions = {}) {
    super(message, { detailId: 'Peran Anda tidak diizinkan melakukan ini.', ...options });
  }
}

/**
 * The resource does not exist, or lies outside the caller's scope. Both answer the same 404 so that
 * scoping never reveals whether another region's or crafter's resource exists.
 */
export class NotFoundError extends AppError {
  readonly code = 'not_found';
  readonly httpStatus = 404;
  constructor(what: string, options: AppErrorOptions = {}) {
    super(`${what} was not found.`, { detailId: `${what} tidak ditemukan.`, ...options });
  }
}

export class ConflictError extends AppError {
  readonly code: string;
  readonly httpStatus = 409;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** `If-Match` names a version that is no longer current. */
export class VersionMismatchError extends AppError {
  readonly code = 'version_mismatch';
  readonly httpStatus = 412;
  constructor(currentVersion: number) {
    super(
      `The resource has changed since you loaded it (current version ${currentVersion}); reload and try again.`,
      { detailId: 'Data sudah diubah orang lain; muat ulang lalu coba lagi.' },
    );
  }
}

export class PreconditionRequiredError extends AppError {
  readonly code = 'if_match_required';
  readonly httpStatus = 428;
  constructor() {
    super('This request must carry an If-Match header with the ETag you loaded.', {
      detailId: 'Permintaan ini memerlukan header If-Match.',
    });
  }
}

export class IdempotencyKeyReusedError extends AppError {
  readonly code = 'idempotency_key_reused';
  readonly httpStatus = 422;
  constructor() {
    super('This Idempotency-Key was already used with a different request body.', {
      detailId: 'Idempotency-Key ini sudah dipakai untuk data yang berbeda.',
    });
  }
}

export class IdempotencyInProgressError extends AppError {
  readonly code = 'idempotency_in_progress';
  readonly httpStatus = 409;
  override readonly retryable = true;
  constructor() {
    super('A request with this Idempotency-Key is still being processed; retry shortly.', {
      retryAfterMs: 1000,
    });
  }
}

export class PayloadTooLargeError extends AppError {
  readonly code = 'payload_too_large';
  readonly httpStatus = 413;
}

export class UnsupportedMediaTypeError extends AppError {
  readonly code = 'unsupported_media_type';
  readonly httpStatus = 415;
}

export class RateLimitedError extends AppError {
  readonly code = 'rate_limited';
  readonly httpStatus = 429;
  override readonly retryable = true;
}

/** A dependency (Postgres, Redis, a channel) is not available right now. */
export class DependencyUnavailableError extends AppError {
  readonly code = 'dependency_unavailable';
  readonly httpStatus = 503;
  override readonly retryable = true;
}

/** The service has no credentials or host for this channel (demo/test without them). */
export class ChannelNotConfiguredError extends AppError {
  readonly code = 'channel_not_configured';
  readonly httpStatus = 503;
  constructor(channelName: string) {
    super(
      `${channelName} is not configured on this server; ask the operator to set its partner credentials.`,
      {
        detailId: `${channelName} belum dikonfigurasi di server ini; hubungi operator.`,
      },
    );
  }
}

/**
 * A marketplace authorization callback whose `state` is forged, expired, meant for another channel
 * (`oauth_state_invalid`, 400) or already used (`oauth_state_used`, 409). Nothing is written.
 */
export class AuthorizationStateError extends AppError {
  readonly code: 'oauth_state_invalid' | 'oauth_state_used';
  readonly httpStatus: number;
  constructor(kind: 'invalid' | 'expired' | 'used') {
    const text = {
      invalid: [
        'The authorization link is not valid; start connecting the shop again.',
        'Tautan otorisasi tidak valid; mulai hubungkan toko lagi.',
      ],
      expired: [
        'The authorization link has expired; start connecting the shop again.',
        'Tautan otorisasi sudah kedaluwarsa; mulai hubungkan toko lagi.',
      ],
      used: [
        'This authorization link was already used; start connecting the shop again.',
        'Tautan otorisasi ini sudah dipakai; mulai hubungkan toko lagi.',
      ],
    }[kind];
    const [en, id] = text as [string, string];
    super(en, { detailId: id });
    this.code = kind === 'used' ? 'oauth_state_used' : 'oauth_state_invalid';
    this.httpStatus = kind === 'used' ? 409 : 400;
  }
}

/** The marketplace refused the authorization code (wrong, used or expired). */
export class AuthorizationCodeRejectedError extends AppError {
  readonly code = 'authorization_code_rejected';
  readonly httpStatus = 400;
}

/** A webhook whose signature does not verify (forged, altered, or signed for another URL). Nothing happens. */
export class WebhookSignatureError extends AppError {
  readonly code = 'webhook_signature_invalid';
  readonly httpStatus = 401;
  constructor() {
    super('The webhook signature does not verify; the notification was ignored.', {
      detailId: 'Tanda tangan webhook tidak valid; notifikasi diabaikan.',
    });
  }
}

/** An uploaded sales report with problems in its rows: every problem is listed and nothing is imported. */
export class SalesReportInvalidError extends AppError {
  readonly code = 'sales_report_invalid';
  readonly httpStatus = 422;
}

/** Anything unexpected. Its text is never shown to callers. */
export class InternalError extends AppError {
  readonly code = 'internal_error';
  readonly httpStatus = 500;
}
