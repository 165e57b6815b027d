/**
 * Signed HTTP calls to the TikTok Shop Partner API (which also serves Tokopedia shops).
 * Query: app_key, timestamp, sign (+ shop_cipher on shop-scoped paths); header: x-tts-access-token.
 * The signature covers the path, the sorted query (without sign and access_token) and the exact
 * body bytes (except multipart), wrapped in the app secret. Success is `code: 0`.
 *
 * Secrets stay inside this module: the token header and signed URLs never reach logs or errors.
 */
import { createHmac } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import { DEFAULT_REPEAT, type RepeatPolicy, withRepeats } from '../http.js';
import type { CallGate } from '../shopee/client.js';
import { ChannelFailure } from '../types.js';
import { tiktokFailure } from './errors.js';

export interface TiktokShopClientConfig {
  /** Production: TikTok Shop's open API host; demo and test: the sandbox's TikTok Shop base URL. */
  baseUrl: string;
  appKey: string;
  appSecret: string;
  timeoutMs: number;
  /** Repeats of a call that is safe to repeat, after a transient failure (default DEFAULT_REPEAT). */
  repeat?: RepeatPolicy;
}

/**
 * Calls that may run twice with the same effect: reads, a product search, an Edit Product (a full
 * replace), absolute price and stock updates, a (de)activation, an image upload (a second copy is
 * harmless). Never Create Product (a second product) nor the token calls (single-use codes).
 */
function repeatable(method: string, path: string): boolean {
  if (method === 'GET' || method === 'PUT') return true;
  return (
    path === '/product/202502/products/search' ||
    path === '/product/202309/images/upload' ||
    path === '/product/202309/products/deactivate' ||
    path === '/product/202309/products/activate' ||
    /^\/product\/202309\/products\/[^/]+\/(prices|inventory)\/update$/.test(path)
  );
}

export interface TiktokShopAuth {
  accessToken: string;
  /** Omitted on paths that refuse it (authorization, seller, image upload). */
  shopCipher?: string;
  /** The shop whose call budget the request spends, when `shopCipher` is omitted (image upload). */
  budgetShop?: string;
}

export interface TiktokEnvelope<T> {
  code: number;
  message: string;
  request_id?: string;
  data?: T;
}

export interface TiktokCall {
  auth?: TiktokShopAuth;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  form?: FormData;
}

/** TikTok Shop signature (guide "sign your API request"); vectors T1–T3 in the reference. */
export function tiktokSign(
  appSecret: string,
  path: string,
  query: Record<string, string>,
  rawBody: string,
): string {
  const params = Object.keys(query)
    .filter((k) => k !== 'sign' && k !== 'access_token')
    .sort()
    .map((k) => `${k}${query[k]}`)
    .join('');
  const wrapped = `${appSecret}${path}${params}${rawBody}${appSecret}`;
  return createHmac('sha256', appSecret).update(wrapped).digest('hex');
}

export class TiktokShopClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: TiktokShopClientConfig,
    private readonly now: () => Date = () => new Date(),
    private readonly gate: CallGate = async () => {},
  ) {
    this.http = axios.create({
      baseURL: config.baseUrl.replace(/\/+$/, ''),
      timeout: config.timeoutMs,
      validateStatus: () => true,
      maxRedirects: 0,
      // The body is signed byte for byte: send exactly the string we signed.
      transformRequest: [(data: unknown) => data],
    });
  }

  request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, call: TiktokCall = {}): Promise<T> {
    return withRepeats(repeatable(method, path), this.config.repeat ?? DEFAULT_REPEAT, () =>
      this.send<T>(method, path, call),
    );
  }

  private async send<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    call: TiktokCall,
  ): Promise<T> {
    const budgetShop = call.auth?.shopCipher ?? call.auth?.budgetShop;
    // TikTok Shop counts its 50 QPS per API, per app and shop: one budget per shop and endpoint.
    if (budgetShop) await this.gate(`tiktok_shop:${budgetShop}|${method} ${apiOf(path)}`);
    const query: Record<string, string> = {
      app_key: this.config.appKey,
      timestamp: String(Math.floor(this.now().getTime() / 1000)),
    };
    if (call.auth?.shopCipher) query.shop_cipher = call.auth.shopCipher;
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) query[k] = String(v);
    const rawBody = call.form || call.body === undefined ? '' : JSON.stringify(call.body);
    query.sign = tiktokSign(this.config.appSecret, path, query, rawBody);

    const headers: Record<string, string> = {};
    if (call.auth) headers['x-tts-access-token'] = call.auth.accessToken;
    if (!call.form && call.body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let data: unknown;
    try {
      const res = await this.http.request({
        method,
        url: `${path}?${new URLSearchParams(query).toString()}`,
        data: call.form ?? (rawBody === '' ? undefined : rawBody),
        headers,
      });
      status = res.status;
      data = res.data;
    } catch (err) {
      const code = axios.isAxiosError(err) ? (err.code ?? 'network') : 'network';
      throw new ChannelFailure('retryable', code, {
        en: `TikTok Shop could not be reached (${code}); we will try again.`,
        id: `TikTok Shop tidak dapat dihubungi (${code}); kami akan mencoba lagi.`,
      });
    }
    const envelope = (typeof data === 'object' && data !== null ? data : {}) as Partial<TiktokEnvelope<T>>;
    const code = typeof envelope.code === 'number' ? envelope.code : undefined;
    if (code === 0 && status < 400) return envelope.data as T;
    if (code === undefined && status !== 429 && status < 500) {
      throw new ChannelFailure('permanent', `HTTP ${status}`, {
        en: `TikTok Shop gave an answer we do not understand (HTTP ${status}).`,
        id: `TikTok Shop memberi jawaban yang tidak kami pahami (HTTP ${status}).`,
      });
    }
    throw tiktokFailure(code ?? 0, typeof envelope.message === 'string' ? envelope.message : '', status);
  }
}

/**
 * The API a path calls: `/{module}/{version}/…` with the ids after the version taken out, e.g.
 * `/product/202309/products/{id}/prices/update`.
 */
export function apiOf(path: string): string {
  return path
    .split('/')
    .map((segment, i) => (i > 2 && /^\d+$/.test(segment) ? '{id}' : segment))
    .join('/');
}
