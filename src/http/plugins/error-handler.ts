import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { toProblem } from '../problem.js';

/** One error handler for the whole API: every failure becomes `application/problem+json`. */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err, request, reply) => {
      const { problem, headers, log } = toProblem(err, request.id);
      if (log) request.log.error({ err }, 'request failed');
      // @fastify/rate-limit sets Retry-After from its real window before throwing; keep that one.
      if (reply.hasHeader('retry-after')) delete headers['retry-after'];
      reply
        .code(problem.status)
        .headers(headers)
        .type('application/problem+json; charset=utf-8')
        .serializer(JSON.stringify)
        .send(problem);
    });
    app.setNotFoundHandler((request, reply) => {
      reply
        .code(404)
        .type('application/problem+json; charset=utf-8')
        .serializer(JSON.stringify)
        .send({
          type: 'urn:kriya-sync:problem:route_not_found',
          title: 'Not Found',
          status: 404,
          code: 'route_not_found',
          detail: `No route ${request.method} ${request.url.split('?')[0]}.`,
          instance: request.id,
        });
    });
  },
  { name: 'error-handler' },
);
