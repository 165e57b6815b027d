import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  type CrafterRow,
  createCrafter,
  getCrafter,
  listCrafters,
  updateCrafter,
} from '../../../services/crafters.js';
import { ifMatchHeaders, requiredIfMatch, setEtag } from '../../conditional.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import {
  commonErrors,
  decodeCursor,
  pageById,
  pageQuery,
  problemSchema,
  regionCode,
  uuidParam,
} from '../../schemas.js';

const craftCategory = z.enum(['crafts', 'fashion', 'culinary', 'other']);
const crafterStatus = z.enum(['active', 'inactive']);
/** Indonesian phone numbers: +62 or 0 prefix, 8-15 digits, spaces and dashes allowed. */
const phone = z
  .string()
  .trim()
  .regex(/^(\+62|62|0)[0-9 -]{7,16}$/, 'must be an Indonesian phone number such as 0812-3456-7890');

const crafterFields = {
  businessName: z.string().trim().min(1).max(120),
  ownerName: z.string().trim().min(1).max(120),
  phone,
  kelurahanCode: regionCode,
  craftCategory,
  status: crafterStatus,
};

export const crafterSchema = z
  .object({
    id: z.uuid(),
    businessName: z.string(),
    ownerName: z.string(),
    phone: z.string(),
    kelurahanCode: z.string(),
    craftCategory,
    status: crafterStatus,
    version: z
      .number()
      .int()
      .describe('Also sent as the ETag; send it back in If-Match to change the crafter'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Crafter' });

function toResponse(c: CrafterRow): z.infer<typeof crafterSchema> {
  return { ...c, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() };
}

function withEtag(reply: FastifyReply, crafter: CrafterRow) {
  setEtag(reply, crafter.version);
  return toResponse(crafter);
}

export async function crafterRoutes(app: FastifyInstance, opts: RouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/crafters',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        tags: ['crafters'],
        operationId: 'listCrafters',
        summary: 'Crafters in your scope (a crafter sees itself)',
        security: [{ bearer: [] }],
        querystring: z.strictObject({
          ...pageQuery,
          regionCode: regionCode.optional(),
          status: crafterStatus.optional(),
          q: z.string().trim().min(1).max(100).optional(),
        }),
        response: {
          200: z.object({ items: z.array(crafterSchema), nextCursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filters } = request.query;
      const rows = await listCrafters(serviceContext(opts.db, request), {
        limit,
        after: decodeCursor(cursor, z.uuid()),
        ...filters,
      });
      return pageById(rows, limit, toResponse);
    },
  );

  r.get(
    '/v1/crafters/:id',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        tags: ['crafters'],
        operationId: 'getCrafter',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 200: crafterSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      withEtag(reply, await getCrafter(serviceContext(opts.db, request), request.params.id)),
  );

  r.post(
    '/v1/crafters',
    {
      config: { access: { roles: ['admin', 'operator'] } },
      schema: {
        tags: ['crafters'],
        operationId: 'createCrafter',
        summary: 'Register a crafter in a kelurahan of your region',
        security: [{ bearer: [] }],
        body: z.strictObject({ ...crafterFields, status: crafterStatus.optional() }),
        response: { 201: crafterSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const crafter = await createCrafter(serviceContext(opts.db, request), request.body);
      reply.code(201).header('location', `/v1/crafters/${crafter.id}`);
      return withEtag(reply, crafter);
    },
  );

  r.patch(
    '/v1/crafters/:id',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        tags: ['crafters'],
        operationId: 'updateCrafter',
        summary:
          'Change a crafter (requires If-Match; crafters: their own name, owner, phone and category only)',
        security: [{ bearer: [] }],
        params: uuidParam,
        headers: ifMatchHeaders,
        body: z
          .strictObject({
            businessName: crafterFields.businessName.optional(),
            ownerName: crafterFields.ownerName.optional(),
            phone: crafterFields.phone.optional(),
            kelurahanCode: crafterFields.kelurahanCode.optional(),
            craftCategory: crafterFields.craftCategory.optional(),
            status: crafterFields.status.optional(),
          })
          .refine((v) => Object.keys(v).length > 0, 'at least one field is required'),
        response: { 200: crafterSchema, ...commonErrors, 412: problemSchema, 428: problemSchema },
      },
    },
    async (request, reply) =>
      withEtag(
        reply,
        await updateCrafter(
          serviceContext(opts.db, request),
          request.params.id,
          requiredIfMatch(request),
          request.body,
        ),
      ),
  );
}
