/**
 * Signed calls to a partner brand's consignment API (docs/partner-brand-api.yaml, defined by this
 * project). Headers X-Partner-Key / X-Partner-Timestamp / X-Partner-Signature; the signature is
 * HMAC-SHA256(secret, timestamp \n METHOD \n target \n sha256(body)). Errors are
 * `{"error":{"code","message"}}`; throttling is HTTP 429 `rate_limited` with Retry-After.
 */
import { createHash, createHmac } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import type { CallGate } from '../shopee/client.js';
import { ChannelFailure } from '../types.js';

export interface PartnerCredentials {
  endpoint: string;
  apiKey: string;
  apiSecret: string;
}

export function partnerSignature(
  secret: string,
  timestamp: string,
  method: string,
  target: string,
  body: string,
) {
  const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
  return createHmac('sha256', secret)
    .update(`${timestamp}\n${method}\n${target}\n${bodyHash}`, 'utf8')
    .digest('hex');
}

export class PartnerBrandClient {
  private readonly http: AxiosInstance;

  constructor(
    timeoutMs: number,
    private readonly now: () => Date = () => new Date(),
    private readonly gate: CallGate = async () => {},
  ) {
    this.http = axios.create({
      timeout: timeoutMs,
      validateStatus: () => true,
      maxRedirects: 0,
      transformRequest: [(data: unknown) => data],
    });
  }

  async request<T>(
    creds: PartnerCredentials,
    method: 'GET' | 'PUT' | 'DELETE',
    target: string,
    body?: unknown,
  ): Promise<{ status: number; data: T }> {
    await this.gate(`partner_brand:${creds.apiKey}`);
    const raw = body === undefined ? '' : JSON.stringify(body);
    const timestamp = String(Math.floor(this.now().getTime() / 1000));
    let status: number;
    let data: unknown;
    let retryAfter: string | undefined;
    try {
      const res = await this.http.request({
        method,
        url: `${creds.endpoint.replace(/\/+$/, '')}${target}`,
        data: raw === '' ? undefined : raw,
        headers: {
          ...(raw === '' ? {} : { 'content-type': 'application/json' }),
          'x-partner-key': creds.apiKey,
          'x-partner-timestamp': timestamp,
          'x-partner-signature': partnerSignature(creds.apiSecret, timestamp, method, target, raw),
        },
      });
      status = res.status;
      data = res.data;
      retryAfter = typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined;
    } catch (err) {
      const code = axios.isAxiosError(err) ? (err.code ?? 'network') : 'network';
      throw new ChannelFailure('retryable', code, {
        en: `The partner's system could not be reached (${code}); we will try again.`,
        id: `Sistem mitra tidak dapat dihubungi (${code}); kami akan mencoba lagi.`,
      });
    }
    if (status < 300) return { status, data: data as T };
    const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    const code = error?.code ?? `HTTP ${status}`;
    const said = error?.message ?? `HTTP ${status}`;
    if (status === 429) {
      throw new ChannelFailure(
        'throttled',
        code,
        {
          en: 'The partner asked us to slow down; the change will go out shortly.',
          id: 'Mitra meminta kami memperlambat; perubahan akan segera dikirim.',
        },
        { waitMs: Math.max(1, Number(retryAfter) || 1) * 1000 },
      );
    }
    if (status === 401 || status === 403) {
      throw new ChannelFailure('reauth', code, {
        en: `The partner no longer accepts our API key (${said}); the council must enter a new key.`,
        id: `Mitra tidak lagi menerima kunci API kami (${said}); dewan harus memasukkan kunci baru.`,
      });
    }
    if (status >= 500) {
      throw new ChannelFailure('retryable', code, {
        en: `The partner's system had a temporary problem (${said}); we will try again.`,
        id: `Sistem mitra mengalami gangguan sementara (${said}); kami akan mencoba lagi.`,
      });
    }
    throw new ChannelFailure('permanent', code, {
      en: `The partner refused the change: ${said}`,
      id: `Mitra menolak perubahan: ${said}`,
    });
  }
}
