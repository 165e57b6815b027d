/**
 * `GET /v1/alerts`: the alert feed, scoped like the crafters the alerts concern (a crafter its own,
 * an admin its region subtree, an operator all). Alerts are raised and resolved by the sync
 * machinery, never through the API.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ALERT_KINDS, type AlertView, listAlerts } from '../../../services/alerts.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import { commonErrors, decodeCursor, pageById, pageQuery } from '../../schemas.js';

const alertKindSchema = z.enum(ALERT_KINDS);

export const alertSchema = z
  .object({
    id: z.number().int(),
    kind: alertKindSchema,
    crafterId: z.uuid(),
    dedupeKey: z.string().describe('One open alert per key; raising it again counts it'),
    message: z.object({ en: z.string(), id: z.string() }).describe('What happened and what to do'),
    subject: z.record(z.string(), z.string()).describe('Ids of what it concerns (connectionId, listingId…)'),
    count: z.number().int().describe('Times raised since it opened'),
    openedAt: z.string(),
    lastSeenAt: z.string(),
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'Alert' });

export function toAlertResponse(a: AlertView): z.infer<typeof alertSchema> {
  return {
    ...a,
    openedAt: a.openedAt.toISOString(),
    lastSeenAt: a.lastSeenAt.toISOString(),
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
  };
}

/** `kind=a,b` or `kind=a&kind=b`. */
const kindsQuery = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
  .pipe(z.array(alertKindSchema).max(ALERT_KINDS.length));

export async function alertRoutes(app: FastifyInstance, opts: RouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/alerts',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        operationId: 'listAlerts',
        tags: ['alerts'],
        summary: 'Alerts in your scope, newest first (open ones unless `state` says otherwise)',
        description: `Kinds: ${ALERT_KINDS.join(', ')}. A crafter sees its own, an admin those of crafters in its region, an operator all.`,
        security: [{ bearer: [] }],
        querystring: z.strictObject({
          ...pageQuery,
          state: z.enum(['open', 'resolved', 'all']).default('open'),
          kind: kindsQuery.optional().describe(`Comma-separated: ${ALERT_KINDS.join(', ')}`),
          crafterId: z.uuid().optional(),
        }),
        response: {
          200: z.object({ items: z.array(alertSchema), nextCursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, state, kind, crafterId } = request.query;
      const before = decodeCursor(cursor, z.number().int().min(1));
      const rows = await listAlerts(serviceContext(opts.db, request), {
        state,
        limit,
        ...(kind ? { kinds: kind } : {}),
        ...(crafterId ? { crafterId } : {}),
        ...(before !== undefined ? { before } : {}),
      });
      return pageById(rows, limit, toAlertResponse);
    },
  );
}
