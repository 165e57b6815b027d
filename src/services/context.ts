import type { DbOrTx } from '../db/client.js';
import type { Principal } from '../domain/scope.js';

/**
 * What every use case receives: the database, who is acting, and the request id for the audit log.
 * `db` may be a transaction already (a request with an Idempotency-Key): a use case's own
 * transaction then runs as a savepoint inside it and commits with it.
 */
export interface ServiceContext {
  db: DbOrTx;
  principal: Principal;
  requestId: string | null;
}
