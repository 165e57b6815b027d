/**
 * Turns anything a channel call threw into a retry decision. Pure: processors translate the result
 * into BullMQ terms (rethrow, `UnrecoverableError`, or `rateLimit` + `RateLimitError`).
 */
import { ChannelFailure, type FailureKind, type HumanMessage } from './types.js';

export interface FailureDecision {
  kind: FailureKind;
  /** Whether the same work should run again by itself (retryable and throttled). */
  retry: boolean;
  /** Wait before the next call to the same shop; set for throttles. */
  waitMs: number | undefined;
  platformCode: string;
  human: HumanMessage;
}

/** Network-level error codes that mean "the call may not have reached the platform, or its answer was lost". */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNABORTED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const DEFAULT_THROTTLE_WAIT_MS = 1_000;

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { response?: { status?: unknown } }).response?.status;
  return typeof status === 'number' ? status : undefined;
}

export function classifyChannelFailure(err: unknown): FailureDecision {
  if (err instanceof ChannelFailure) {
    return {
      kind: err.kind,
      retry: err.kind === 'retryable' || err.kind === 'throttled',
      waitMs: err.kind === 'throttled' ? (err.waitMs ?? DEFAULT_THROTTLE_WAIT_MS) : err.waitMs,
      platformCode: err.platformCode,
      human: err.human,
    };
  }
  const status = httpStatus(err);
  if (status === 429) {
    return {
      kind: 'throttled',
      retry: true,
      waitMs: DEFAULT_THROTTLE_WAIT_MS,
      platformCode: 'HTTP 429',
      human: {
        en: 'The marketplace asked us to slow down; the change will go out shortly.',
        id: 'Marketplace meminta kami memperlambat; perubahan akan segera dikirim.',
      },
    };
  }
  const code = errorCode(err);
  if ((status !== undefined && status >= 500) || (code !== undefined && TRANSIENT_NETWORK_CODES.has(code))) {
    return {
      kind: 'retryable',
      retry: true,
      waitMs: undefined,
      platformCode: status !== undefined ? `HTTP ${status}` : (code ?? 'network'),
      human: {
        en: 'The marketplace could not be reached; we will try again.',
        id: 'Marketplace tidak dapat dihubungi; kami akan mencoba lagi.',
      },
    };
  }
  return {
    kind: 'permanent',
    retry: false,
    waitMs: undefined,
    platformCode: status !== undefined ? `HTTP ${status}` : (code ?? 'unknown'),
    human: {
      en: 'The change could not be sent because of an unexpected error; an operator has been told.',
      id: 'Perubahan tidak dapat dikirim karena kesalahan tak terduga; operator sudah diberi tahu.',
    },
  };
}
