import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../../context.js';

// Being written: products CRUD, ETag/If-Match, CSV import/export.
export async function productRoutes(_app: FastifyInstance, _opts: RouteDeps & { csvImportLimitBytes: number }): Promise<void> {}
