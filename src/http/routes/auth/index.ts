import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authenticateUser, getUser } from '../../../services/users.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import type { CountLoginAttempt } from '../../login-limits.js';
import { problemSchema } from '../../schemas.js';
import { toUserResponse, userSchema } from '../users/schemas.js';

const loginBody = z.strictObject({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(200),
});

export async function authRoutes(
  app: FastifyInstance,
  opts: RouteDeps & { countLoginAttempt: CountLoginAttempt },
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/auth/login',
    {
      config: {
        access: { public: true },
        idempotent: false,
      },
      schema: {
        tags: ['auth'],
        operationId: 'login',
        summary: 'Exchange username and password for a short-lived bearer token',
        body: loginBody,
        response: {
          200: z.object({ token: z.string(), tokenType: z.literal('Bearer'), expiresAt: z.string() }),
          401: problemSchema,
          429: problemSchema,
        },
      },
    },
    async (request) => {
      await opts.countLoginAttempt(request, request.body.username);
      const principal = await authenticateUser(opts.db, request.body.username, request.body.password);
      const { token, expiresAt } = app.issueToken(principal);
      return { token, tokenType: 'Bearer' as const, expiresAt };
    },
  );

  r.get(
    '/v1/me',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        tags: ['auth'],
        operationId: 'getCurrentUser',
        summary: 'The logged-in user',
        security: [{ bearer: [] }],
        response: { 200: userSchema, 401: problemSchema },
      },
    },
    async (request) =>
      toUserResponse(await getUser(serviceContext(opts.db, request), request.principal!.userId)),
  );
}
