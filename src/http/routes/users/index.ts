import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createUser, getUser, listUsers } from '../../../services/users.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import { commonErrors, decodeCursor, pageById, pageQuery, problemSchema, uuidParam } from '../../schemas.js';
import { createUserBody, roleSchema, toUserResponse, userSchema } from './schemas.js';

const managers = { roles: ['admin', 'operator'] as const };

export async function userRoutes(app: FastifyInstance, opts: RouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/users',
    {
      config: { access: managers },
      schema: {
        tags: ['users'],
        operationId: 'listUsers',
        summary: 'Users in your scope',
        security: [{ bearer: [] }],
        querystring: z.strictObject({ ...pageQuery, role: roleSchema.optional() }),
        response: {
          200: z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const after = decodeCursor(request.query.cursor, z.uuid());
      const rows = await listUsers(serviceContext(opts.db, request), {
        limit: request.query.limit,
        after,
        role: request.query.role,
      });
      return pageById(rows, request.query.limit, toUserResponse);
    },
  );

  r.get(
    '/v1/users/:id',
    {
      config: { access: managers },
      schema: {
        tags: ['users'],
        operationId: 'getUser',
        security: [{ bearer: [] }],
        params: uuidParam,
        response: { 200: userSchema, ...commonErrors },
      },
    },
    async (request) => toUserResponse(await getUser(serviceContext(opts.db, request), request.params.id)),
  );

  r.post(
    '/v1/users',
    {
      config: { access: managers },
      schema: {
        tags: ['users'],
        operationId: 'createUser',
        summary: 'Create a user (operators: anyone; admins: admins and crafter users inside their region)',
        security: [{ bearer: [] }],
        body: createUserBody,
        response: { 201: userSchema, ...commonErrors, 409: problemSchema },
      },
    },
    async (request, reply) => {
      const user = await createUser(serviceContext(opts.db, request), request.body);
      reply.code(201).header('location', `/v1/users/${user.id}`);
      return toUserResponse(user);
    },
  );
}
