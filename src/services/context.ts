import type { Database } from '../db/client.js';
import type { Principal } from '../domain/scope.js';

/** What every use case receives: the database, who is acting, and the request id for the audit log. */
export interface ServiceContext {
  db: Database;
  principal: Principal;
  requestId: string | null;
}
