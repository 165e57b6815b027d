/**
 * Catalogue rules (pure): the shape of a product and its variants, the `key=value;key=value` text
 * format used for attributes and options in CSV files, and how a new variant list is matched to the
 * stored one (by SKU, so variant ids stay stable across edits). One zod schema serves the JSON API
 * and the CSV import, so both accept exactly the same products.
 */
import { z } from 'zod';

export const PRODUCT_STATUSES = ['draft', 'active', 'archived'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export const LIMITS = {
  titleMax: 200,
  descriptionMax: 5000,
  categoryMax: 100,
  attributesMax: 50,
  attributeKeyMax: 100,
  attributeValueMax: 500,
  imageUrlsMax: 12,
  imageUrlMax: 2000,
  variantsMax: 200,
  skuMax: 64,
  optionsMax: 3,
  optionKeyMax: 50,
  optionValueMax: 100,
  priceIdrMax: 1_000_000_000,
  stockMax: 1_000_000,
  weightGramsMax: 1_000_000,
} as const;

/** Postgres text cannot hold U+0000; refusing it here keeps such input a 400, not a database error. */
const noNul = (s: string) => !s.includes('\u0000');
export const plainText = (min: number, max: number) =>
  z.string().min(min).max(max).refine(noNul, 'must not contain the NUL character');
/** No leading or trailing whitespace, so the CSV text format (which trims) round-trips. */
const untrimmed = (s: string) => s === s.trim();
const mapKey = (max: number) => plainText(1, max).refine(untrimmed, 'must not start or end with whitespace');
const mapValue = (min: number, max: number) =>
  plainText(min, max).refine(untrimmed, 'must not start or end with whitespace');

export const skuSchema = z
  .string()
  .min(1)
  .max(LIMITS.skuMax)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and dash only');

export const categorySchema = z
  .string()
  .min(1)
  .max(LIMITS.categoryMax)
  .regex(/^[a-z0-9]+(?:[-_/][a-z0-9]+)*$/, 'lowercase slug such as batik or fashion/kain-tenun');

export const attributesSchema = z
  .record(mapKey(LIMITS.attributeKeyMax), mapValue(0, LIMITS.attributeValueMax))
  .refine((r) => Object.keys(r).length <= LIMITS.attributesMax, `at most ${LIMITS.attributesMax} attributes`);

export const optionsSchema = z
  .record(mapKey(LIMITS.optionKeyMax), mapValue(1, LIMITS.optionValueMax))
  .refine((r) => Object.keys(r).length <= LIMITS.optionsMax, `at most ${LIMITS.optionsMax} options`);

export const imageUrlSchema = z
  .url({ protocol: /^https?$/, hostname: z.regexes.domain })
  .max(LIMITS.imageUrlMax)
  .refine((u) => !/\s/.test(u) && noNul(u), 'must not contain whitespace');

export const variantInputSchema = z
  .strictObject({
    sku: skuSchema,
    options: optionsSchema.default({}),
    priceIdr: z.number().int().min(0).max(LIMITS.priceIdrMax),
    stock: z
      .number()
      .int()
      .min(0)
      .max(LIMITS.stockMax)
      .optional()
      .describe(
        'On-hand units. Left out: unchanged (0 for a new variant). Changing it records a stock count (see stockRevision).',
      ),
    weightGrams: z.number().int().min(0).max(LIMITS.weightGramsMax),
  })
  .describe('A variant; `options` such as {"warna":"merah","ukuran":"M"}');

export type VariantInput = z.output<typeof variantInputSchema>;

export const variantListSchema = z
  .array(variantInputSchema)
  .min(1, 'at least one variant')
  .max(LIMITS.variantsMax)
  .superRefine((list, ctx) => {
    for (const index of duplicateSkuIndexes(list)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'sku'],
        message: 'SKU appears more than once in this product',
      });
    }
  });

/** Every writable product field; PUT and POST take all of them, PATCH any subset. */
export const productFieldsSchema = {
  title: z.string().trim().min(1).max(LIMITS.titleMax).refine(noNul, 'must not contain the NUL character'),
  description: plainText(0, LIMITS.descriptionMax),
  category: categorySchema,
  attributes: attributesSchema,
  imageUrls: z.array(imageUrlSchema).max(LIMITS.imageUrlsMax),
  status: z.enum(PRODUCT_STATUSES),
};

/** A full product representation (POST without crafterId, PUT, one CSV product group). */
export const productContentSchema = z.strictObject({
  title: productFieldsSchema.title,
  description: productFieldsSchema.description.default(''),
  category: productFieldsSchema.category,
  attributes: productFieldsSchema.attributes.default({}),
  imageUrls: productFieldsSchema.imageUrls.default([]),
  status: productFieldsSchema.status.default('draft'),
  variants: variantListSchema,
});

export type ProductContent = z.output<typeof productContentSchema>;

/** Indexes of every variant whose SKU already appeared earlier in the list. */
export function duplicateSkuIndexes(list: readonly { sku: string }[]): number[] {
  const seen = new Set<string>();
  const dupes: number[] = [];
  list.forEach((v, i) => {
    if (seen.has(v.sku)) dupes.push(i);
    seen.add(v.sku);
  });
  return dupes;
}

// ---------------------------------------------------------------------------------------------
// `key=value;key=value` text format (CSV attributes and options)
// ---------------------------------------------------------------------------------------------

/**
 * Serialises a string map as `key=value;key=value`. `\`, `;` and `=` inside keys and values are
 * escaped with a backslash so any map round-trips through {@link parsePairs}. Keys keep their order.
 */
export function serialisePairs(map: Readonly<Record<string, string>>): string {
  const esc = (s: string) => s.replace(/[\\;=]/g, (c) => `\\${c}`);
  return Object.entries(map)
    .map(([k, v]) => `${esc(k)}=${esc(v)}`)
    .join(';');
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Parses `key=value;key=value` (the inverse of {@link serialisePairs}). Whitespace around keys and
 * values is trimmed; an empty text is an empty map; a trailing `;` is allowed. A pair without `=`,
 * an empty key or a repeated key is an error.
 */
export function parsePairs(text: string): ParseResult<Record<string, string>> {
  const pairs: { key: string; value: string | null }[] = [];
  let current = '';
  let key: string | null = null;
  let escaped = false;
  const finish = () => {
    if (key === null && current.trim() === '') return;
    pairs.push(key === null ? { key: current, value: null } : { key, value: current });
  };
  for (const c of text) {
    if (escaped) {
      current += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === '=' && key === null) {
      key = current;
      current = '';
    } else if (c === ';') {
      finish();
      key = null;
      current = '';
    } else {
      current += c;
    }
  }
  if (escaped) return { ok: false, message: 'ends with a lone backslash' };
  finish();
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const k = pair.key.trim();
    if (pair.value === null)
      return { ok: false, message: `"${k}" has no "=value" (write key=value;key=value)` };
    if (k === '') return { ok: false, message: 'a key is empty (write key=value;key=value)' };
    if (Object.hasOwn(result, k)) return { ok: false, message: `key "${k}" appears twice` };
    result[k] = pair.value.trim();
  }
  return { ok: true, value: result };
}

/** Image URLs in CSV: separated by whitespace (URLs cannot contain raw whitespace). */
export function parseImageUrls(text: string): string[] {
  return text.split(/\s+/).filter((u) => u !== '');
}

export function serialiseImageUrls(urls: readonly string[]): string {
  return urls.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Spreadsheet formula injection (CSV cells)
// ---------------------------------------------------------------------------------------------

/**
 * A cell a spreadsheet could run as a formula: it starts with `=`, `+`, `-`, `@`, tab or CR (OWASP's
 * list), possibly after single quotes. The quotes are included so that the guard below can be undone
 * exactly: a value that really starts with `'=` is guarded too, and a plain `'text` is left alone.
 */
const FORMULA_LIKE = /^'*[=+\-@\t\r]/;

/** Prefixes a single quote to a cell a spreadsheet could run as a formula (CSV export). */
export function guardSpreadsheetCell(value: string): string {
  return FORMULA_LIKE.test(value) ? `'${value}` : value;
}

/** Undoes exactly {@link guardSpreadsheetCell} (CSV import): `unguard(guard(v)) === v` for every v. */
export function unguardSpreadsheetCell(cell: string): string {
  return cell.startsWith("'") && FORMULA_LIKE.test(cell.slice(1)) ? cell.slice(1) : cell;
}

// ---------------------------------------------------------------------------------------------
// Comparing and diffing
// ---------------------------------------------------------------------------------------------

/** Map equality regardless of key order (jsonb does not keep the order keys were written in). */
export function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

export interface StoredVariant {
  id: string;
  sku: string;
  options: Record<string, string>;
  priceIdr: number;
  stock: number;
  weightGrams: number;
  position: number;
}

export interface VariantDiff {
  /** Stored variants whose SKU is still wanted but whose values or position change. */
  update: { id: string; position: number; variant: VariantInput }[];
  /** SKUs not stored on this product yet. */
  insert: { position: number; variant: VariantInput }[];
  /** Stored variants whose SKU is no longer wanted. */
  retire: string[];
  /** Stored variants that stay exactly as they are. */
  keep: string[];
}

/**
 * Matches the wanted variant list to the stored one by SKU (so a variant keeps its id while its
 * price changes); `position` follows the order of the wanted list. Stock is not part of the diff:
 * it moves only through the stock ledger (see planStock in the product service).
 */
export function diffVariants(stored: readonly StoredVariant[], wanted: readonly VariantInput[]): VariantDiff {
  const bySku = new Map(stored.map((v) => [v.sku, v]));
  const diff: VariantDiff = { update: [], insert: [], retire: [], keep: [] };
  const wantedSkus = new Set<string>();
  wanted.forEach((variant, position) => {
    wantedSkus.add(variant.sku);
    const current = bySku.get(variant.sku);
    if (!current) {
      diff.insert.push({ position, variant });
    } else if (
      current.position !== position ||
      current.priceIdr !== variant.priceIdr ||
      current.weightGrams !== variant.weightGrams ||
      !sameMap(current.options, variant.options)
    ) {
      diff.update.push({ id: current.id, position, variant });
    } else {
      diff.keep.push(current.id);
    }
  });
  for (const v of stored) if (!wantedSkus.has(v.sku)) diff.retire.push(v.id);
  return diff;
}

export function variantDiffIsEmpty(diff: VariantDiff): boolean {
  return diff.update.length === 0 && diff.insert.length === 0 && diff.retire.length === 0;
}

export interface ProductFieldValues {
  title: string;
  description: string;
  category: string;
  attributes: Record<string, string>;
  imageUrls: string[];
  status: ProductStatus;
}

/** The product-level fields (not variants) that differ between the stored and wanted values. */
export function changedProductFields(
  stored: ProductFieldValues,
  wanted: { [K in keyof ProductFieldValues]?: ProductFieldValues[K] | undefined },
): (keyof ProductFieldValues)[] {
  const changed: (keyof ProductFieldValues)[] = [];
  if (wanted.title !== undefined && wanted.title !== stored.title) changed.push('title');
  if (wanted.description !== undefined && wanted.description !== stored.description)
    changed.push('description');
  if (wanted.category !== undefined && wanted.category !== stored.category) changed.push('category');
  if (wanted.attributes !== undefined && !sameMap(wanted.attributes, stored.attributes))
    changed.push('attributes');
  if (
    wanted.imageUrls !== undefined &&
    (wanted.imageUrls.length !== stored.imageUrls.length ||
      wanted.imageUrls.some((u, i) => u !== stored.imageUrls[i]))
  ) {
    changed.push('imageUrls');
  }
  if (wanted.status !== undefined && wanted.status !== stored.status) changed.push('status');
  return changed;
}

/**
 * Parses an `If-Match` header into the versions it names (`"3"`, `W/"3"` and lists are accepted).
 * Returns null when the header is absent; an empty list when nothing in it is one of our ETags.
 */
export function parseIfMatch(header: string | undefined): number[] | null {
  if (header === undefined) return null;
  const versions: number[] = [];
  for (const part of header.split(',')) {
    const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(part);
    if (m?.[1]) versions.push(Number(m[1]));
  }
  return versions;
}

export function etagOf(version: number): string {
  return `"${version}"`;
}
