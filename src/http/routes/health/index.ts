import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Database } from '../../../db/client.js';

const CHECK_TIMEOUT_MS = 1500;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await withTimeout(fn(), CHECK_TIMEOUT_MS);
    return { ok: true };
  } catch (err) {
    // drizzle wraps driver errors ("Failed query: ..."); the operator needs the cause (ECONNREFUSED, ...).
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    return { ok: false, error: cause instanceof Error ? cause.message : String(cause) };
  }
}

const component = z.object({ ok: z.boolean(), error: z.string().optional() });

/** Liveness (the process answers) and readiness (Postgres and Redis answer, bounded in time). */
export async function healthRoutes(
  app: FastifyInstance,
  opts: { db: Database; redis: Redis },
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/health/live',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'getLiveness',
        tags: ['health'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  r.get(
    '/health/ready',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        response: {
          200: z.object({ status: z.literal('ready'), components: z.record(z.string(), component) }),
          503: z.object({
            type: z.string(),
            title: z.string(),
            status: z.number(),
            code: z.string(),
            detail: z.string(),
            components: z.record(z.string(), component),
          }),
        },
      },
    },
    async (_request, reply) => {
      const [postgres, redis] = await Promise.all([
        check(() => opts.db.execute(sql`select 1`)),
        check(async () => {
          // Without an offline queue ioredis only says "Stream isn't writeable"; say what it means.
          if (opts.redis.status !== 'ready')
            throw new Error(`not connected (connection ${opts.redis.status})`);
          return opts.redis.ping();
        }),
      ]);
      const components = { postgres, redis };
      const down = Object.entries(components)
        .filter(([, c]) => !c.ok)
        .map(([name]) => name);
      if (down.length > 0) {
        return reply
          .code(503)
          .type('application/problem+json; charset=utf-8')
          .serializer(JSON.stringify)
          .send({
            type: 'urn:kriya-sync:problem:not_ready',
            title: 'Service Unavailable',
            status: 503,
            code: 'not_ready',
            detail: `Not ready: ${down.join(', ')} not answering.`,
            components,
          });
      }
      return { status: 'ready' as const, components };
    },
  );
}
