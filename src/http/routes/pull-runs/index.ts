import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listPullRuns, requestPull } from '../../../services/order-pull.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import {
  commonErrors,
  decodeCursor,
  encodeCursor,
  pageQuery,
  problemSchema,
  uuidParam,
} from '../../schemas.js';

const everyone = { roles: ['crafter', 'admin', 'operator'] as const };

const pullRunSchema = z
  .object({
    id: z.uuid(),
    reason: z.enum(['schedule', 'webhook', 'nightly', 'manual', 'upload']),
    status: z.enum(['running', 'succeeded', 'failed']),
    windowFrom: z.string().describe('Platform update times covered, from (inclusive)'),
    windowTo: z.string().describe('… to (exclusive)'),
    fetched: z.number().int(),
    inserted: z.number().int(),
    updated: z.number().int(),
    error: z.string().nullable().describe('Why it failed, in plain words'),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'PullRun' });

const runCursor = z.strictObject({ startedAt: z.iso.datetime(), id: z.uuid() });

/** A shop's pulls: what each covered and how it ended; and a pull on demand. */
export async function pullRunRoutes(app: FastifyInstance, opts: RouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/connections/:id/pull-runs',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'listPullRuns',
        tags: ['connections'],
        summary: "A shop's order pulls and uploaded reports, newest first: window, outcome, counts, error",
        security: [{ bearer: [] }],
        params: uuidParam,
        querystring: z.strictObject(pageQuery),
        response: {
          200: z.object({ items: z.array(pullRunSchema), nextCursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const runs = await listPullRuns(serviceContext(opts.db, request), request.params.id, {
        limit,
        before: decodeCursor(cursor, runCursor),
      });
      const last = runs.at(-1);
      return {
        items: runs.map((run) => ({
          ...run,
          windowFrom: run.windowFrom.toISOString(),
          windowTo: run.windowTo.toISOString(),
          startedAt: run.startedAt.toISOString(),
          finishedAt: run.finishedAt?.toISOString() ?? null,
        })),
        nextCursor:
          runs.length === limit && last
            ? encodeCursor({ startedAt: last.startedAt.toISOString(), id: last.id })
            : null,
      };
    },
  );

  r.post(
    '/v1/connections/:id/pull',
    {
      config: { access: { roles: [...everyone.roles] } },
      schema: {
        operationId: 'pullConnectionNow',
        tags: ['connections'],
        summary: "Pull this shop's orders now (deduplicated: one pull waits per shop)",
        security: [{ bearer: [] }],
        params: uuidParam,
        response: {
          202: z.object({ queued: z.literal(true) }),
          ...commonErrors,
          409: problemSchema,
        },
      },
    },
    async (request, reply) => {
      await requestPull(serviceContext(opts.db, request), request.params.id);
      return reply.code(202).send({ queued: true as const });
    },
  );
}
