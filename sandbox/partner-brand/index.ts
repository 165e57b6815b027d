/**
 * Emulated partner-brand API (docs/partner-brand-api.yaml): the interface we define for partners that
 * sell crafters' goods on consignment (a clothing store, a furniture store, a restaurant). Served under
 * `/partner-brand`; every call is signed with the partner's secret over the raw body.
 */
import type { FastifyError } from 'fastify';
import { annotateCall } from '../core/call-log.js';
import type { PlatformFactory } from '../core/contract.js';
import { authenticatePartner } from './auth.js';
import { createPartnerBrandControl } from './control.js';
import { errorBody, PartnerError, PartnerErrorCode } from './errors.js';
import { registerAssortmentRoutes } from './routes/assortment.js';
import { registerSalesReportRoutes } from './routes/sales-reports.js';
import { PartnerStore } from './store.js';

export const PARTNER_BRAND_PREFIX = '/partner-brand';

export const createPartnerBrandPlatform: PlatformFactory = (ctx) => {
  const store = new PartnerStore();
  return {
    name: 'partner-brand',
    prefix: PARTNER_BRAND_PREFIX,
    async register(app) {
      // Bodies stay raw bytes: the signature covers exactly what was sent, even bytes that are not
      // UTF-8 (decoding first would change them and turn a malformed body into a signature error).
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      app.setErrorHandler((error: FastifyError | PartnerError, request, reply) => {
        if (error instanceof PartnerError) {
          annotateCall(request, { errorCode: error.code });
          if (error.retryAfterSeconds !== undefined)
            reply.header('retry-after', String(error.retryAfterSeconds));
          return reply.code(error.httpStatus).send(errorBody(error.code, error.message));
        }
        const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
        if (status < 500)
          return reply.code(status).send(errorBody(PartnerErrorCode.validationFailed, error.message));
        reply.log.error({ err: error }, 'partner-brand sandbox handler failed');
        return reply.code(500).send(errorBody(PartnerErrorCode.internal, 'internal error'));
      });
      app.setNotFoundHandler((request, reply) =>
        reply
          .code(404)
          .send(errorBody(PartnerErrorCode.notFound, `no route ${request.method} ${request.url}`)),
      );
      app.addHook('preHandler', async (request) => {
        authenticatePartner(ctx, store, PARTNER_BRAND_PREFIX, request);
      });
      registerAssortmentRoutes(app, ctx, store);
      registerSalesReportRoutes(app, store);
    },
    throttleResponse: () => ({
      status: 429,
      body: errorBody(PartnerErrorCode.rateLimited, 'Too many requests; retry after the Retry-After delay'),
      headers: { 'retry-after': '1' },
    }),
    serverErrorResponse: () => ({
      status: 503,
      body: errorBody('unavailable', 'service temporarily unavailable'),
    }),
    badRequestResponse: (message) => ({
      status: 400,
      body: errorBody(PartnerErrorCode.validationFailed, message),
    }),
    control: createPartnerBrandControl(ctx, store),
  };
};
