/** Shared zod schemas for the HTTP layer. */
import { z } from 'zod';
import { ValidationError } from '../lib/errors.js';

export const uuidParam = z.strictObject({ id: z.uuid() });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    detail_id: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem document (content type application/problem+json)' });

/** Error responses every authenticated route may give, for the OpenAPI document. */
export const commonErrors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
};

/** Cursor pagination query. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
};

export const regionCode = z
  .string()
  .regex(/^\d{2}\.\d{2}(\.\d{2}(\.\d{4})?)?$/, 'must be a Kemendagri code such as 36.74.01.1001');

export const isoDate = z.date().transform((d) => d.toISOString());

/** Opaque cursor: base64url JSON of the last row's sort key. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** One page of a list ordered by id: the items, and the next page's cursor when this page is full. */
export function pageById<R extends { id: string | number }, T>(
  rows: readonly R[],
  limit: number,
  toItem: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const last = rows.at(-1);
  return {
    items: rows.map(toItem),
    nextCursor: rows.length === limit && last ? encodeCursor(last.id) : null,
  };
}

/**
 * The sort key a cursor carries; undefined when there is none (the first page). A cursor this API
 * did not issue is a 400: quietly starting again at page 1 would make a client loop or repeat rows.
 */
export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // not base64url JSON: answered below like any other cursor we did not issue
  }
  throw new ValidationError('The cursor is not one this API issued; start again without a cursor.', {
    detailId: 'Kursor halaman tidak dikenal; mulai lagi tanpa kursor.',
    issues: [{ path: 'query.cursor', message: 'invalid cursor' }],
  });
}
