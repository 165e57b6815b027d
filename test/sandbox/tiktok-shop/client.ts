/**
 * A minimal TikTok Shop client written from the documented signing formula only (reference §2.3),
 * independent of the sandbox's own signing code, so the tests catch a sandbox that drifts from it.
 */
import { createHmac } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export function documentedSign(
  secret: string,
  path: string,
  query: Record<string, string>,
  body?: string,
): string {
  const params = Object.keys(query)
    .filter((key) => key !== 'sign' && key !== 'access_token')
    .sort()
    .map((key) => `${key}${query[key]}`)
    .join('');
  const base = `${secret}${path}${params}${body ?? ''}${secret}`;
  return createHmac('sha256', secret).update(base).digest('hex');
}

export function documentedWebhookSign(appKey: string, secret: string, body: string): string {
  return createHmac('sha256', secret)
    .update(appKey + body)
    .digest('hex');
}

export interface TtsEnvelope {
  code: number;
  message: string;
  request_id: string;
  data: Record<string, unknown> & {
    errors?: Array<{ code: number; message: string; detail: Record<string, unknown> }>;
  };
}

export interface CallOptions {
  query?: Record<string, string>;
  /** A string is sent byte for byte; an object is JSON-serialised once. */
  body?: string | object;
  /** Sign over these bytes instead of the sent body (to show re-serialisation after signing). */
  signedBody?: string;
  shopCipher?: string;
  timestamp?: number;
  sign?: string;
  accessToken?: string | null;
  form?: FormData;
  /** Content-Type of a string body (default application/json); multipart bodies are not signed. */
  contentType?: string;
}

export class TtsTestClient {
  accessToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly appKey: string,
    readonly appSecret: string,
    readonly nowSeconds: () => number,
  ) {}

  async call(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<{ status: number; body: TtsEnvelope }> {
    const query: Record<string, string> = {
      app_key: this.appKey,
      timestamp: String(options.timestamp ?? this.nowSeconds()),
      ...(options.shopCipher !== undefined ? { shop_cipher: options.shopCipher } : {}),
      ...options.query,
    };
    const raw =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    const multipart = options.form !== undefined || options.contentType?.startsWith('multipart/') === true;
    const signed = multipart ? undefined : (options.signedBody ?? raw);
    query.sign = options.sign ?? documentedSign(this.appSecret, path, query, signed);
    const headers: Record<string, string> = {};
    const token = options.accessToken === undefined ? this.accessToken : options.accessToken;
    if (token) headers['x-tts-access-token'] = token;
    if (raw !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await fetch(`${this.baseUrl}${path}?${new URLSearchParams(query).toString()}`, {
      method,
      headers,
      ...(options.form ? { body: options.form } : raw !== undefined ? { body: raw } : {}),
    });
    return { status: response.status, body: (await response.json()) as TtsEnvelope };
  }

  async authService(path: string, query: Record<string, string>): Promise<TtsEnvelope> {
    const response = await fetch(`${this.baseUrl}${path}?${new URLSearchParams(query).toString()}`);
    return (await response.json()) as TtsEnvelope;
  }
}

/** A real (decodable) grey PNG of the given size. */
export function makePng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(typed));
    return Buffer.concat([length, typed, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let y = 0; y < height; y += 1) rows[y * (width + 1)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Polls until the condition holds (real time), failing after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
