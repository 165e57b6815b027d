import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/client.js';
import type { ServiceContext } from '../services/context.js';
import { principalOf } from './plugins/auth.js';

/**
 * A request made with an Idempotency-Key runs in the transaction that will also record its outcome
 * (plugins/idempotency.ts): its services get that transaction as their database.
 */
export function serviceContext(db: Database, request: FastifyRequest): ServiceContext {
  return { db: request.idempotency?.held.tx ?? db, principal: principalOf(request), requestId: request.id };
}

/** Options every resource plugin receives. */
export interface RouteDeps {
  db: Database;
}
