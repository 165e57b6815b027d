import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LATEST_TIME_MS } from '../core/clock.js';
import type { CoreContext } from '../core/context.js';
import { ControlInputError, type PlatformModule, type PlatformName } from '../core/contract.js';
import type { Trickle } from '../core/trickle.js';
import { demoImagePng } from './demo-images.js';

export interface ControlOptions {
  ctx: CoreContext;
  platforms: PlatformModule[];
  /** Resets everything (platform state, faults, logs, deliveries, limiter; the clock unless kept). */
  reset: (keepClock: boolean) => void;
  trickle: Trickle;
}

const clockInput = z
  .object({
    epochMs: z.number().int().positive().optional(),
    iso: z.iso.datetime({ offset: true }).optional(),
    advanceMs: z.number().int().optional(),
  })
  .strict()
  .refine((v) => [v.epochMs, v.iso, v.advanceMs].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of epochMs, iso, advanceMs',
  });

const rate = z.number().min(0).max(1);

function faultRuleSchema(names: [PlatformName, ...PlatformName[]]) {
  return z
    .object({
      platform: z.enum(names),
      endpoint: z.string().startsWith('/').optional(),
      latencyMs: z.number().int().min(0).max(120_000).optional(),
      errorRate: rate.optional(),
      timeoutRate: rate.optional(),
      throttleRate: rate.optional(),
      timeoutHoldMs: z.number().int().min(0).max(600_000).optional(),
    })
    .strict();
}

const salesTotalsQuery = z
  .object({
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
    shopId: z.string().min(1).optional(),
  })
  .strict();

const trickleInput = z
  .object({
    /** Seconds between two orders of the same shop (real time). */
    intervalSeconds: z.number().min(0.2).max(86_400),
    shops: z
      .array(z.object({ platform: z.string().min(1), shopId: z.string().min(1) }).strict())
      .min(1)
      .max(100),
    seed: z.union([z.number().int(), z.string().min(1)]).optional(),
    /** Share (0–1) of ticks on which a shop cancels one of the trickle's open orders instead of selling. */
    cancelRate: z.number().min(0).max(1).optional(),
  })
  .strict();

const callsQuery = z.object({
  platform: z.string().optional(),
  endpoint: z.string().optional(),
  shopId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});

/** Drops undefined properties so values satisfy exactOptionalPropertyTypes shapes. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

function zodMessage(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * The control API under `/__sandbox/`: for tests, demos and benchmarks, never for platform clients.
 * Platform-specific routes forward to the module's `control` hooks; bad input is a 400 with a message.
 */
export async function controlRoutes(app: FastifyInstance, options: ControlOptions): Promise<void> {
  const { ctx, platforms } = options;
  const byName = new Map(platforms.map((p) => [p.name as string, p]));
  const names = platforms.map((p) => p.name) as [PlatformName, ...PlatformName[]];
  const faultRules = z.union([
    z.array(faultRuleSchema(names)),
    z.object({ rules: z.array(faultRuleSchema(names)) }).strict(),
  ]);

  app.setErrorHandler((error: FastifyError | ControlInputError | z.ZodError, _request, reply) => {
    if (error instanceof ControlInputError) {
      return reply.code(400).send({ error: 'bad_request', message: error.message, details: error.details });
    }
    if (error instanceof z.ZodError) {
      return reply
        .code(400)
        .send({ error: 'bad_request', message: zodMessage(error), details: error.issues });
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status < 500) return reply.code(status).send({ error: 'bad_request', message: error.message });
    app.log.error(error);
    return reply
      .code(500)
      .send({ error: 'internal', message: 'internal sandbox error (see the sandbox log)' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `no control route ${request.method} ${request.url}` }),
  );

  const platformOf = (name: string): PlatformModule => {
    const platform = byName.get(name);
    if (!platform) {
      throw new ControlInputError(`unknown platform "${name}"; mounted: ${[...byName.keys()].join(', ')}`);
    }
    return platform;
  };
  const clockView = () => ({
    nowMs: ctx.clock.nowMs(),
    iso: new Date(ctx.clock.nowMs()).toISOString(),
    offsetMs: ctx.clock.offsetMs(),
  });

  app.get('/health', async () => ({
    ok: true,
    now: new Date(ctx.clock.nowMs()).toISOString(),
    platforms: platforms.map((p) => ({ name: p.name, baseUrl: `${ctx.baseUrl()}${p.prefix}` })),
  }));

  app.post('/reset', async (request) => {
    const body = z
      .object({ keepClock: z.boolean().optional() })
      .strict()
      .parse(request.body ?? {});
    options.reset(body.keepClock ?? false);
    return { ok: true };
  });

  app.get('/clock', async () => clockView());
  app.post('/clock', async (request) => {
    const body = clockInput.parse(request.body ?? {});
    const target =
      body.advanceMs !== undefined
        ? ctx.clock.nowMs() + body.advanceMs
        : (body.epochMs ?? Date.parse(body.iso ?? ''));
    // Every platform formats sandbox time as a date; a clock outside that range would break them all.
    if (!(target >= 0 && target <= LATEST_TIME_MS))
      throw new ControlInputError('the sandbox clock must stay between 1970-01-01 and 9999-12-31 (UTC)');
    if (body.advanceMs !== undefined) ctx.clock.advance(body.advanceMs);
    else ctx.clock.set(target);
    return clockView();
  });

  app.get('/faults', async () => ({ rules: ctx.faults.list() }));
  app.put('/faults', async (request) => {
    const parsed = faultRules.parse(request.body ?? []);
    const rules = (Array.isArray(parsed) ? parsed : parsed.rules).map((rule) => defined(rule));
    ctx.faults.set(rules);
    return { rules: ctx.faults.list() };
  });
  app.delete('/faults', async () => {
    ctx.faults.clear();
    return { rules: [] };
  });

  app.get('/calls', async (request) => {
    const query = callsQuery.parse(request.query);
    if (query.platform !== undefined) platformOf(query.platform);
    const filter = defined({ ...query, platform: query.platform as PlatformName | undefined });
    return { calls: ctx.callLog.list(filter) };
  });
  app.get('/counters', async () => ({ counters: ctx.callLog.counters() }));
  // Demo product photos (see demo-images.ts): the crafter's image host, for `npm start`.
  app.get('/demo-images/:name', async (request, reply) => {
    const { name } = z
      .object({ name: z.string().regex(/^[a-z0-9-]{1,40}\.png$/, 'a name such as batik.png') })
      .strict()
      .parse(request.params);
    reply.header('content-type', 'image/png').header('cache-control', 'public, max-age=86400');
    return reply.send(demoImagePng(name));
  });
  app.get('/webhooks', async (request) => {
    const query = z
      .object({
        platform: z.string().optional(),
        state: z.enum(['pending', 'delivered', 'dropped']).optional(),
      })
      .parse(request.query);
    if (query.platform !== undefined) platformOf(query.platform);
    const deliveries = ctx.webhooks
      .list(query.platform as PlatformName | undefined)
      .filter((d) => query.state === undefined || d.state === query.state);
    return { deliveries };
  });

  // Every platform hook takes a JSON object; checked once here so no module has to expect a string,
  // a number or an array where it looks for keys (`'orders' in 123` throws a TypeError).
  const objectBody = (body: unknown): Record<string, unknown> => {
    if (body === undefined || body === null) return {};
    if (typeof body !== 'object' || Array.isArray(body))
      throw new ControlInputError('body must be a JSON object');
    return body as Record<string, unknown>;
  };
  type Params = { platform: string };
  app.post<{ Params: Params }>('/:platform/apps', async (request, reply) =>
    reply.code(201).send(platformOf(request.params.platform).control.createApp(objectBody(request.body))),
  );
  app.post<{ Params: Params }>('/:platform/shops', async (request, reply) =>
    reply.code(201).send(platformOf(request.params.platform).control.createShop(objectBody(request.body))),
  );
  app.post<{ Params: Params }>('/:platform/authorize', async (request) =>
    platformOf(request.params.platform).control.authorizeShop(objectBody(request.body)),
  );
  app.post<{ Params: Params }>('/:platform/orders', async (request, reply) =>
    reply
      .code(201)
      .send(platformOf(request.params.platform).control.generateOrders(objectBody(request.body))),
  );
  app.post<{ Params: Params & { id: string } }>('/:platform/orders/:id/status', async (request) =>
    platformOf(request.params.platform).control.updateOrder({
      ...objectBody(request.body),
      id: request.params.id,
    }),
  );
  app.post<{ Params: Params }>('/:platform/configure', async (request) =>
    platformOf(request.params.platform).control.configure(objectBody(request.body)),
  );
  app.get<{ Params: Params & { shopId: string } }>('/:platform/shops/:shopId/state', async (request) =>
    platformOf(request.params.platform).control.shopState(request.params.shopId),
  );
  // The platform's own sales figures per (shop, Jakarta day): the truth end-to-end tests compare with.
  app.get<{ Params: Params }>('/:platform/sales-totals', async (request) =>
    platformOf(request.params.platform).control.salesTotals(defined(salesTotalsQuery.parse(request.query))),
  );
  app.get<{ Params: Params & { shopId: string } }>('/:platform/shops/:shopId/sales-totals', async (request) =>
    platformOf(request.params.platform).control.salesTotals(
      defined({ ...salesTotalsQuery.parse(request.query), shopId: request.params.shopId }),
    ),
  );

  // The demo trickle: one random order per shop every interval (see sandbox/core/trickle.ts).
  app.get('/trickle', async () => options.trickle.status());
  app.post('/trickle', async (request) => {
    const body = trickleInput.parse(request.body ?? {});
    for (const shop of body.shops) platformOf(shop.platform);
    return options.trickle.start({
      intervalMs: Math.round(body.intervalSeconds * 1000),
      shops: body.shops,
      ...(body.seed === undefined ? {} : { seed: body.seed }),
      ...(body.cancelRate === undefined ? {} : { cancelRate: body.cancelRate }),
    });
  });
  app.delete('/trickle', async () => options.trickle.stop());
}
