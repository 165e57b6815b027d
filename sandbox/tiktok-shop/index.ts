/**
 * Emulated TikTok Shop Partner API as used by Tokopedia shops (reference §2), served under
 * `/tiktok-shop`, below which the platform's own paths apply unchanged. Signatures are verified over
 * the platform path and the exact raw body, so this plugin keeps JSON bodies as strings.
 */
import multipart from '@fastify/multipart';
import type { PlatformFactory } from '../core/contract.js';
import { createTiktokShopControl } from './control.js';
import { TtsCode } from './errors.js';
import { handleApiCall } from './gateway.js';
import { authorizationEndpoints, registerAuthServiceRoutes } from './routes/auth.js';
import { catalogEndpoints } from './routes/catalog.js';
import { eventEndpoints } from './routes/events.js';
import { imageEndpoints, MAX_IMAGE_BYTES } from './routes/images.js';
import { logisticsEndpoints } from './routes/logistics.js';
import { orderEndpoints } from './routes/orders.js';
import { productEndpoints } from './routes/products.js';
import { TtsRuntime } from './runtime.js';
import { TtsStore } from './store.js';

export const TIKTOK_SHOP_PREFIX = '/tiktok-shop';

export const createTiktokShopPlatform: PlatformFactory = (ctx) => {
  const store = new TtsStore();
  const rt = new TtsRuntime(ctx, store, TIKTOK_SHOP_PREFIX);
  // Audits due on the sandbox clock resolve (and emit their webhooks) as soon as the clock moves.
  ctx.clock.onChange(() => rt.settleAudits());
  const endpoints = [
    ...authorizationEndpoints,
    ...imageEndpoints,
    ...catalogEndpoints,
    ...productEndpoints(),
    ...logisticsEndpoints,
    ...orderEndpoints,
    ...eventEndpoints,
  ];
  const envelope = (code: number, message: string) => ({
    code,
    message,
    request_id: rt.requestId(),
    data: {},
  });

  return {
    name: 'tiktok-shop',
    prefix: TIKTOK_SHOP_PREFIX,
    async register(app) {
      // Raw strings, never parsed objects: the signature covers the exact body bytes (T3 vs T4).
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
        done(null, body),
      );
      app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
      await app.register(multipart, { limits: { fileSize: MAX_IMAGE_BYTES, files: 1 } });
      registerAuthServiceRoutes(app, rt);
      app.all('/*', (request, reply) => handleApiCall(rt, endpoints, request, reply));
    },
    throttleResponse: () => ({
      status: 429,
      body: envelope(36009002, 'Too many requests. Please retry later.'),
    }),
    serverErrorResponse: () => ({
      status: 503,
      body: envelope(36009999, 'Service is temporarily unavailable'),
    }),
    // Documented: business and parameter errors are HTTP 200 with a non-zero code.
    badRequestResponse: (message) => ({
      status: 200,
      body: envelope(TtsCode.invalidRequest, `Invalid request parameters. ${message}`),
    }),
    operations: () => endpoints.map((e) => ({ method: e.method, path: `/${e.module}/202309/${e.pattern}` })),
    control: createTiktokShopControl(rt),
  };
};
