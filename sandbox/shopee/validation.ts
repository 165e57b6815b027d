import type { z } from 'zod';
import type { Query } from './api.js';
import { queryValue } from './api.js';
import { shopeeErrors } from './errors.js';

/** Parses a body or query with zod and turns the first problem into Shopee's `error_param` wording. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? 'body';
  // zod does not report the input by default, so look the value up: absent means "is required".
  if (issue?.code === 'invalid_type' && valueAt(input, issue.path) === undefined)
    throw shopeeErrors.required(field);
  throw shopeeErrors.param(`Wrong parameters, detail: ${field}: ${issue?.message ?? 'invalid'}.`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Comma list or repeated keys, as Shopee accepts for `*_list` query parameters. */
export function listParam(query: Query, key: string): string[] {
  const raw = query[key];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function intParam(
  query: Query,
  key: string,
  options: { required?: boolean } = {},
): number | undefined {
  const value = queryValue(query, key);
  if (value === undefined || value === '') {
    if (options.required) throw shopeeErrors.required(key);
    return undefined;
  }
  if (!/^-?\d+$/.test(value))
    throw shopeeErrors.param(`Wrong parameters, detail: ${key} must be an integer.`);
  return Number(value);
}
