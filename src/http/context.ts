import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/client.js';
import type { ServiceContext } from '../services/context.js';
import { principalOf } from './plugins/auth.js';

export function serviceContext(db: Database, request: FastifyRequest): ServiceContext {
  return { db, principal: principalOf(request), requestId: request.id };
}

/** Options every resource plugin receives. */
export interface RouteDeps {
  db: Database;
}
