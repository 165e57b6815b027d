import { z } from 'zod';
import {
  categorySchema,
  duplicateSkuIndexes,
  LIMITS,
  PRODUCT_STATUSES,
  plainText,
  productContentSchema,
  productFieldsSchema,
  skuSchema,
  variantListSchema,
} from '../../../domain/catalogue.js';
import type { ProductView } from '../../../services/products.js';
import { STOCK_MOVEMENT_KINDS } from '../../../services/stock-ledger.js';
import { pageQuery } from '../../schemas.js';

const productStatus = z.enum(PRODUCT_STATUSES);

export const variantSchema = z
  .object({
    id: z.uuid(),
    sku: z.string(),
    options: z.record(z.string(), z.string()),
    priceIdr: z.number().int().describe('Integer rupiah'),
    stock: z.number().int(),
    weightGrams: z.number().int(),
  })
  .meta({ id: 'Variant' });

export const productSchema = z
  .object({
    id: z.uuid(),
    crafterId: z.uuid(),
    title: z.string(),
    description: z.string(),
    category: z.string(),
    attributes: z.record(z.string(), z.string()),
    imageUrls: z.array(z.string()),
    status: productStatus,
    version: z
      .number()
      .int()
      .describe('Also sent as the ETag; send it back in If-Match to change the product'),
    stockRevision: z
      .number()
      .int()
      .describe(
        'Bumped by every stock movement (sales too), not part of the ETag; send it back with stock values you change',
      ),
    createdAt: z.string(),
    updatedAt: z.string(),
    variants: z.array(variantSchema),
  })
  .meta({ id: 'Product' });

export type ProductResponse = z.infer<typeof productSchema>;

export function toProductResponse(p: ProductView): ProductResponse {
  return {
    id: p.id,
    crafterId: p.crafterId,
    title: p.title,
    description: p.description,
    category: p.category,
    attributes: p.attributes,
    imageUrls: p.imageUrls,
    status: p.status,
    version: p.version,
    stockRevision: p.stockRevision,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    variants: p.variants.map((v) => ({
      id: v.id,
      sku: v.sku,
      options: v.options,
      priceIdr: v.priceIdr,
      stock: v.stock,
      weightGrams: v.weightGrams,
    })),
  };
}

export const createProductBody = z
  .strictObject({
    crafterId: z
      .uuid()
      .optional()
      .describe('Required for admins and operators; a crafter may omit it or name itself'),
    ...productContentSchema.shape,
  })
  .describe('A new product with its variants');

/** The stock revision a write's stock values were read at (see the stock section of the README). */
const stockRevisionField = z
  .number()
  .int()
  .min(0)
  .max(2_147_483_647)
  .optional()
  .describe(
    'The product’s stockRevision your stock values were read at. Each changed stock is then applied as your change relative to what you read, on top of any sale since. Without it, a stock that differs from the current one is refused (409 stock_changed) if stock moved since the last write.',
  );

export const replaceProductBody = productContentSchema
  .extend({ stockRevision: stockRevisionField })
  .describe(
    'The full writable representation; omitted optional fields go back to their defaults (stock left out stays as it is).',
  );

export const patchProductBody = z
  .strictObject({
    title: productFieldsSchema.title.optional(),
    description: productFieldsSchema.description.optional(),
    category: productFieldsSchema.category.optional(),
    attributes: productFieldsSchema.attributes.optional(),
    imageUrls: productFieldsSchema.imageUrls.optional(),
    status: productFieldsSchema.status.optional(),
    variants: variantListSchema
      .optional()
      .describe(
        'The full new variant list; variants are matched to existing ones by SKU, which keeps their ids',
      ),
    stockRevision: stockRevisionField,
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'at least one field is required')
  .describe('Any subset of the product fields');

export const productFilters = {
  crafterId: z.uuid().optional(),
  category: categorySchema.optional(),
  status: productStatus.optional(),
  q: plainText(1, 100).optional().describe('Case-insensitive part of the title'),
};

export const listQuery = z.strictObject({ ...pageQuery, ...productFilters });
export const exportQuery = z.strictObject(productFilters);
export const importQuery = z.strictObject({
  crafterId: z.uuid().optional().describe('Required for admins and operators; implied for crafters'),
});

export const cursorSchema = z.strictObject({
  t: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  id: z.uuid(),
});

export const importResultSchema = z
  .object({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int() })
  .describe('Products created, updated and left unchanged by the file');

export const CSV_FORMAT_DESCRIPTION = [
  'UTF-8 CSV, one row per variant, header row first with the columns',
  '`product_key,version,title,description,category,status,attributes,image_urls,sku,options,price_idr,stock,weight_grams,stock_revision`',
  '(any order; `version` may be left out by a file of new products only; `stock` and `stock_revision` may be left out).',
  '',
  '- `product_key` groups rows into one product. On export it is the product id and `version` its version. On import',
  '  a key that is a product id must name a live product of the crafter and carry the version of your export: if the',
  '  product changed since (or the version is missing), the row is refused, so a stale spreadsheet never undoes',
  "  someone else's edit (export again). An id of a deleted product, or of no product of the crafter, is refused too.",
  '  Any other non-empty key creates a new product, with `version` empty. An updated product gets a new version only',
  '  if something changed. Rows of one product repeat the product columns (or leave them empty).',
  '- `attributes` and `options`: `key=value;key=value` (e.g. `warna=merah;ukuran=M`); `\\`, `;` and `=` inside a key',
  '  or value are escaped with a backslash. `image_urls`: http(s) URLs separated by spaces.',
  '- `price_idr` (integer rupiah), `stock` and `weight_grams` (grams) are whole numbers without separators.',
  "- Stock: sales move it all the time, so it is not part of `version`. The export writes each product's",
  '  `stock_revision`; a changed `stock` cell is imported as your change relative to the exported value, on top of any',
  '  sale since (exported 7, you write 5, a sale took one meanwhile: 4). An unchanged cell changes nothing. An empty',
  '  cell, or no `stock` column, leaves stock as it is (0 for a new variant). Without `stock_revision`, a changed cell',
  '  is refused if stock moved since the last write (export again).',
  '- Formula guard: a cell starting with `=`, `+`, `-`, `@`, tab or carriage return (after any single quotes) is',
  "  exported with one more leading `'`, so a spreadsheet shows it as text; the import removes exactly that quote.",
  '- Import is all-or-nothing per file: if any row is wrong the answer is 400 listing every problem as',
  '  `row N / column` (the header is row 1) and nothing is written. Otherwise the answer counts created, updated',
  '  and unchanged products. Exporting and importing the same file changes nothing.',
].join('\n');

// ---------------------------------------------------------------------------------------------
// Stock: a product's ledger, counts and adjustments
// ---------------------------------------------------------------------------------------------

export const stockMovementSchema = z
  .object({
    id: z.number().int(),
    variantId: z.uuid(),
    sku: z.string(),
    kind: z.enum(STOCK_MOVEMENT_KINDS),
    delta: z.number().int().describe('Signed change in units (a sale of 2 is -2)'),
    onHandAfter: z.number().int().describe('The variant’s on-hand after it; below zero means oversold'),
    stockRevision: z.number().int().describe('The product’s stock revision this movement made'),
    orderLineId: z.uuid().nullable(),
    actorUserId: z
      .uuid()
      .nullable()
      .describe('Who recorded it through the API (null: a channel or an import)'),
    note: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'StockMovement' });

export const stockMovementsQuery = z.strictObject({
  ...pageQuery,
  variantId: z.uuid().optional().describe('Only this variant’s movements'),
});

export const stockCursorSchema = z.strictObject({ r: z.number().int().min(0).max(2_147_483_647) });

const noDuplicateSkus = (list: readonly { sku: string }[], ctx: z.RefinementCtx) => {
  for (const index of duplicateSkuIndexes(list)) {
    ctx.addIssue({ code: 'custom', path: [index, 'sku'], message: 'SKU appears more than once' });
  }
};
const stockNote = plainText(1, 500).optional().describe('Why, in your words (kept with each movement)');

export const stockChangeBody = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('count'),
      stockRevision: z
        .number()
        .int()
        .min(0)
        .max(2_147_483_647)
        .describe('The product’s stockRevision when you read the stock you counted against'),
      variants: z
        .array(z.strictObject({ sku: skuSchema, stock: z.number().int().min(0).max(LIMITS.stockMax) }))
        .min(1)
        .max(LIMITS.variantsMax)
        .superRefine(noDuplicateSkus),
      note: stockNote,
    }),
    z.strictObject({
      kind: z.literal('adjustment'),
      variants: z
        .array(
          z.strictObject({
            sku: skuSchema,
            delta: z
              .number()
              .int()
              .min(-LIMITS.stockMax)
              .max(LIMITS.stockMax)
              .refine((d) => d !== 0, 'must not be 0'),
          }),
        )
        .min(1)
        .max(LIMITS.variantsMax)
        .superRefine(noDuplicateSkus),
      note: stockNote,
    }),
  ])
  .describe(
    'A count (`stock` per SKU: your change relative to what you read at `stockRevision`, applied on top of any sale since) or an adjustment (`delta` per SKU; may not take stock below zero)',
  );

export const stockMovementPageSchema = z.object({
  items: z.array(stockMovementSchema),
  nextCursor: z.string().nullable(),
});
