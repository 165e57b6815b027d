import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { PlatformFactory, PlatformModule } from '../core/contract.js';
import { sendShopeeError } from './api.js';
import { createShopeeControl } from './control.js';
import { errorBody } from './envelope.js';
import { type ShopeeError, shopeeErrors } from './errors.js';
import { applyDueOrderChanges } from './orders.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerLogisticsRoutes } from './routes/logistics.js';
import { registerMediaRoutes } from './routes/media.js';
import { registerOrderRoutes } from './routes/order.js';
import { registerProductRoutes } from './routes/product.js';
import { registerPushRoutes } from './routes/push.js';
import { registerShopRoutes } from './routes/shop.js';
import { ShopeeRuntime } from './runtime.js';

/** Shopee Open Platform v2 under `/shopee`: the documented paths below it, signatures over those paths. */
export const createShopeePlatform: PlatformFactory = (ctx): PlatformModule => {
  const rt = new ShopeeRuntime(ctx);
  // Scripted order status changes fire when the sandbox clock passes them (and lazily on reads).
  ctx.clock.onChange(() => applyDueOrderChanges(rt));
  return {
    name: 'shopee',
    prefix: '/shopee',
    async register(app: FastifyInstance) {
      await app.register(multipart, { limits: { fileSize: 10 * 1024 * 1024 + 1, files: 9, fields: 10 } });
      // Malformed JSON and other parser failures answer in Shopee's envelope, not Fastify's.
      app.setErrorHandler((error, request, reply) => {
        const status =
          typeof error === 'object' && error !== null && 'statusCode' in error
            ? Number(error.statusCode)
            : 500;
        const err =
          status < 500 && error instanceof Error
            ? shopeeErrors.param(`Wrong parameters, detail: ${error.message}`)
            : error;
        return sendShopeeError(rt, request, reply, err);
      });
      app.setNotFoundHandler((request, reply) => {
        const path = request.url.split('?')[0]?.slice('/shopee'.length) ?? '';
        return sendShopeeError(rt, request, reply, shopeeErrors.notFound(path));
      });
      registerAuthRoutes(app, rt);
      registerShopRoutes(app, rt);
      registerMediaRoutes(app, rt);
      registerProductRoutes(app, rt);
      registerLogisticsRoutes(app, rt);
      registerOrderRoutes(app, rt);
      registerPushRoutes(app, rt);
    },
    throttleResponse() {
      const error = shopeeErrors.rateLimit();
      return { status: rt.config.throttleHttpStatus, body: errorBody(error.code, error.message) };
    },
    serverErrorResponse() {
      const error: ShopeeError = shopeeErrors.server();
      return { status: 500, body: errorBody(error.code, error.message) };
    },
    badRequestResponse(message) {
      const error = shopeeErrors.param(`Wrong parameters, detail: ${message}`);
      return { status: rt.httpStatusOf(error.code), body: errorBody(error.code, error.message) };
    },
    control: createShopeeControl(rt),
  };
};
