/**
 * `/v1/ops`: views of the sync machinery — the outbox's dead letters (operators) and the nightly
 * jobs' runs (operators, and admins for the connections of crafters in their region).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jakartaDay } from '../../../domain/sales.js';
import { ValidationError } from '../../../lib/errors.js';
import { listNightlyRuns, NIGHTLY_JOBS, previousJakartaDay } from '../../../services/nightly.js';
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

const nightlyRunSchema = z
  .object({
    job: z.enum(NIGHTLY_JOBS),
    day: z.string().describe('The Jakarta night (YYYY-MM-DD) the run closes: the day before it ran'),
    status: z.enum(['running', 'succeeded', 'failed']),
    runs: z.number().int().describe('Times this night was run (a re-run updates, never duplicates)'),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
    connections: z
      .array(z.object({ connectionId: z.string(), crafterId: z.string() }).catchall(z.unknown()))
      .describe(
        'Per connection in your scope. pull-previous-day: `pull` {status, fetched, new, updated, failed}; read-back: checked, drifted, repaired, failed; refresh-tokens: outcome',
      ),
    totals: z.record(z.string(), z.unknown()).nullable().describe('Job-wide figures (operators only)'),
  })
  .meta({ id: 'NightlyRun' });

const MAX_NIGHTLY_RANGE_DAYS = 31;

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

  r.get(
    '/v1/ops/nightly-runs',
    {
      config: { access: { roles: ['admin', 'operator'] } },
      schema: {
        operationId: 'listNightlyRuns',
        tags: ['ops'],
        summary: 'The nightly jobs’ runs per Jakarta night, with a summary per connection in your scope',
        description: `Jobs: ${NIGHTLY_JOBS.join(', ')}. \`from\`/\`to\` are Jakarta days (default: the last 7 nights), at most ${MAX_NIGHTLY_RANGE_DAYS} days apart.`,
        security: [{ bearer: [] }],
        querystring: z.strictObject({
          from: z.iso.date().optional(),
          to: z.iso.date().optional(),
          job: z.enum(NIGHTLY_JOBS).optional(),
        }),
        response: { 200: z.object({ items: z.array(nightlyRunSchema) }), ...commonErrors },
      },
    },
    async (request) => {
      const to = request.query.to ?? previousJakartaDay(new Date());
      const from = request.query.from ?? jakartaDay(new Date(Date.parse(`${to}T12:00:00Z`) - 6 * 86_400_000));
      const span = (Date.parse(to) - Date.parse(from)) / 86_400_000;
      if (span < 0 || span >= MAX_NIGHTLY_RANGE_DAYS) {
        throw new ValidationError(
          `from must not be after to, and the range is at most ${MAX_NIGHTLY_RANGE_DAYS} days.`,
          {
            detailId: `from tidak boleh setelah to, dan rentangnya paling lama ${MAX_NIGHTLY_RANGE_DAYS} hari.`,
            issues: [{ path: 'query.from', message: 'out of range' }],
          },
        );
      }
      const runs = await listNightlyRuns(serviceContext(opts.db, request), {
        from,
        to,
        job: request.query.job,
      });
      return {
        items: runs.map((r) => ({
          ...r,
          startedAt: r.startedAt.toISOString(),
          finishedAt: r.finishedAt?.toISOString() ?? null,
          status: r.status as 'running' | 'succeeded' | 'failed',
        })),
      };
    },
  );
}
