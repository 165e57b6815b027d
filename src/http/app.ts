/**
 * `buildApp(deps)` assembles the API without listening; `src/server.ts` listens, tests use `inject`.
 */
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/env.js';
import type { Database } from '../db/client.js';
import { createLogger, type DestinationStream, loggerOptions } from '../lib/logger.js';
import { QUEUE } from '../queues/definitions.js';
import type { ListCache } from './list-cache.js';
import { loginAttemptCounter } from './login-limits.js';
import { authPlugin } from './plugins/auth.js';
import { contentParsersPlugin } from './plugins/content-parsers.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { metricsPlugin } from './plugins/metrics.js';
import { queueDashboard } from './plugins/queue-dashboard.js';
import { toProblem } from './problem.js';
import { alertRoutes } from './routes/alerts/index.js';
import { authRoutes } from './routes/auth/index.js';
import { connectionRoutes } from './routes/connections/index.js';
import { crafterRoutes } from './routes/crafters/index.js';
import { healthRoutes } from './routes/health/index.js';
import { listingRoutes } from './routes/listings/index.js';
import { opsRoutes } from './routes/ops/index.js';
import { productRoutes } from './routes/products/index.js';
import { pullRunRoutes } from './routes/pull-runs/index.js';
import { regionRoutes } from './routes/regions/index.js';
import { salesRoutes } from './routes/sales/index.js';
import { salesReportRoutes } from './routes/sales-reports/index.js';
import { userRoutes } from './routes/users/index.js';
import { webhookRoutes } from './routes/webhooks/index.js';
import { webhookVerifiers } from './routes/webhooks/verifiers.js';

export interface AppDeps {
  config: AppConfig;
  db: Database;
  redis: Redis;
  /** Queues shown on the dashboard and in /metrics (the API process passes them; most tests do not). */
  queues?: Queue[];
  /** Cache of list pages, already listening for catalogue changes (the API process passes one). */
  listCache?: ListCache;
  /** Where log lines go instead of stdout (tests capture them to prove no secret is logged). */
  logDestination?: DestinationStream;
}

/** Every tag a route may use; test/integration/openapi.test.ts fails on an undeclared one. */
export const OPENAPI_TAGS = [
  { name: 'health', description: 'Liveness and readiness probes (no authentication)' },
  { name: 'auth', description: 'Logging in and the logged-in user' },
  { name: 'regions', description: 'The Kemendagri region tree of Kota Tangerang Selatan' },
  { name: 'crafters', description: 'Crafters (UMKM) registered with the council, scoped by region' },
  { name: 'users', description: 'Accounts of crafters, regional admins and operators' },
  {
    name: 'products',
    description: 'The canonical catalogue: products with their variants, CSV import and export',
  },
  {
    name: 'connections',
    description: "Crafters' shops on Shopee and Tokopedia (TikTok Shop) and partner-brand enrolments",
  },
  {
    name: 'listings',
    description: 'Products published to those shops: state, remote ids, errors, resync, overrides',
  },
  {
    name: 'category-mappings',
    description: 'The council’s placement of each canonical category on each channel',
  },
  {
    name: 'sales',
    description:
      'What crafters sold on every channel: regional summaries and CSV export from daily rollups, with completeness; sold lines with unknown SKUs',
  },
  {
    name: 'alerts',
    description:
      'What a crafter or their admins must act on: shops to reconnect, failed listings, oversold orders, failing pulls',
  },
  {
    name: 'ops',
    description:
      'The state of the sync machinery: outbox dead letters (operators), nightly job runs (operators and admins in scope)',
  },
  {
    name: 'webhooks',
    description:
      'Called by Shopee and TikTok Shop (signed): each verified notification queues a pull of that shop',
  },
];

/**
 * The zod transform emits an input and an output copy of every named schema (`ProductInput`,
 * `Product`); keeps only those a path reaches, directly or through another kept schema.
 */
function withoutUnusedSchemas<T extends object>(document: T): T {
  const doc = document as { paths?: unknown; components?: { schemas?: Record<string, unknown> } };
  const schemas = doc.components?.schemas ?? {};
  const refsIn = (value: unknown) =>
    [...JSON.stringify(value ?? null).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] ?? '');
  const used = new Set<string>();
  const pending = refsIn(doc.paths);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name)) continue;
    used.add(name);
    pending.push(...refsIn(schemas[name]));
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...doc.components, schemas: kept } } as T;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, redis } = deps;
  const app = Fastify({
    ...(deps.logDestination
      ? { loggerInstance: createLogger(config.logLevel, 'api', deps.logDestination) as FastifyBaseLogger }
      : { logger: config.logLevel === 'silent' ? false : loggerOptions(config.logLevel, 'api') }),
    bodyLimit: config.bodyLimitBytes,
    // A hop count believes that many proxies (Fastify's types take it only as a function).
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (
            (hops: number) => (_address: string, hop: number) =>
              hop < hops
          )(config.trustProxy)
        : config.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { allErrors: true } },
    routerOptions: { maxParamLength: 200 },
    // Router errors (over-long path parameter, broken percent-encoding) skip the error handler.
    frameworkErrors: (err, request, reply) => {
      const { problem, headers } = toProblem(err, request.id);
      (reply as FastifyReply)
        .code(problem.status)
        .headers(headers)
        .type('application/problem+json; charset=utf-8')
        .serializer(JSON.stringify)
        .send(problem);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(errorHandlerPlugin);
  await app.register(contentParsersPlugin);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'kriya-sync API',
        version: '0.1.0',
        description:
          'Canonical catalogue of Dekranasda Kota Tangerang Selatan crafters. Errors are RFC 9457 problem documents with a stable `code`. Resources outside your scope answer 404, exactly like missing ones.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: OPENAPI_TAGS,
    },
    transform: jsonSchemaTransform,
    // Fills components.schemas with every schema that has a `.meta({ id })`; without it the `$ref`s
    // the route transform writes point at nothing.
    transformObject: (document) => withoutUnusedSchemas(jsonSchemaTransformObject(document)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // skipOnError: while Redis is down, logins still work (each costs a scrypt hash) instead of failing.
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: `${config.queuePrefix}:ratelimit:`,
    skipOnError: true,
  });
  // The one counter of password attempts, for the login route and the queue dashboard's HTTP Basic.
  const countLoginAttempt = loginAttemptCounter(app, {
    max: config.loginRateLimitMax,
    perUserMax: config.loginRateLimitPerUserMax,
    windowSeconds: config.loginRateLimitWindowSeconds,
  });
  await app.register(authPlugin, {
    secret: config.authTokenSecret,
    ttlSeconds: config.authTokenTtlSeconds,
    db,
    userCacheSeconds: config.authUserCacheSeconds,
  });
  await app.register(idempotencyPlugin, {
    db,
    ttlHours: config.idempotencyTtlHours,
    crashAfterCommit: config.mode === 'test' && config.testCrashAfterIdempotentCommit,
  });
  // After idempotency, so its onSend hook stores the uncompressed body. gzip/deflate only: brotli costs
  // more CPU than it saves on pages of this size. A crafter on a phone gets a 39 KB page in ~5 KB.
  await app.register(compress, { threshold: 1024, encodings: ['gzip', 'deflate'] });

  if (deps.listCache) {
    const cache = deps.listCache;
    // Read-your-writes inside this process: a successful catalogue write drops cached pages at once,
    // without waiting for its own change notification to come back from Postgres. Other writes
    // (logins, users) leave the pages alone.
    const catalogueWrite = /^\/v1\/(products|crafters)(\/|$)/;
    app.addHook('onSend', async (request, reply, payload) => {
      if (
        request.method !== 'GET' &&
        request.method !== 'HEAD' &&
        reply.statusCode < 400 &&
        catalogueWrite.test(request.routeOptions.url ?? '')
      ) {
        cache.invalidate();
      }
      return payload;
    });
  }
  await app.register(metricsPlugin, { queues: deps.queues ?? [], db });
  if (deps.queues && deps.queues.length > 0)
    await app.register(queueDashboard, { db, queues: deps.queues, countLoginAttempt });
  await app.register(healthRoutes, { db, redis });
  await app.register(authRoutes, { db, countLoginAttempt });
  await app.register(regionRoutes, { db });
  await app.register(crafterRoutes, { db });
  await app.register(userRoutes, { db });
  await app.register(opsRoutes, { db });
  await app.register(alertRoutes, { db });
  await app.register(connectionRoutes, {
    db,
    connections: {
      channels: config.channels,
      keyring: config.credentialsKeyring,
      publicBaseUrl: config.publicBaseUrl,
      stateSecret: config.authTokenSecret,
    },
  });
  await app.register(listingRoutes, { db });
  await app.register(salesReportRoutes, { db, csvImportLimitBytes: config.csvImportLimitBytes });
  await app.register(pullRunRoutes, { db });
  await app.register(webhookRoutes, {
    db,
    verifiers: webhookVerifiers(config.channels),
    webhookBaseUrl: config.webhookBaseUrl,
    pullQueue: deps.queues?.find((q) => q.name === QUEUE.pullOrders),
  });
  await app.register(salesRoutes, { db });
  await app.register(productRoutes, {
    db,
    csvImportLimitBytes: config.csvImportLimitBytes,
    listCache: deps.listCache,
  });
  return app;
}
