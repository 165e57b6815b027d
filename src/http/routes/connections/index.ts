import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  type ConnectionDeps,
  completeAuthorization,
  disconnectConnection,
  enrolPartnerBrand,
  getConnection,
  listConnections,
  startAuthorization,
  updateConnectionSettings,
} from '../../../services/connections.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import { commonErrors, decodeCursor, pageById, pageQuery, problemSchema, uuidParam } from '../../schemas.js';
import {
  authorizationLinkSchema,
  connectionSchema,
  oauthChannelSlug,
  slugToChannel,
  toConnectionResponse,
} from './schemas.js';

const crafterParam = z.strictObject({ crafterId: z.uuid() });
const errors = { ...commonErrors, 409: problemSchema, 503: problemSchema };

export async function connectionRoutes(
  app: FastifyInstance,
  opts: RouteDeps & { connections: ConnectionDeps },
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const deps = opts.connections;

  r.post(
    '/v1/crafters/:crafterId/connections/:channel/authorize',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        operationId: 'authorizeConnection',
        tags: ['connections'],
        summary: 'Start connecting the crafter’s own Shopee or Tokopedia (TikTok Shop) shop',
        description:
          'Returns the platform’s authorization link. The link carries a signed state bound to the crafter, valid 15 minutes and usable once; the platform sends the seller back to the callback.',
        security: [{ bearer: [] }],
        params: z.strictObject({ crafterId: z.uuid(), channel: oauthChannelSlug }),
        response: { 200: authorizationLinkSchema, ...errors },
      },
    },
    async (request) => {
      const link = await startAuthorization(
        serviceContext(opts.db, request),
        deps,
        request.params.crafterId,
        slugToChannel[request.params.channel],
      );
      return { ...link, expiresAt: link.expiresAt.toISOString() };
    },
  );

  r.get(
    '/v1/connections/callback/:channel',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'connectionCallback',
        tags: ['connections'],
        summary: 'Where Shopee / TikTok Shop send the seller back after approving (verified by state)',
        params: z.strictObject({ channel: oauthChannelSlug }),
        // Platforms may add parameters of their own; only these are read.
        querystring: z.object({
          state: z.string().min(1).max(2000),
          code: z.string().min(1).max(2000),
          shop_id: z
            .string()
            .regex(/^\d{1,20}$/)
            .optional(),
        }),
        response: { 200: connectionSchema, 400: problemSchema, 409: problemSchema, 503: problemSchema },
      },
    },
    async (request) =>
      toConnectionResponse(
        await completeAuthorization(
          opts.db,
          deps,
          slugToChannel[request.params.channel],
          { state: request.query.state, code: request.query.code, shopId: request.query.shop_id },
          request.id,
        ),
      ),
  );

  r.post(
    '/v1/crafters/:crafterId/connections/partner-brand',
    {
      config: { access: { roles: ['admin', 'operator'] } },
      schema: {
        operationId: 'enrolPartnerBrand',
        tags: ['connections'],
        summary: 'Enrol a crafter in a partner-brand programme with that partner’s API key',
        security: [{ bearer: [] }],
        params: crafterParam,
        body: z.strictObject({
          partnerProgrammeId: z
            .string()
            .trim()
            .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (1-64)'),
          apiKey: z.string().min(8).max(500),
          apiSecret: z.string().min(8).max(500),
          shopName: z.string().trim().min(1).max(120).optional(),
        }),
        response: { 201: connectionSchema, ...errors },
      },
    },
    async (request, reply) => {
      const view = await enrolPartnerBrand(
        serviceContext(opts.db, request),
        deps,
        request.params.crafterId,
        request.body,
      );
      reply.code(201).header('location', `/v1/connections/${view.id}`);
      return toConnectionResponse(view);
    },
  );

  r.get(
    '/v1/crafters/:crafterId/connections',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        operationId: 'listCrafterConnections',
        tags: ['connections'],
        summary: 'The crafter’s connections with their health (disconnected ones on request)',
        security: [{ bearer: [] }],
        params: crafterParam,
        querystring: z.strictObject({
          ...pageQuery,
          includeDisconnected: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
        }),
        response: {
          200: z.object({ items: z.array(connectionSchema), nextCursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, includeDisconnected } = request.query;
      const rows = await listConnections(serviceContext(opts.db, request), request.params.crafterId, {
        limit,
        after: decodeCursor(cursor, z.uuid()),
        includeDisconnected,
      });
      return pageById(rows, limit, toConnectionResponse);
    },
  );

  r.get(
    '/v1/connections/:id',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        operationId: 'getConnection',
        tags: ['connections'],
        summary: 'One connection: status, health, last success, token expiry (never credentials)',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 200: connectionSchema, ...commonErrors },
      },
    },
    async (request) =>
      toConnectionResponse(await getConnection(serviceContext(opts.db, request), request.params.id)),
  );

  r.patch(
    '/v1/connections/:id',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        operationId: 'updateConnection',
        tags: ['connections'],
        summary: 'Change the shop’s price rule (markup, rounding) and stock buffer',
        description:
          'Price rule: `kind` none | percent (value in basis points, 1250 = 12.5 %) | fixed (value in rupiah), then rounding up to `roundingStepIdr`. Stock buffer: hold back `percent` of stock, publish at most `maxUnits` (null: no cap). Listings may override both.',
        security: [{ bearer: [] }],
        params: uuidParam,
        body: z
          .strictObject({
            priceRule: z
              .strictObject({
                kind: z.enum(['none', 'percent', 'fixed']),
                value: z.number().int().min(0).max(100_000_000),
                roundingStepIdr: z.number().int().min(1).max(1_000_000),
              })
              .optional(),
            stockBuffer: z
              .strictObject({
                percent: z.number().int().min(0).max(100),
                maxUnits: z.number().int().min(0).max(1_000_000).nullable(),
              })
              .optional(),
          })
          .refine(
            (v) => v.priceRule !== undefined || v.stockBuffer !== undefined,
            'give priceRule or stockBuffer',
          ),
        response: { 200: connectionSchema, ...commonErrors, 409: problemSchema },
      },
    },
    async (request) =>
      toConnectionResponse(
        await updateConnectionSettings(serviceContext(opts.db, request), request.params.id, request.body),
      ),
  );

  r.delete(
    '/v1/connections/:id',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        operationId: 'disconnectConnection',
        tags: ['connections'],
        summary: 'Disconnect: wipes the stored credentials at once (nothing is revoked at the platform)',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 200: connectionSchema, ...commonErrors },
      },
    },
    async (request) =>
      toConnectionResponse(await disconnectConnection(serviceContext(opts.db, request), request.params.id)),
  );
}
