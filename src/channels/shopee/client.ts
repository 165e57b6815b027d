/**
 * Signed HTTP calls to Shopee Open Platform v2. Every call carries the common parameters in the
 * query string (partner_id, timestamp, sign, and for shop APIs access_token + shop_id), the request
 * parameters in the query (GET) or a JSON body (POST), and is decided by the envelope's `error`.
 *
 * Secrets stay inside this module: URLs with `access_token`/`sign` are never logged or attached to
 * errors; failures carry only the platform's code and message.
 */
import { createHmac } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import { DEFAULT_REPEAT, type RepeatPolicy, withRepeats } from '../http.js';
import { ChannelFailure } from '../types.js';
import { shopeeFailure } from './errors.js';

export interface ShopeeClientConfig {
  /** Production: Shopee's partner host; demo and test: the sandbox's Shopee base URL. */
  baseUrl: string;
  partnerId: number;
  partnerKey: string;
  timeoutMs: number;
  /** Repeats of a call that is safe to repeat, after a transient failure (default DEFAULT_REPEAT). */
  repeat?: RepeatPolicy;
}

/**
 * POST paths that may run twice with the same effect: absolute updates, an unlist, an image upload
 * (a second copy in the media space is harmless). Reads (GET) always may. Never `add_item` (a second
 * item) nor the auth calls (single-use codes and refresh tokens); tier calls repeat in the adapter.
 */
const REPEATABLE_POSTS = new Set([
  '/api/v2/product/update_item',
  '/api/v2/product/update_price',
  '/api/v2/product/update_stock',
  '/api/v2/product/unlist_item',
  '/api/v2/media_space/upload_image',
]);

/** Called before every request with the budget key of the shop it is for (`shopee:<shop_id>`). */
export type CallGate = (budgetKey: string) => Promise<void>;

export interface ShopeeShop {
  shopId: string;
  accessToken: string;
}

export type QueryValue = string | number | boolean | ReadonlyArray<string | number>;

export interface ShopeeEnvelope<T> {
  request_id?: string;
  error?: string;
  message?: string;
  warning?: string | string[];
  response?: T;
  [field: string]: unknown;
}

export interface ShopeeCall {
  /** A shop API call; omitted for public APIs (token exchange, shops by partner). */
  shop?: ShopeeShop;
  query?: Record<string, QueryValue | undefined>;
  body?: unknown;
  /** multipart/form-data body (media_space upload); signed like any call, the body is not. */
  form?: FormData;
}

/** Shopee v2 signature: lower-hex HMAC-SHA256(partner_key, partner_id + path + timestamp [+ access_token + shop_id]). */
export function shopeeSign(
  partnerKey: string,
  partnerId: number,
  path: string,
  timestamp: number,
  shop?: ShopeeShop,
): string {
  const base = shop
    ? `${partnerId}${path}${timestamp}${shop.accessToken}${shop.shopId}`
    : `${partnerId}${path}${timestamp}`;
  return createHmac('sha256', partnerKey).update(base).digest('hex');
}

/** Arrays become repeated keys (`item_status=NORMAL&item_status=UNLIST`), as Shopee documents. */
function toSearchParams(query: Record<string, QueryValue | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.append(key, String(value));
  }
  return params;
}

export class ShopeeClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: ShopeeClientConfig,
    private readonly now: () => Date = () => new Date(),
    /** Waits for the shop's call budget (shared by all workers) before each request. */
    private readonly gate: CallGate = async () => {},
  ) {
    this.http = axios.create({
      baseURL: config.baseUrl.replace(/\/+$/, ''),
      timeout: config.timeoutMs,
      // The envelope decides success; statuses are undocumented and vary.
      validateStatus: () => true,
      maxRedirects: 0,
    });
  }

  /** Signed URL of a public path, for browser links such as `shop/auth_partner`. */
  signedPublicUrl(path: string, extra: Record<string, QueryValue> = {}): string {
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const params = toSearchParams({
      partner_id: this.config.partnerId,
      timestamp,
      sign: shopeeSign(this.config.partnerKey, this.config.partnerId, path, timestamp),
      ...extra,
    });
    return `${this.config.baseUrl.replace(/\/+$/, '')}${path}?${params.toString()}`;
  }

  async get<T>(path: string, call: ShopeeCall = {}): Promise<ShopeeEnvelope<T>> {
    return this.request<T>('GET', path, call);
  }

  async post<T>(path: string, call: ShopeeCall = {}): Promise<ShopeeEnvelope<T>> {
    return this.request<T>('POST', path, call);
  }

  private request<T>(method: 'GET' | 'POST', path: string, call: ShopeeCall): Promise<ShopeeEnvelope<T>> {
    const repeatable = method === 'GET' || REPEATABLE_POSTS.has(path);
    return withRepeats(repeatable, this.config.repeat ?? DEFAULT_REPEAT, () =>
      this.send<T>(method, path, call),
    );
  }

  private async send<T>(method: 'GET' | 'POST', path: string, call: ShopeeCall): Promise<ShopeeEnvelope<T>> {
    // Shop APIs spend the shop's budget; public APIs (token exchange) are per partner and rare.
    if (call.shop) await this.gate(`shopee:${call.shop.shopId}`);
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const common: Record<string, QueryValue> = {
      partner_id: this.config.partnerId,
      timestamp,
      sign: shopeeSign(this.config.partnerKey, this.config.partnerId, path, timestamp, call.shop),
    };
    if (call.shop) {
      common.access_token = call.shop.accessToken;
      common.shop_id = Number(call.shop.shopId);
    }
    const params = toSearchParams({ ...common, ...(call.query ?? {}) });
    let status: number;
    let data: unknown;
    try {
      const res = await this.http.request({
        method,
        url: `${path}?${params.toString()}`,
        data: call.form ?? call.body,
        headers: call.form ? {} : { 'content-type': 'application/json' },
      });
      status = res.status;
      data = res.data;
    } catch (err) {
      throw networkFailure(err);
    }
    const envelope = (typeof data === 'object' && data !== null ? data : {}) as ShopeeEnvelope<T>;
    if (typeof envelope.error === 'string' && envelope.error !== '') {
      throw shopeeFailure(
        envelope.error,
        typeof envelope.message === 'string' ? envelope.message : '',
        this.now(),
      );
    }
    if (status === 429) throw shopeeFailure('error_rate_limit', '', this.now());
    if (status >= 500) {
      throw new ChannelFailure('retryable', `HTTP ${status}`, {
        en: `Shopee answered HTTP ${status}; we will try again.`,
        id: `Shopee menjawab HTTP ${status}; kami akan mencoba lagi.`,
      });
    }
    if (status >= 400 || typeof data !== 'object' || data === null) {
      throw new ChannelFailure('permanent', `HTTP ${status}`, {
        en: `Shopee gave an answer we do not understand (HTTP ${status}).`,
        id: `Shopee memberi jawaban yang tidak kami pahami (HTTP ${status}).`,
      });
    }
    return envelope;
  }
}

/** A failure before any answer: the call may or may not have reached Shopee. No URL (it holds secrets). */
function networkFailure(err: unknown): ChannelFailure {
  const code = axios.isAxiosError(err) ? (err.code ?? 'network') : 'network';
  return new ChannelFailure('retryable', code, {
    en: `Shopee could not be reached (${code}); we will try again.`,
    id: `Shopee tidak dapat dihubungi (${code}); kami akan mencoba lagi.`,
  });
}
