/**
 * Opaque keyset page tokens (`page_token` / `next_page_token`). A token names the last item of the
 * previous page, so items created while a client pages never shift later pages.
 */
import { invalidRequest } from './errors.js';

export interface Keyed {
  sortValue: number;
  id: string;
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export function compareKeyed(a: Keyed, b: Keyed, order: 'ASC' | 'DESC'): number {
  const raw = a.sortValue - b.sortValue || compareIds(a.id, b.id);
  return order === 'ASC' ? raw : -raw;
}

export function encodePageToken(last: Keyed, scope: string): string {
  return Buffer.from(JSON.stringify([scope, last.sortValue, last.id]), 'utf8').toString('base64url');
}

function decodePageToken(token: string, scope: string): Keyed {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed[0] === scope &&
      typeof parsed[1] === 'number' &&
      typeof parsed[2] === 'string'
    ) {
      return { sortValue: parsed[1], id: parsed[2] };
    }
  } catch {
    // fall through to the platform's invalid-parameter answer
  }
  throw invalidRequest('Invalid page_token');
}

/** Sorts, skips past the token and cuts one page; `next_page_token` is empty on the last page. */
export function paginate<T>(
  items: T[],
  key: (item: T) => Keyed,
  options: { order: 'ASC' | 'DESC'; pageSize: number; pageToken: string | undefined; scope: string },
): { page: T[]; nextPageToken: string } {
  const sorted = [...items].sort((a, b) => compareKeyed(key(a), key(b), options.order));
  let start = 0;
  if (options.pageToken) {
    const after = decodePageToken(options.pageToken, options.scope);
    start = sorted.findIndex((item) => compareKeyed(key(item), after, options.order) > 0);
    if (start === -1) start = sorted.length;
  }
  const page = sorted.slice(start, start + options.pageSize);
  const last = page.at(-1);
  const hasMore = start + options.pageSize < sorted.length;
  return { page, nextPageToken: hasMore && last ? encodePageToken(key(last), options.scope) : '' };
}
