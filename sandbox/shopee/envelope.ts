import { randomBytes } from 'node:crypto';

/** Shopee request ids are 32 lower-case hex characters. A pooled buffer keeps this cheap under load. */
let pool = randomBytes(0);
let poolOffset = 0;
export function requestId(): string {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(16 * 1024);
    poolOffset = 0;
  }
  const id = pool.toString('hex', poolOffset, poolOffset + 16);
  poolOffset += 16;
  return id;
}

export interface ShopeeErrorBody {
  request_id: string;
  error: string;
  message: string;
}

export function errorBody(code: string, message: string, id = requestId()): ShopeeErrorBody {
  return { request_id: id, error: code, message };
}

/** A handler result with a non-fatal `warning` next to the payload. */
export class WithWarning<T> {
  constructor(
    readonly response: T,
    /** get_order_detail types `warning` as string[]; the product APIs as a string. */
    readonly warning: string | string[],
  ) {}
}

/** Success envelope: payload under `response` (or at top level for the auth APIs, as documented). */
export function successBody(result: unknown, topLevel: boolean, id = requestId()): Record<string, unknown> {
  const warning = result instanceof WithWarning ? result.warning : undefined;
  const payload = result instanceof WithWarning ? result.response : result;
  if (topLevel) return { request_id: id, error: '', message: '', ...(payload as Record<string, unknown>) };
  const body: Record<string, unknown> = { request_id: id, error: '', message: '' };
  if (warning !== undefined) body.warning = warning;
  body.response = payload;
  return body;
}
