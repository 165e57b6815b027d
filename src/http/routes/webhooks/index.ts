/**
 * Marketplace webhooks. They only ever trigger a pull of the shop they name: their bodies are hints,
 * never data (they get lost, repeat and arrive out of order; the pull reads the current state).
 *
 * - The signature is checked over the exact bytes received: this plugin replaces the app's parsers,
 *   for its own routes only, with one that keeps the raw body (the JSON parser discards it).
 * - A forged or unreadable notification: 401 problem, nothing queued.
 * - A valid one: one read of the shop's connection and a deduplicated job (`pull:<connectionId>`), then
 *   200 with an empty body, well within the platforms' deadlines (TikTok Shop 3 s); replays and the
 *   platforms' retries queue at most one waiting pull.
 * - A shop we do not know (disconnected, another deployment's): 200 and nothing else. A non-2xx would be
 *   retried by the platform for hours and, on Shopee, count against the subscription's success rate.
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RawWebhook, WebhookVerifier } from '../../../channels/types.js';
import type { Database } from '../../../db/client.js';
import { DependencyUnavailableError, WebhookSignatureError } from '../../../lib/errors.js';
import { withTimeout } from '../../../lib/timeout.js';
import { queuePulls } from '../../../queues/pulls.js';
import { activeConnectionOfShop } from '../../../services/order-pull.js';
import { problemSchema } from '../../schemas.js';

export type WebhookChannel = 'shopee' | 'tiktok_shop';

export interface WebhookRouteDeps {
  db: Database;
  /** Verifiers of the configured platforms; a platform without one answers 401 to everything. */
  verifiers: Partial<Record<WebhookChannel, WebhookVerifier>>;
  /** The public origin the platforms call (Shopee signs the full URL). */
  webhookBaseUrl: string;
  /** The pull-orders queue; absent in API instances built without queues. */
  pullQueue: Queue | undefined;
}

const ROUTES: ReadonlyArray<{ path: string; channel: WebhookChannel; operationId: string; summary: string }> =
  [
    {
      path: '/v1/webhooks/shopee',
      channel: 'shopee',
      operationId: 'receiveShopeeWebhook',
      summary: 'Shopee push (signed: HMAC-SHA256 of the URL, `|` and the raw body)',
    },
    {
      path: '/v1/webhooks/tiktok-shop',
      channel: 'tiktok_shop',
      operationId: 'receiveTiktokShopWebhook',
      summary: 'TikTok Shop (Tokopedia) webhook (signed: HMAC-SHA256 of the app key and the raw body)',
    },
  ];

export async function webhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): Promise<void> {
  // Encapsulated: only these routes see raw bytes; every other route keeps the strict JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request: FastifyRequest, body: Buffer, done) => {
    done(null, body);
  });
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const route of ROUTES) {
    r.post(
      route.path,
      {
        config: { access: { public: true }, idempotent: false },
        schema: {
          operationId: route.operationId,
          tags: ['webhooks'],
          summary: route.summary,
          description:
            'Called by the platform, not by clients. A verified notification queues one pull of that shop and is answered 200 with an empty body; a forged one is answered 401 and nothing happens; an unknown shop is acknowledged and ignored.',
          consumes: ['application/json'],
          headers: z.object({ authorization: z.string().max(512).optional() }),
          response: {
            200: z.literal('').describe('Empty body: acknowledged'),
            401: problemSchema,
            503: problemSchema,
          },
        },
      },
      async (request, reply) => {
        const verify = deps.verifiers[route.channel];
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const raw: RawWebhook = {
          rawBody,
          headers: request.headers,
          url: `${deps.webhookBaseUrl}${route.path}`,
        };
        const event = verify ? verify(raw) : null;
        if (!event) throw new WebhookSignatureError();
        const connectionId = await activeConnectionOfShop(deps.db, route.channel, event.externalShopId);
        if (connectionId) {
          if (!deps.pullQueue) throw new DependencyUnavailableError('The job queue is not available.');
          // Bounded: the platform's deadline is seconds; a late add is harmless (deduplicated).
          await withTimeout(queuePulls(deps.pullQueue, [connectionId], 'webhook'), 1_500, 'The job queue');
        }
        request.log.info(
          { channel: route.channel, kind: event.kind, connectionId, queued: connectionId !== null },
          'webhook received',
        );
        // Both platforms want an empty body.
        return reply.code(200).send('');
      },
    );
  }
}
