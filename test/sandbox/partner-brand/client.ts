/**
 * A minimal partner-brand client written from docs/partner-brand-api.yaml only (independent of the
 * sandbox's signing code).
 */
import { createHash, createHmac } from 'node:crypto';

export function documentedPartnerSignature(
  secret: string,
  timestamp: string,
  method: string,
  target: string,
  /** The exact bytes sent (a string is sent as UTF-8). */
  body: string | Buffer,
): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', secret).update(`${timestamp}\n${method}\n${target}\n${bodyHash}`).digest('hex');
}

export interface PartnerCallOptions {
  body?: object | string;
  timestamp?: number;
  signature?: string;
  key?: string;
  /** Sign over this body instead of the one sent. */
  signedBody?: string;
}

export class PartnerTestClient {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
    readonly secret: string,
    readonly nowSeconds: () => number,
  ) {}

  async call(method: string, target: string, options: PartnerCallOptions = {}) {
    const body =
      options.body === undefined
        ? ''
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    const timestamp = String(options.timestamp ?? this.nowSeconds());
    const signature =
      options.signature ??
      documentedPartnerSignature(this.secret, timestamp, method, target, options.signedBody ?? body);
    const headers: Record<string, string> = {
      'x-partner-key': options.key ?? this.key,
      'x-partner-timestamp': timestamp,
      'x-partner-signature': signature,
    };
    if (body !== '') headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${target}`, {
      method,
      headers,
      ...(body !== '' ? { body } : {}),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      text,
      json:
        contentType.includes('application/json') && text !== ''
          ? (JSON.parse(text) as Record<string, unknown>)
          : undefined,
    };
  }
}

/** Minimal RFC 4180 parser for the tests (quoted fields, CRLF rows). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n') {
      row.push(field.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}
