/**
 * CSV import and export of a crafter's catalogue: one row per variant, product columns repeated.
 *
 * Import is all-or-nothing per file: every row is checked first and every problem is reported as
 * `row N / column` (the header is row 1); only a clean file is applied, in one transaction, with an
 * audit and an outbox row per product that actually changed. Exporting and importing the same file
 * changes nothing.
 *
 * The export writes each product's version; importing a row of an existing product needs it, and it
 * must still be current, so a stale spreadsheet cannot silently undo an edit made since (the same
 * promise `If-Match` gives the JSON API). Cells a spreadsheet would run as formulas are exported with
 * a leading `'`, which the import takes off again.
 *
 * Stock is not part of the version (sales move it all the time): the export also writes each
 * product's `stock_revision`, and the import applies a changed stock cell as the crafter's change
 * relative to the exported value, on top of any sale since (src/domain/stock.ts). An empty stock
 * cell, or a file without the stock column, leaves stock as it is.
 */
import { stringify } from 'csv-stringify/sync';
import {
  guardSpreadsheetCell,
  type ProductContent,
  parseImageUrls,
  parsePairs,
  productContentSchema,
  serialiseImageUrls,
  serialisePairs,
  unguardSpreadsheetCell,
} from '../domain/catalogue.js';
import { scopeOf } from '../domain/scope.js';
import { stockPlanIsEmpty } from '../domain/stock.js';
import { readCsvRecords } from '../lib/csv.js';
import { type FieldIssue, ValidationError } from '../lib/errors.js';
import type { ServiceContext } from './context.js';
import {
  asSkuTaken,
  computeChange,
  deletedProductIdsOfCrafter,
  insertProduct,
  listProducts,
  type ProductChange,
  type ProductFilters,
  type ProductView,
  productsOfCrafter,
  resolveOwningCrafter,
  resolveStockPlan,
  retireVariants,
  takenSkus,
  writeChange,
} from './products.js';

export const CSV_COLUMNS = [
  'product_key',
  'version',
  'title',
  'description',
  'category',
  'status',
  'attributes',
  'image_urls',
  'sku',
  'options',
  'price_idr',
  'stock',
  'weight_grams',
  'stock_revision',
] as const;
type Column = (typeof CSV_COLUMNS)[number];

/**
 * Columns a file may leave out: a file of new products only has no versions to give, and a file
 * without stock (or without the stock revision it was exported at) leaves stock alone.
 */
const OPTIONAL_COLUMNS: ReadonlySet<Column> = new Set(['version', 'stock', 'stock_revision']);

const PRODUCT_COLUMNS = ['title', 'description', 'category', 'status', 'attributes', 'image_urls'] as const;

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
}

interface CsvRow {
  /** 1-based record number, the header being 1. */
  row: number;
  cells: Record<Column, string>;
}

interface ProductGroup {
  key: string;
  rows: CsvRow[];
  content: ProductContent | null;
  /** The version the export wrote for this product; null when the rows leave it empty. */
  version: number | null;
  /** The stock revision the export wrote (what the stock cells were read at); null when empty. */
  stockRevision: number | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a field of the product content lives in the file. */
const fieldColumn: Record<string, Column> = {
  title: 'title',
  description: 'description',
  category: 'category',
  status: 'status',
  attributes: 'attributes',
  imageUrls: 'image_urls',
  sku: 'sku',
  options: 'options',
  priceIdr: 'price_idr',
  stock: 'stock',
  weightGrams: 'weight_grams',
};

class IssueList {
  private readonly seen = new Set<string>();
  readonly issues: (FieldIssue & { row: number })[] = [];
  add(row: number, column: string, message: string): void {
    const path = `row ${row} / ${column}`;
    if (this.seen.has(path)) return; // one message per cell is enough
    this.seen.add(path);
    this.issues.push({ row, path, message });
  }
  has(row: number, column: string): boolean {
    return this.seen.has(`row ${row} / ${column}`);
  }
  throwIfAny(): void {
    if (this.issues.length === 0) return;
    const sorted = [...this.issues].sort((a, b) => a.row - b.row);
    throw new ValidationError(`The file has ${sorted.length} problem(s); nothing was imported.`, {
      detailId: `Berkas berisi ${sorted.length} kesalahan; tidak ada yang diimpor.`,
      issues: sorted.map(({ path, message }) => ({ path, message })),
    });
  }
}

function readRows(csv: string, issues: IssueList): CsvRow[] {
  const read = readCsvRecords(csv);
  if ('unreadable' in read) {
    issues.add(read.unreadable.row, 'file', `not readable as CSV: ${read.unreadable.reason}`);
    return [];
  }
  const [header, ...data] = read.records;
  if (!header) {
    issues.add(1, 'file', `the file is empty; the first row must be the header: ${CSV_COLUMNS.join(',')}`);
    return [];
  }
  const names = header.record.map((h) => h.trim().toLowerCase());
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(name))
      issues.add(1, name || `column ${i + 1}`, 'unknown column');
    else if (index.has(name)) issues.add(1, name, 'column appears twice');
    else index.set(name, i);
  });
  for (const col of CSV_COLUMNS) {
    if (!index.has(col) && !OPTIONAL_COLUMNS.has(col)) issues.add(1, col, 'column missing');
  }
  if (issues.issues.length > 0) return [];
  return data.map(({ record, info }) => {
    if (record.length !== names.length) {
      issues.add(info.records, 'file', `has ${record.length} fields, the header has ${names.length}`);
    }
    const cells = Object.fromEntries(
      CSV_COLUMNS.map((c) => [c, unguardSpreadsheetCell(record[index.get(c) ?? -1] ?? '')]),
    ) as Record<Column, string>;
    return { row: info.records, cells };
  });
}

function wholeNumber(row: CsvRow, column: Column, issues: IssueList): number {
  const text = row.cells[column].trim();
  if (!/^-?\d{1,16}$/.test(text)) {
    issues.add(
      row.row,
      column,
      text === '' ? 'required' : 'must be a whole number (no decimals or thousands separators)',
    );
    return 0;
  }
  return Number(text);
}

/** An optional whole number: empty means "not given". */
function optionalWholeNumber(row: CsvRow, column: Column, issues: IssueList): number | undefined {
  return row.cells[column].trim() === '' ? undefined : wholeNumber(row, column, issues);
}

function pairs(row: CsvRow, column: Column, issues: IssueList): Record<string, string> {
  const parsed = parsePairs(row.cells[column]);
  if (parsed.ok) return parsed.value;
  issues.add(row.row, column, parsed.message);
  return {};
}

/** Turns the rows of one product_key into product content, reporting every cell at fault. */
function buildGroup(group: ProductGroup, issues: IssueList): void {
  const first = group.rows[0];
  if (!first) return;
  const version = first.cells.version.trim();
  if (version !== '' && !/^[1-9]\d{0,8}$/.test(version)) {
    issues.add(
      first.row,
      'version',
      'must be the version number the export wrote, or empty for a new product',
    );
  } else if (version !== '') {
    group.version = Number(version);
  }
  const stockRevision = first.cells.stock_revision.trim();
  if (stockRevision !== '' && !/^\d{1,9}$/.test(stockRevision)) {
    issues.add(first.row, 'stock_revision', 'must be the stock revision the export wrote, or empty');
  } else if (stockRevision !== '') {
    group.stockRevision = Number(stockRevision);
  }
  for (const row of group.rows.slice(1)) {
    const other = row.cells.version.trim();
    if (other !== '' && other !== version) {
      issues.add(row.row, 'version', `differs from row ${first.row}; rows of one product_key must agree`);
    }
    const otherRevision = row.cells.stock_revision.trim();
    if (otherRevision !== '' && otherRevision !== stockRevision) {
      issues.add(
        row.row,
        'stock_revision',
        `differs from row ${first.row}; rows of one product_key must agree`,
      );
    }
    for (const col of PRODUCT_COLUMNS) {
      const value = row.cells[col];
      if (value !== '' && value !== first.cells[col]) {
        issues.add(
          row.row,
          col,
          `differs from row ${first.row}; rows of one product_key must agree (or leave it empty)`,
        );
      }
    }
  }
  const candidate = {
    title: first.cells.title,
    description: first.cells.description,
    category: first.cells.category.trim(),
    ...(first.cells.status.trim() === '' ? {} : { status: first.cells.status.trim() }),
    attributes: pairs(first, 'attributes', issues),
    imageUrls: parseImageUrls(first.cells.image_urls),
    variants: group.rows.map((row) => ({
      sku: row.cells.sku.trim(),
      options: pairs(row, 'options', issues),
      priceIdr: wholeNumber(row, 'price_idr', issues),
      stock: optionalWholeNumber(row, 'stock', issues),
      weightGrams: wholeNumber(row, 'weight_grams', issues),
    })),
  };
  const parsed = productContentSchema.safeParse(candidate);
  if (parsed.success) {
    group.content = parsed.data;
    return;
  }
  for (const issue of parsed.error.issues) {
    const [head, index, field] = issue.path;
    if (head === 'variants' && typeof index === 'number') {
      const row = group.rows[index] ?? first;
      issues.add(row.row, fieldColumn[String(field)] ?? 'sku', issue.message);
    } else {
      issues.add(first.row, fieldColumn[String(head)] ?? 'title', issue.message);
    }
  }
}

/**
 * The rule that keeps a stale or mistaken file from changing the wrong thing: a product_key that is
 * a product id must name a live product of this crafter and carry its current version; any other key
 * is a new product and carries none. `live` is what the database holds now.
 */
function checkKeysAndVersions(
  groups: Iterable<ProductGroup>,
  live: ReadonlyMap<string, { version: number }>,
  deleted: ReadonlySet<string>,
  issues: IssueList,
): void {
  for (const group of groups) {
    const first = group.rows[0];
    if (!first) continue;
    if (!UUID.test(group.key)) {
      if (group.version !== null) {
        issues.add(
          first.row,
          'version',
          'only an exported product (product_key = its id) has a version; leave it empty for a new product',
        );
      }
      continue;
    }
    const current = live.get(group.key);
    if (!current) {
      issues.add(
        first.row,
        'product_key',
        deleted.has(group.key)
          ? 'this product was deleted; to add it again, give it a new key that is not an id (e.g. new-1)'
          : 'no product of this crafter has this id; for a new product use a key that is not an id (e.g. new-1)',
      );
    } else if (group.version === null) {
      issues.add(
        first.row,
        'version',
        `required for an existing product: the version from your export (now ${current.version}), so that edits made since are not overwritten`,
      );
    } else if (group.version !== current.version) {
      issues.add(
        first.row,
        'version',
        `the product changed since your export (version ${group.version} in the file, now ${current.version}); export again and redo your edit`,
      );
    }
  }
}

/**
 * Validates the whole file and, only if every row is right, applies it in one transaction.
 * A product_key naming a live product of this crafter (with its current version) updates it; a key
 * that is not a product id creates a product.
 */
export async function importProductsCsv(
  ctx: ServiceContext,
  input: { crafterId?: string | undefined; csv: string },
): Promise<ImportResult> {
  const crafterId = await resolveOwningCrafter(ctx.db, ctx, input.crafterId, 'query.crafterId');
  const issues = new IssueList();
  const rows = readRows(input.csv, issues);

  const groups = new Map<string, ProductGroup>();
  const skuRow = new Map<string, number>();
  for (const row of rows) {
    const typed = row.cells.product_key.trim();
    // Ids in any letter case name the same product.
    const key = UUID.test(typed) ? typed.toLowerCase() : typed;
    if (key === '') {
      issues.add(row.row, 'product_key', 'required: the same key on every row of one product');
      continue;
    }
    if (key.length > 100) {
      issues.add(row.row, 'product_key', 'at most 100 characters');
      continue;
    }
    const sku = row.cells.sku.trim();
    const earlier = skuRow.get(sku);
    if (sku !== '' && earlier !== undefined)
      issues.add(row.row, 'sku', `SKU ${sku} is already in row ${earlier}`);
    else skuRow.set(sku, row.row);
    const group = groups.get(key) ?? { key, rows: [], content: null, version: null, stockRevision: null };
    group.rows.push(row);
    groups.set(key, group);
  }
  for (const group of groups.values()) buildGroup(group, issues);
  issues.throwIfAny();

  const candidateIds = [...groups.keys()].filter((k) => UUID.test(k));
  const existing = await productsOfCrafter(ctx.db, crafterId, candidateIds);
  const existingIds = existing.map((p) => p.id);
  checkKeysAndVersions(
    groups.values(),
    new Map(existing.map((p) => [p.id, p])),
    await deletedProductIdsOfCrafter(ctx.db, crafterId, candidateIds),
    issues,
  );
  const taken = await takenSkus(ctx.db, crafterId, [...skuRow.keys()], existingIds);
  for (const [sku, productId] of taken) {
    issues.add(
      skuRow.get(sku) ?? 1,
      'sku',
      `SKU ${sku} is used by product ${productId}, which is not in this file`,
    );
  }
  issues.throwIfAny();

  try {
    return await ctx.db.transaction(async (tx) => {
      const locked = new Map(
        (await productsOfCrafter(tx, crafterId, existingIds, true)).map((p) => [p.id, p]),
      );
      // Checked again under the row locks: a product changed or deleted since the check above.
      const raced = new IssueList();
      checkKeysAndVersions(groups.values(), locked, new Set(), raced);
      raced.throwIfAny();
      const changes: { before: ProductView; change: ProductChange }[] = [];
      const creates: ProductContent[] = [];
      let unchanged = 0;
      for (const group of groups.values()) {
        if (!group.content) continue;
        const before = locked.get(group.key);
        if (!before) {
          creates.push(group.content);
          continue;
        }
        const first = group.rows[0] as CsvRow;
        const stock = await resolveStockPlan(
          tx,
          before,
          group.content.variants,
          group.stockRevision ?? undefined,
          `row ${first.row} / stock_revision`,
        );
        for (const stale of stock.stale) {
          const row = group.rows.find((r) => r.cells.sku.trim() === stale.sku) ?? first;
          raced.add(
            row.row,
            'stock',
            `stock is now ${stale.current}: it moved (a sale, or another change) since this file was made, and the file has no stock_revision to tell what you saw; export again, or leave the cell empty`,
          );
        }
        const change = { ...computeChange(before, group.content), stock };
        if (change.changed || !stockPlanIsEmpty(stock)) changes.push({ before, change });
        else unchanged++;
      }
      raced.throwIfAny();
      // Free every SKU leaving a product first, so a SKU may move between products of one file.
      await retireVariants(
        tx,
        changes.flatMap((c) => c.change.diff?.retire ?? []),
      );
      for (const { before, change } of changes) {
        await writeChange(tx, ctx, before, change, { retire: false, stockKind: 'import' });
      }
      for (const content of creates) await insertProduct(tx, ctx, crafterId, content, 'import');
      return { created: creates.length, updated: changes.length, unchanged };
    });
  } catch (err) {
    throw asSkuTaken(err, [...skuRow.keys()]);
  }
}

/** Every product in the scope matching the filters, one row per variant, header included. */
export async function exportProductsCsv(ctx: ServiceContext, filters: ProductFilters): Promise<string> {
  const scope = scopeOf(ctx.principal);
  const records: string[][] = [];
  let after: Parameters<typeof listProducts>[2]['after'];
  for (;;) {
    const page = await listProducts(ctx.db, scope, { ...filters, limit: 500, after });
    for (const p of page.items) {
      for (const v of p.variants) {
        records.push(
          [
            p.id,
            String(p.version),
            p.title,
            p.description,
            p.category,
            p.status,
            serialisePairs(p.attributes),
            serialiseImageUrls(p.imageUrls),
            v.sku,
            serialisePairs(v.options),
            String(v.priceIdr),
            String(v.stock),
            String(v.weightGrams),
            String(p.stockRevision),
          ].map(guardSpreadsheetCell),
        );
      }
    }
    if (!page.next) break;
    after = page.next;
  }
  return stringify(records, { header: true, columns: [...CSV_COLUMNS] });
}
