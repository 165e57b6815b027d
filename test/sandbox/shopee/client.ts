/**
 * A deliberately independent, minimal Shopee v2 client for the sandbox tests: it signs from the
 * documented formula (HMAC-SHA256, lower-case hex, partner_id + path + timestamp [+ access_token +
 * shop_id]) and shares no code with the sandbox, so a sandbox signing bug cannot hide itself.
 */
import { createHmac } from 'node:crypto';
import type { Sandbox } from '../../../sandbox/server.js';

export interface ShopeeEnvelope {
  request_id: string;
  error: string;
  message: string;
  warning?: string;
  response?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CallOptions {
  query?: Record<string, string | number | Array<string | number>>;
  body?: unknown;
  /** Override the signed timestamp (seconds). */
  timestamp?: number;
  /** Override the signature. */
  sign?: string;
  /** Sign as a public API even when the client holds a token. */
  public?: boolean;
}

export interface Reply {
  status: number;
  body: ShopeeEnvelope;
  headers: Record<string, unknown>;
}

export const sign = (key: string, base: string): string =>
  createHmac('sha256', key).update(base).digest('hex');

export class ShopeeTestClient {
  accessToken?: string;
  refreshToken?: string;
  shopId?: number;

  constructor(
    readonly sandbox: Sandbox,
    readonly partnerId: number,
    readonly partnerKey: string,
  ) {}

  /** Sandbox time in seconds: after the tests move the clock, a well-behaved client signs with it. */
  now(): number {
    return this.sandbox.ctx.clock.nowSeconds();
  }

  url(method: string, path: string, options: CallOptions = {}): string {
    const timestamp = options.timestamp ?? this.now();
    const params = new URLSearchParams();
    params.set('partner_id', String(this.partnerId));
    params.set('timestamp', String(timestamp));
    const asShop = !options.public && this.accessToken !== undefined && this.shopId !== undefined;
    const base = asShop
      ? `${this.partnerId}${path}${timestamp}${this.accessToken}${this.shopId}`
      : `${this.partnerId}${path}${timestamp}`;
    if (asShop) {
      params.set('access_token', this.accessToken ?? '');
      params.set('shop_id', String(this.shopId));
    }
    params.set('sign', options.sign ?? sign(this.partnerKey, base));
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
    }
    void method;
    return `/shopee${path}?${params.toString()}`;
  }

  async call(method: 'GET' | 'POST', path: string, options: CallOptions = {}): Promise<Reply> {
    const response = await this.sandbox.app.inject({
      method,
      url: this.url(method, path, options),
      ...(method === 'POST' ? { payload: (options.body ?? {}) as Record<string, unknown> } : {}),
    });
    return {
      status: response.statusCode,
      body: response.json() as ShopeeEnvelope,
      headers: response.headers,
    };
  }

  get(
    path: string,
    query: CallOptions['query'] = {},
    options: Omit<CallOptions, 'query'> = {},
  ): Promise<Reply> {
    return this.call('GET', path, { ...options, query });
  }

  post(path: string, body: unknown, options: Omit<CallOptions, 'body'> = {}): Promise<Reply> {
    return this.call('POST', path, { ...options, body });
  }

  /** Uploads a file as multipart field `image`. */
  async uploadImage(bytes: Buffer, filename = 'batik.png'): Promise<Reply> {
    const boundary = '----sandboxtest';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="scene"\r\n\r\nnormal\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await this.sandbox.app.inject({
      method: 'POST',
      url: this.url('POST', '/api/v2/media_space/upload_image'),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    return {
      status: response.statusCode,
      body: response.json() as ShopeeEnvelope,
      headers: response.headers,
    };
  }
}

/** A valid 1x1 PNG. */
export const tinyPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export async function control(
  sandbox: Sandbox,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  const response = await sandbox.app.inject({
    method,
    url: `/__sandbox${url}`,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

/** Creates an app and a shop through the control API and runs the documented code → token exchange. */
export async function authorizedClient(
  sandbox: Sandbox,
  options: { partnerId?: number; partnerKey?: string; shopId?: number } = {},
): Promise<ShopeeTestClient> {
  const app = await control(sandbox, 'POST', '/shopee/apps', {
    partnerId: options.partnerId ?? 2001887,
    partnerKey: options.partnerKey ?? 'test_partner_key',
  });
  if (app.status !== 201) throw new Error(`create app: ${JSON.stringify(app.body)}`);
  const shop = await control(sandbox, 'POST', '/shopee/shops', {
    shopId: options.shopId ?? 14701711,
    name: 'Batik Serpong',
  });
  if (shop.status !== 201) throw new Error(`create shop: ${JSON.stringify(shop.body)}`);
  const client = new ShopeeTestClient(sandbox, Number(app.body.partnerId), String(app.body.partnerKey));
  const auth = await control(sandbox, 'POST', '/shopee/authorize', {
    partnerId: client.partnerId,
    shopId: shop.body.shopId,
  });
  const token = await client.post('/api/v2/auth/token/get', {
    code: auth.body.code,
    partner_id: client.partnerId,
    shop_id: shop.body.shopId,
  });
  if (token.body.error !== '') throw new Error(`token/get: ${JSON.stringify(token.body)}`);
  client.accessToken = String(token.body.access_token);
  client.refreshToken = String(token.body.refresh_token);
  client.shopId = Number(shop.body.shopId);
  return client;
}

/**
 * A valid add_item body: Ikat weaving (leaf) with its mandatory Material attribute, No Brand (brand_id 0),
 * and the seeded SIZE_INPUT channel 8003 with the dimension it needs.
 */
export function addItemBody(
  imageId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    original_price: 250000,
    description: 'Kain batik tulis motif parang dari Serpong, pewarna alami.',
    weight: 0.4,
    item_name: 'Kain Batik Tulis Parang',
    logistic_info: [{ logistic_id: 8003, enabled: true }],
    dimension: { package_length: 30, package_width: 20, package_height: 5 },
    category_id: 100102,
    attribute_list: [{ attribute_id: 200001, attribute_value_list: [{ value_id: 3001 }] }],
    brand: { brand_id: 0, original_brand_name: 'NoBrand' },
    image: { image_id_list: [imageId] },
    item_sku: 'BTK-PRG-01',
    seller_stock: [{ stock: 12 }],
    ...overrides,
  };
}

/** Moves the sandbox clock forward (control API), as tests do instead of switching rules off. */
export async function advanceClock(sandbox: Sandbox, ms: number): Promise<void> {
  const moved = await control(sandbox, 'POST', '/clock', { advanceMs: ms });
  if (moved.status !== 200) throw new Error(`clock: ${JSON.stringify(moved.body)}`);
}

/** Past the default review delay (10 min) and the 5 s wait before init_tier_variation. */
export const PAST_REVIEW_MS = 10 * 60_000 + 1_000;
/** Past the documented 5 s wait between add_item and init_tier_variation. */
export const PAST_VARIATION_WAIT_MS = 5_000;

/** Polls until `check` returns a value, failing after `timeoutMs` (no fixed sleeps). */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
