/** Assortment: the crafters' items a partner sells on consignment, upserted and removed by SKU. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SandboxContext } from '../../core/contract.js';
import { partnerOf } from '../auth.js';
import { badRequest, PartnerError, PartnerErrorCode } from '../errors.js';
import { decodeCursor, encodeCursor } from '../paging.js';
import type { AssortmentItem, PartnerStore } from '../store.js';

export const SKU_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const itemInput = z
  .object({
    title: z.string().trim().min(1).max(200),
    price_idr: z.number().int().min(0).max(1_000_000_000),
    quantity: z.number().int().min(0).max(1_000_000),
    image_url: z.url().max(2048).optional(),
  })
  .strict();

const listQuery = z.object({
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw badRequest(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
    );
  }
  return parsed.data;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The raw body (bytes, as signed) as JSON; it must be UTF-8 (RFC 8259). */
export function parseJson(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw badRequest('a JSON body is required');
  try {
    return JSON.parse(utf8.decode(raw));
  } catch {
    throw badRequest('body is not valid UTF-8 JSON');
  }
}

export function itemView(item: AssortmentItem) {
  return {
    sku: item.sku,
    title: item.title,
    price_idr: item.priceIdr,
    quantity: item.quantity,
    image_url: item.imageUrl ?? null,
    created_at: new Date(item.createdAt).toISOString(),
    updated_at: new Date(item.updatedAt).toISOString(),
  };
}

function skuParam(params: unknown): string {
  const sku = (params as { sku?: string }).sku ?? '';
  if (!SKU_PATTERN.test(sku)) throw badRequest('sku must be 1-64 characters of A-Z a-z 0-9 . _ -');
  return sku;
}

export function registerAssortmentRoutes(
  app: FastifyInstance,
  ctx: SandboxContext,
  store: PartnerStore,
): void {
  // PUT /v1/assortment/items/{sku}: create or replace one item (201 when created, 200 when replaced).
  app.put('/v1/assortment/items/:sku', async (request, reply) => {
    const partner = partnerOf(request);
    const sku = skuParam(request.params);
    if (!request.headers['content-type']?.toLowerCase().startsWith('application/json')) {
      throw badRequest('Content-Type must be application/json');
    }
    const input = parseInput(itemInput, parseJson(request.body));
    const key = store.itemKey(partner.id, sku);
    const existing = store.state.items[key];
    const now = ctx.clock.nowMs();
    const item: AssortmentItem = {
      partnerId: partner.id,
      sku,
      title: input.title,
      priceIdr: input.price_idr,
      quantity: input.quantity,
      ...(input.image_url !== undefined ? { imageUrl: input.image_url } : {}),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    store.state.items[key] = item;
    return reply.code(existing ? 200 : 201).send({ item: itemView(item) });
  });

  // DELETE /v1/assortment/items/{sku}: stop selling an item (204; 404 when unknown).
  app.delete('/v1/assortment/items/:sku', async (request, reply) => {
    const partner = partnerOf(request);
    const key = store.itemKey(partner.id, skuParam(request.params));
    if (!store.state.items[key])
      throw new PartnerError(PartnerErrorCode.notFound, 'no assortment item with this sku', 404);
    delete store.state.items[key];
    return reply.code(204).send();
  });

  // GET /v1/assortment/items: items ordered by sku, cursor paging.
  app.get('/v1/assortment/items', async (request) => {
    const partner = partnerOf(request);
    const query = parseInput(listQuery, request.query);
    const limit = query.limit ?? 50;
    const scope = `items:${partner.id}`;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, scope);
    if (after !== undefined && typeof after !== 'string')
      throw badRequest('cursor is not valid for this request');
    const all = store.itemsOf(partner.id).filter((item) => after === undefined || item.sku > after);
    const page = all.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(itemView),
      next_cursor: all.length > limit && last ? encodeCursor(scope, last.sku) : null,
    };
  });
}
