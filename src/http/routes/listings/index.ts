/**
 * Listings (a product published to a crafter's shops) and the council's category mappings. Listings
 * are scoped like their crafter (crafter → own, admin → region subtree, operator → all; out of scope
 * answers 404). The routes only record what is wanted and ask the push pipeline through the outbox;
 * state, remote ids and errors are the pipeline's to write.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { categorySchema } from '../../../domain/catalogue.js';
import { listMappings, putMapping } from '../../../services/category-mappings.js';
import {
  BULK_PUBLISH_MAX_PRODUCTS,
  endListing,
  getListing,
  listConnectionListings,
  listProductListings,
  publishProduct,
  publishProducts,
  resyncListing,
  updateListingOverrides,
} from '../../../services/listings.js';
import { ifMatchHeaders, requiredIfMatch, setEtag } from '../../conditional.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import { commonErrors, decodeCursor, pageById, pageQuery, problemSchema, uuidParam } from '../../schemas.js';
import {
  listingDetailSchema,
  listingSchema,
  listingStateSchema,
  mappingInputSchema,
  mappingSchema,
  toListingDetailResponse,
  toListingResponse,
  toMappingResponse,
} from './schemas.js';

const everyone = { roles: ['crafter', 'admin', 'operator'] as const };
const withConflict = { ...commonErrors, 409: problemSchema };
const listingList = z.object({ items: z.array(listingSchema) });

export async function listingRoutes(app: FastifyInstance, opts: RouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/products/:id/listings',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'publishProduct',
        tags: ['listings'],
        summary: 'Publish a product to one or more of its crafter’s shops (idempotent)',
        description:
          'Creates one listing per connection, `pending`, and asks the push pipeline to push it. Publishing again to a shop that already lists the product changes nothing; an ended listing starts again. Only an active product can be published, and only to connections of its own crafter.',
        security: [{ bearer: [] }],
        params: uuidParam,
        body: z.strictObject({ connectionIds: z.array(z.uuid()).min(1).max(20) }),
        response: { 200: listingList, ...withConflict },
      },
    },
    async (request) => {
      const views = await publishProduct(
        serviceContext(opts.db, request),
        request.params.id,
        request.body.connectionIds,
      );
      return { items: views.map(toListingResponse) };
    },
  );

  r.post(
    '/v1/listings/publish',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'publishProducts',
        tags: ['listings'],
        summary: 'Publish many products of one crafter to that crafter’s shops at once (idempotent)',
        description: `What \`POST /v1/products/{id}/listings\` does, for up to ${BULK_PUBLISH_MAX_PRODUCTS} products in one call (a crafter who connects a new shop publishes the catalogue). All or nothing: an unknown or foreign product or connection, a product that is not active, or a disconnected shop refuses the whole call (each offending entry is named in \`errors\`) and nothing is written. Pairs already listed are left as they are; ended listings start again.`,
        security: [{ bearer: [] }],
        body: z.strictObject({
          productIds: z.array(z.uuid()).min(1).max(BULK_PUBLISH_MAX_PRODUCTS),
          connectionIds: z.array(z.uuid()).min(1).max(20),
        }),
        response: {
          200: z.object({
            started: z.number().int().describe('Listings created or started again; each asked for one push.'),
            unchanged: z.number().int().describe('Listings that already existed and were left as they were.'),
            items: z.array(
              z.object({
                id: z.uuid(),
                productId: z.uuid(),
                connectionId: z.uuid(),
                state: listingStateSchema,
              }),
            ),
          }),
          ...withConflict,
        },
      },
    },
    async (request) =>
      publishProducts(serviceContext(opts.db, request), request.body.productIds, request.body.connectionIds),
  );

  r.get(
    '/v1/products/:id/listings',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'listProductListings',
        tags: ['listings'],
        summary: 'Where a product is listed: every listing with its state (ended ones too)',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 200: listingList, ...commonErrors },
      },
    },
    async (request) => {
      const views = await listProductListings(serviceContext(opts.db, request), request.params.id);
      return { items: views.map(toListingResponse) };
    },
  );

  r.get(
    '/v1/connections/:id/listings',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'listConnectionListings',
        tags: ['listings'],
        summary: 'The listings of one shop, optionally of one state (cursor paging)',
        security: [{ bearer: [] }],
        params: uuidParam,
        querystring: z.strictObject({ ...pageQuery, state: listingStateSchema.optional() }),
        response: {
          200: z.object({ items: z.array(listingSchema), nextCursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, state } = request.query;
      const views = await listConnectionListings(serviceContext(opts.db, request), request.params.id, {
        limit,
        after: decodeCursor(cursor, z.uuid()),
        state,
      });
      return pageById(views, limit, toListingResponse);
    },
  );

  r.get(
    '/v1/listings/:id',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'getListing',
        tags: ['listings'],
        summary: 'One listing: state, remote ids, pushed vs current version, last error, push history',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 200: listingDetailSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const view = await getListing(serviceContext(opts.db, request), request.params.id);
      setEtag(reply, view.version);
      return toListingDetailResponse(view);
    },
  );

  r.post(
    '/v1/listings/:id/resync',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'resyncListing',
        tags: ['listings'],
        summary: 'Force a push of the listing’s current state (also retries a failed listing)',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 202: listingDetailSchema, ...withConflict },
      },
    },
    async (request, reply) => {
      const view = await resyncListing(serviceContext(opts.db, request), request.params.id);
      setEtag(reply, view.version);
      reply.code(202);
      return toListingDetailResponse(view);
    },
  );

  r.patch(
    '/v1/listings/:id',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'updateListing',
        tags: ['listings'],
        summary: 'Override the shop’s price rule or stock buffer for this listing (requires If-Match)',
        description:
          '`priceRule`: { kind none | percent (basis points) | fixed (rupiah), value, roundingStepIdr (null: the shop’s) }, or null to use the shop’s rule again. `stockBuffer`: { percent, maxUnits } (a null field uses the shop’s value), or null to use the shop’s buffer again. A change asks for a push.',
        security: [{ bearer: [] }],
        params: uuidParam,
        headers: ifMatchHeaders,
        body: z
          .strictObject({
            priceRule: z
              .strictObject({
                kind: z.enum(['none', 'percent', 'fixed']),
                value: z.number().int().min(0).max(100_000_000),
                roundingStepIdr: z.number().int().min(1).max(1_000_000).nullable(),
              })
              .nullable()
              .optional(),
            stockBuffer: z
              .strictObject({
                percent: z.number().int().min(0).max(100).nullable(),
                maxUnits: z.number().int().min(0).max(1_000_000).nullable(),
              })
              .nullable()
              .optional(),
          })
          .refine(
            (v) => v.priceRule !== undefined || v.stockBuffer !== undefined,
            'give priceRule or stockBuffer',
          ),
        response: { 200: listingDetailSchema, ...withConflict, 412: problemSchema, 428: problemSchema },
      },
    },
    async (request, reply) => {
      const view = await updateListingOverrides(
        serviceContext(opts.db, request),
        request.params.id,
        requiredIfMatch(request),
        request.body,
      );
      setEtag(reply, view.version);
      return toListingDetailResponse(view);
    },
  );

  r.delete(
    '/v1/listings/:id',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'endListing',
        tags: ['listings'],
        summary: 'End the listing: it becomes delisted and the remote item is ended (idempotent)',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 202: listingDetailSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const view = await endListing(serviceContext(opts.db, request), request.params.id);
      setEtag(reply, view.version);
      reply.code(202);
      return toListingDetailResponse(view);
    },
  );

  r.get(
    '/v1/category-mappings',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'listCategoryMappings',
        tags: ['category-mappings'],
        summary: 'How each canonical category is placed on each channel',
        security: [{ bearer: [] }],
        querystring: z.strictObject({
          channel: z.enum(['shopee', 'tiktok_shop', 'partner_brand']).optional(),
        }),
        response: { 200: z.object({ items: z.array(mappingSchema) }), ...commonErrors },
      },
    },
    async (request) => ({
      items: (await listMappings(opts.db, { channel: request.query.channel })).map(toMappingResponse),
    }),
  );

  r.put(
    '/v1/category-mappings/:channel/:category',
    {
      config: { access: { roles: ['admin', 'operator'] } },
      schema: {
        operationId: 'putCategoryMapping',
        tags: ['category-mappings'],
        summary: 'Set how a canonical category is placed on a channel (city-level admins and operators)',
        description:
          'The category is the product’s `category`, URL-encoded (`kerajinan%2Fanyaman`). Listings of products in that category on that channel are pushed again, so a listing waiting for a mapping (`needs_attention`) goes out.',
        security: [{ bearer: [] }],
        params: z.strictObject({ channel: z.enum(['shopee', 'tiktok_shop']), category: categorySchema }),
        body: mappingInputSchema,
        response: { 200: mappingSchema, 201: mappingSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { mapping, created } = await putMapping(
        serviceContext(opts.db, request),
        request.params.channel,
        request.params.category,
        request.body,
      );
      reply.code(created ? 201 : 200);
      return toMappingResponse(mapping);
    },
  );
}
