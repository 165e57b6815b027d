import type { FastifyRequest } from 'fastify';
import type { CallLog, CallLogEntry } from './contract.js';

/**
 * What a platform module knows about a call that the core cannot see from outside: the shop it acted
 * for and the platform error code in the body. Modules call `annotateCall` from their handlers; the
 * core reads it when it records the call.
 */
export interface CallAnnotation {
  shopId?: string;
  errorCode?: string;
  throttled?: boolean;
}

const annotations = new WeakMap<FastifyRequest, CallAnnotation>();

export function annotateCall(request: FastifyRequest, info: CallAnnotation): void {
  const current = annotations.get(request);
  annotations.set(request, current ? { ...current, ...info } : info);
}

export function callAnnotation(request: FastifyRequest): CallAnnotation | undefined {
  return annotations.get(request);
}

/** Error code of a platform body object: a non-empty string `error` (Shopee) or a non-zero `code` (TikTok). */
export function platformErrorCode(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const record = body as Record<string, unknown>;
  if (typeof record.error === 'string' && record.error !== '') return record.error;
  if ((typeof record.code === 'number' || typeof record.code === 'string') && String(record.code) !== '0') {
    return String(record.code);
  }
  return '';
}

/** A bounded call log (ring of the newest `capacity` entries) with unbounded per-endpoint counters. */
export function createCallLog(capacity = 20_000): CallLog {
  let entries: CallLogEntry[] = [];
  let counters = new Map<string, { calls: number; errors: number; throttled: number }>();
  return {
    record(entry) {
      entries.push(entry);
      if (entries.length > capacity * 1.25) entries = entries.slice(entries.length - capacity);
      const key = `${entry.platform} ${entry.method} ${entry.endpoint}`;
      let counter = counters.get(key);
      if (!counter) {
        counter = { calls: 0, errors: 0, throttled: 0 };
        counters.set(key, counter);
      }
      counter.calls += 1;
      if (entry.throttled) counter.throttled += 1;
      else if (entry.errorCode !== '' || entry.status >= 400 || entry.status === 0) counter.errors += 1;
    },
    list(filter = {}) {
      let out = entries.filter(
        (e) =>
          (filter.platform === undefined || e.platform === filter.platform) &&
          (filter.endpoint === undefined || e.endpoint === filter.endpoint) &&
          (filter.shopId === undefined || e.shopId === filter.shopId),
      );
      if (out.length > capacity) out = out.slice(out.length - capacity);
      if (filter.limit !== undefined) out = out.slice(Math.max(0, out.length - filter.limit));
      return out;
    },
    counters: () => Object.fromEntries([...counters].map(([k, v]) => [k, { ...v }])),
    clear() {
      entries = [];
      counters = new Map();
    },
  };
}
