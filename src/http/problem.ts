/**
 * Maps any error to an RFC 9457 problem document. 5xx text is never shown; known low-level
 * failures (Fastify parser errors, Postgres data errors) become stable 4xx codes so that no input
 * can make a route answer 500.
 */
import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type FieldIssue } from '../lib/errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  /** Bahasa Indonesia version of `detail`, when there is one. */
  detail_id?: string;
  instance?: string;
  errors?: FieldIssue[];
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function problem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: `urn:kriya-sync:problem:${code}`,
    title: titles[status] ?? 'Error',
    status,
    code,
    detail,
    ...extra,
  };
}

const fastifyCodes: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'malformed_body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_VALIDATION: { status: 400, code: 'validation_failed' },
};

/** Postgres SQLSTATEs that can only come from input the schema let through. */
const postgresCodes: Record<string, { status: number; code: string; detail: string }> = {
  '23505': { status: 409, code: 'conflict', detail: 'This would duplicate an existing record.' },
  '23503': {
    status: 409,
    code: 'reference_invalid',
    detail: 'This refers to a record that does not exist or is still in use.',
  },
  '23514': { status: 400, code: 'validation_failed', detail: 'A value breaks a rule of the data model.' },
  '22P02': { status: 400, code: 'validation_failed', detail: 'A value has the wrong format.' },
  '22003': { status: 400, code: 'validation_failed', detail: 'A number is out of range.' },
  '22001': { status: 400, code: 'validation_failed', detail: 'A value is too long.' },
  '22021': { status: 400, code: 'malformed_body', detail: 'The text is not valid UTF-8.' },
  '54000': { status: 400, code: 'validation_failed', detail: 'A value is too large.' },
};

/** The SQLSTATE of a Postgres error, also when wrapped (drizzle throws `DrizzleQueryError` with it as `cause`). */
function postgresCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Socket-level failures (Node and postgres.js codes) and Postgres's own "not now" states. */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECTION_ENDED',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
]);

/**
 * Whether the failure is a dependency being unreachable rather than anything about the request:
 * the caller should retry later (503), and the operator should look at Postgres.
 */
function isDependencyOutage(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (OUTAGE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  }
  return false;
}

export function toProblem(
  err: unknown,
  instance: string,
): { problem: Problem; headers: Record<string, string>; log: boolean } {
  const headers: Record<string, string> = {};
  if (err instanceof AppError) {
    if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(err.retryAfterMs / 1000));
    const status = err.httpStatus;
    const hidden = status >= 500 && err.code !== 'dependency_unavailable';
    return {
      problem: problem(
        status,
        err.code,
        hidden ? 'Something went wrong on our side; it has been logged.' : err.message,
        {
          instance,
          ...(err.detailId && !hidden ? { detail_id: err.detailId } : {}),
          ...(err.issues && !hidden ? { errors: err.issues } : {}),
        },
      ),
      headers,
      log: status >= 500,
    };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({
      path: [
        err.validationContext ?? 'body',
        ...String(v.instancePath ?? '')
          .split('/')
          .filter(Boolean),
      ].join('.'),
      message: v.message ?? 'invalid',
    }));
    return {
      problem: problem(400, 'validation_failed', 'The request does not match the expected format.', {
        instance,
        detail_id: 'Data yang dikirim tidak sesuai format.',
        errors: issues,
      }),
      headers,
      log: false,
    };
  }
  const fe = err as Partial<FastifyError> | null;
  const mapped = fe?.code ? fastifyCodes[fe.code] : undefined;
  if (mapped) {
    return {
      problem: problem(mapped.status, mapped.code, fe?.message ?? mapped.code, { instance }),
      headers,
      log: false,
    };
  }
  if (isDependencyOutage(err)) {
    headers['retry-after'] = '5';
    return {
      problem: problem(
        503,
        'dependency_unavailable',
        'A service we depend on is not answering; try again shortly.',
        {
          instance,
          detail_id: 'Layanan sedang tidak dapat dihubungi; coba lagi sebentar lagi.',
        },
      ),
      headers,
      log: true,
    };
  }
  const pg = postgresCode(err);
  const pgMapped = pg ? postgresCodes[pg] : undefined;
  if (pgMapped) {
    return {
      problem: problem(pgMapped.status, pgMapped.code, pgMapped.detail, { instance }),
      headers,
      log: true,
    };
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    if (status === 429) headers['retry-after'] = '60';
    return {
      problem: problem(
        status,
        status === 429 ? 'rate_limited' : 'bad_request',
        fe?.message ?? 'Bad request',
        { instance },
      ),
      headers,
      log: false,
    };
  }
  return {
    problem: problem(500, 'internal_error', 'Something went wrong on our side; it has been logged.', {
      instance,
    }),
    headers,
    log: true,
  };
}
