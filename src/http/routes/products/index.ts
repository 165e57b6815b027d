/**
 * `/v1/products`: the canonical catalogue. Every product answers with `ETag: "<version>"`; PATCH,
 * PUT and DELETE require `If-Match` (missing → 428, stale → 412). Products of crafters outside the
 * caller's scope answer 404, exactly like missing ones.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { scopeOf } from '../../../domain/scope.js';
import { UnsupportedMediaTypeError } from '../../../lib/errors.js';
import { exportProductsCsv, importProductsCsv } from '../../../services/product-csv.js';
import { changeProductStock, listProductStockMovements } from '../../../services/product-stock.js';
import {
  createProduct,
  deleteProduct,
  getProduct,
  listProductsJson,
  type ProductPatch,
  type ProductView,
  updateProduct,
} from '../../../services/products.js';
import { ifMatchHeaders, requiredIfMatch, setEtag } from '../../conditional.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import { cacheScopeKey, type ListCache } from '../../list-cache.js';
import { commonErrors, decodeCursor, encodeCursor, problemSchema, uuidParam } from '../../schemas.js';
import {
  CSV_FORMAT_DESCRIPTION,
  createProductBody,
  cursorSchema,
  exportQuery,
  importQuery,
  importResultSchema,
  listQuery,
  patchProductBody,
  productSchema,
  replaceProductBody,
  stockChangeBody,
  stockCursorSchema,
  stockMovementPageSchema,
  stockMovementsQuery,
  toProductResponse,
} from './schemas.js';

const productPageSchema = z.object({ items: z.array(productSchema), nextCursor: z.string().nullable() });

/** Sends an already validated and serialised JSON body as is. */
function sendJsonBytes(reply: FastifyReply, body: Buffer): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(body);
}

const ALL_ROLES = { roles: ['crafter', 'admin', 'operator'] } as const;
const conditionalErrors = { ...commonErrors, 409: problemSchema, 412: problemSchema, 428: problemSchema };

function withEtag(reply: FastifyReply, product: ProductView) {
  setEtag(reply, product.version);
  return toProductResponse(product);
}

function requireContentType(type: string) {
  return async (request: FastifyRequest) => {
    const header = request.headers['content-type'] ?? '';
    if (header.split(';')[0]?.trim().toLowerCase() !== type) {
      throw new UnsupportedMediaTypeError(`This route takes ${type}.`);
    }
  };
}

export async function productRoutes(
  app: FastifyInstance,
  opts: RouteDeps & { csvImportLimitBytes: number; listCache?: ListCache | undefined },
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  /** PUT and PATCH: the body schemas differ (PUT's defaults make it complete), the use case is one. */
  const applyUpdate = async (request: FastifyRequest, reply: FastifyReply, id: string, body: ProductPatch) =>
    withEtag(
      reply,
      await updateProduct(serviceContext(opts.db, request), id, requiredIfMatch(request), body),
    );

  r.get(
    '/v1/products',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['products'],
        operationId: 'listProducts',
        summary: 'Products in your scope, newest first, with their variants',
        description: 'Cursor pagination: pass `nextCursor` as `cursor` until it is null.',
        security: [{ bearer: [] }],
        querystring: listQuery,
        response: {
          200: productPageSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const { limit, cursor, ...filters } = request.query;
      const after = decodeCursor(cursor, cursorSchema);
      const ctx = serviceContext(opts.db, request);
      const scope = scopeOf(ctx.principal);
      const cache = opts.listCache;
      // Pages depend only on the scope and the query, so callers with the same scope share them.
      const scopeKey = cacheScopeKey(scope);
      const cacheKey = `${scopeKey} ${request.url}`;
      const cached = cache?.get(cacheKey, scopeKey);
      if (cached !== undefined) return sendJsonBytes(reply, cached);
      const generation = cache?.currentGeneration(scopeKey) ?? '';
      // Postgres writes the items' JSON (shape pinned to productSchema by the products-list tests).
      const page = await listProductsJson(ctx.db, scope, { ...filters, limit, after });
      const nextCursor = page.next ? JSON.stringify(encodeCursor(page.next)) : 'null';
      const bytes = Buffer.from(`{"items":${page.itemsJson},"nextCursor":${nextCursor}}`);
      cache?.set(cacheKey, scopeKey, generation, bytes);
      return sendJsonBytes(reply, bytes);
    },
  );

  r.get(
    '/v1/products/export.csv',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['products'],
        operationId: 'exportProductsCsv',
        summary: 'Export products in your scope as CSV (same filters as the list)',
        description: CSV_FORMAT_DESCRIPTION,
        security: [{ bearer: [] }],
        querystring: exportQuery,
        response: {
          200: { description: 'CSV file', content: { 'text/csv': { schema: z.string() } } },
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const csv = await exportProductsCsv(serviceContext(opts.db, request), request.query);
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="products.csv"')
        .serializer((p: unknown) => p as string);
      return csv;
    },
  );

  r.post(
    '/v1/products/import',
    {
      config: { access: ALL_ROLES },
      bodyLimit: opts.csvImportLimitBytes,
      preValidation: requireContentType('text/csv'),
      schema: {
        tags: ['products'],
        operationId: 'importProductsCsv',
        summary: 'Import products from CSV (all-or-nothing per file)',
        description: CSV_FORMAT_DESCRIPTION,
        security: [{ bearer: [] }],
        consumes: ['text/csv'],
        querystring: importQuery,
        body: z.string().describe('CSV text'),
        response: {
          200: importResultSchema,
          ...commonErrors,
          409: problemSchema,
          413: problemSchema,
          415: problemSchema,
        },
      },
    },
    async (request) =>
      importProductsCsv(serviceContext(opts.db, request), {
        crafterId: request.query.crafterId,
        csv: request.body,
      }),
  );

  r.get(
    '/v1/products/:id',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['products'],
        operationId: 'getProduct',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 200: productSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      withEtag(reply, await getProduct(serviceContext(opts.db, request), request.params.id)),
  );

  r.post(
    '/v1/products',
    {
      config: { access: ALL_ROLES },
      preValidation: requireContentType('application/json'),
      schema: {
        tags: ['products'],
        operationId: 'createProduct',
        summary: 'Create a product with its variants (honours Idempotency-Key)',
        security: [{ bearer: [] }],
        body: createProductBody,
        response: { 201: productSchema, ...commonErrors, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const product = await createProduct(serviceContext(opts.db, request), request.body);
      reply.code(201).header('location', `/v1/products/${product.id}`);
      return withEtag(reply, product);
    },
  );

  r.put(
    '/v1/products/:id',
    {
      config: { access: ALL_ROLES },
      preValidation: requireContentType('application/json'),
      schema: {
        tags: ['products'],
        operationId: 'replaceProduct',
        summary: 'Replace a product and its variants (requires If-Match)',
        description: 'Variants are matched to the stored ones by SKU; SKUs left out are retired.',
        security: [{ bearer: [] }],
        params: uuidParam,
        headers: ifMatchHeaders,
        body: replaceProductBody,
        response: { 200: productSchema, ...conditionalErrors },
      },
    },
    (request, reply) => applyUpdate(request, reply, request.params.id, request.body),
  );

  r.patch(
    '/v1/products/:id',
    {
      config: { access: ALL_ROLES },
      preValidation: requireContentType('application/json'),
      schema: {
        tags: ['products'],
        operationId: 'updateProduct',
        summary: 'Change some fields of a product (requires If-Match)',
        description:
          'A change that changes nothing keeps the version (no audit entry, nothing pushed to channels).',
        security: [{ bearer: [] }],
        params: uuidParam,
        headers: ifMatchHeaders,
        body: patchProductBody,
        response: { 200: productSchema, ...conditionalErrors },
      },
    },
    (request, reply) => applyUpdate(request, reply, request.params.id, request.body),
  );

  r.get(
    '/v1/products/:id/stock-movements',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['products'],
        operationId: 'listStockMovements',
        summary:
          'The stock ledger of a product: every sale, cancellation, return, count, adjustment and import, newest first',
        description:
          'Cursor pagination: pass `nextCursor` as `cursor` until it is null. `variantId` narrows it to one variant.',
        security: [{ bearer: [] }],
        params: uuidParam,
        querystring: stockMovementsQuery,
        response: { 200: stockMovementPageSchema, ...commonErrors },
      },
    },
    async (request) => {
      const { limit, cursor, variantId } = request.query;
      const before = decodeCursor(cursor, stockCursorSchema)?.r;
      const page = await listProductStockMovements(serviceContext(opts.db, request), request.params.id, {
        limit,
        variantId,
        before,
      });
      return {
        items: page.items.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })),
        nextCursor: page.next === null ? null : encodeCursor({ r: page.next }),
      };
    },
  );

  r.post(
    '/v1/products/:id/stock',
    {
      config: { access: ALL_ROLES },
      preValidation: requireContentType('application/json'),
      schema: {
        tags: ['products'],
        operationId: 'changeProductStock',
        summary:
          'Record a stock count or adjustment (honours Idempotency-Key; no If-Match: stock is not versioned)',
        description:
          "A count is applied as your change relative to what you read at `stockRevision`, on top of any sale since (read 7, counted 5, a sale took one meanwhile: 4), so a sale is never undone. The product's `version` (ETag) does not change; its `stockRevision` does, and the new stock goes to every channel.",
        security: [{ bearer: [] }],
        params: uuidParam,
        body: stockChangeBody,
        response: { 200: productSchema, ...commonErrors, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) =>
      withEtag(
        reply,
        await changeProductStock(serviceContext(opts.db, request), request.params.id, request.body),
      ),
  );

  r.delete(
    '/v1/products/:id',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['products'],
        operationId: 'deleteProduct',
        summary: 'Delete a product (requires If-Match); its SKUs become free again',
        security: [{ bearer: [] }],
        params: uuidParam,
        headers: ifMatchHeaders,
        response: { 204: z.null().describe('Deleted'), ...conditionalErrors },
      },
    },
    async (request, reply) => {
      const ifMatch = requiredIfMatch(request);
      await deleteProduct(serviceContext(opts.db, request), request.params.id, ifMatch);
      return reply.code(204).send(null);
    },
  );
}
