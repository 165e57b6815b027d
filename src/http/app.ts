/**
 * `buildApp(deps)` assembles the API without listening; `src/server.ts` listens, tests use `inject`.
 */
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/env.js';
import type { Database } from '../db/client.js';
import { createLogger, type DestinationStream, loggerOptions } from '../lib/logger.js';
import type { ListCache } from './list-cache.js';
import { authPlugin } from './plugins/auth.js';
import { contentParsersPlugin } from './plugins/content-parsers.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { metricsPlugin } from './plugins/metrics.js';
import { queueDashboard } from './plugins/queue-dashboard.js';
import { toProblem } from './problem.js';
import { authRoutes } from './routes/auth/index.js';
import { connectionRoutes } from './routes/connections/index.js';
import { crafterRoutes } from './routes/crafters/index.js';
import { healthRoutes } from './routes/health/index.js';
import { productRoutes } from './routes/products/index.js';
import { regionRoutes } from './routes/regions/index.js';
import { userRoutes } from './routes/users/index.js';

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

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, redis } = deps;
  const app = Fastify({
    ...(deps.logDestination
      ? { loggerInstance: createLogger(config.logLevel, 'api', deps.logDestination) as FastifyBaseLogger }
      : { logger: config.logLevel === 'silent' ? false : loggerOptions(config.logLevel, 'api') }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
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
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // skipOnError: while Redis is down, logins still work (each costs a scrypt hash) instead of failing.
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: `${config.queuePrefix}:ratelimit:`,
    skipOnError: true,
  });
  await app.register(authPlugin, { secret: config.authTokenSecret, ttlSeconds: config.authTokenTtlSeconds });
  await app.register(idempotencyPlugin, { db, ttlHours: config.idempotencyTtlHours });
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
  await app.register(metricsPlugin, { queues: deps.queues ?? [] });
  if (deps.queues && deps.queues.length > 0) await app.register(queueDashboard, { db, queues: deps.queues });
  await app.register(healthRoutes, { db, redis });
  await app.register(authRoutes, {
    db,
    loginRateLimit: { max: config.loginRateLimitMax, windowSeconds: config.loginRateLimitWindowSeconds },
  });
  await app.register(regionRoutes, { db });
  await app.register(crafterRoutes, { db });
  await app.register(userRoutes, { db });
  await app.register(connectionRoutes, {
    db,
    connections: {
      channels: config.channels,
      keyring: config.credentialsKeyring,
      publicBaseUrl: config.publicBaseUrl,
      stateSecret: config.authTokenSecret,
    },
  });
  await app.register(productRoutes, {
    db,
    csvImportLimitBytes: config.csvImportLimitBytes,
    listCache: deps.listCache,
  });
  return app;
}
