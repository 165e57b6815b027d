/** Opaque cursors: base64url JSON naming the last row returned and the scope it belongs to. */
import { PartnerError, PartnerErrorCode } from './errors.js';

export function encodeCursor(scope: string, last: unknown): string {
  return Buffer.from(JSON.stringify({ s: scope, l: last }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, scope: string): unknown {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s?: unknown;
      l?: unknown;
    };
    if (parsed.s === scope && parsed.l !== undefined) return parsed.l;
  } catch {
    // answered below
  }
  throw new PartnerError(PartnerErrorCode.invalidCursor, 'cursor is not valid for this request', 400);
}
