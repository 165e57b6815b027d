/** `/v1/ops`: operator-only views of the machinery (today: the outbox's dead letters). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../lib/errors.js';
import { listDeadLetters } from '../../../services/outbox.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import { commonErrors, decodeCursor, pageById, pageQuery } from '../../schemas.js';

const deadLetterSchema = z
  .object({
    id: z.number().int(),
    topic: z.string(),
    aggregateType: z.string(),
    aggregateId: z.string(),
    payload: z.unknown().describe('The row as written: ids and versions only'),
    reason: z.string().describe('Why the relay set the row aside'),
    attempts: z.number().int(),
    createdAt: z.string(),
    deadLetteredAt: z.string(),
  })
  .meta({ id: 'OutboxDeadLetter' });

export async function opsRoutes(app: FastifyInstance, opts: RouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/ops/outbox/dead-letters',
    {
      config: { access: { roles: ['operator'] } },
      schema: {
        operationId: 'listOutboxDeadLetters',
        tags: ['ops'],
        summary: 'Outbox rows the relay set aside (payload does not parse, or no queue handles the topic)',
        description:
          'Newest first. They are counted in /metrics as kriya_outbox_dead_letters. The rows behind them were relayed.',
        security: [{ bearer: [] }],
        querystring: z.strictObject(pageQuery),
        response: {
          200: z.object({ items: z.array(deadLetterSchema), nextCursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = decodeCursor(cursor, z.number().int().min(1));
      if (cursor !== undefined && after === undefined) {
        throw new ValidationError('The cursor is not one this API issued.', {
          issues: [{ path: 'query.cursor', message: 'invalid cursor' }],
        });
      }
      const rows = await listDeadLetters(serviceContext(opts.db, request), { limit, after });
      return pageById(rows, limit, (d) => ({
        ...d,
        createdAt: d.createdAt.toISOString(),
        deadLetteredAt: d.deadLetteredAt.toISOString(),
      }));
    },
  );
}
