import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type RegionNode, regionTree } from '../../../services/regions.js';
import type { RouteDeps } from '../../context.js';
import { commonErrors, regionCode } from '../../schemas.js';

interface RegionNodeOut {
  code: string;
  name: string;
  level: 'city' | 'kecamatan' | 'kelurahan';
  children: RegionNodeOut[];
}

const regionNode: z.ZodType<RegionNodeOut> = z
  .lazy(() =>
    z.object({
      code: z.string(),
      name: z.string(),
      level: z.enum(['city', 'kecamatan', 'kelurahan']),
      children: z.array(regionNode),
    }),
  )
  .meta({ id: 'RegionNode', description: 'A region with its subregions' });

export async function regionRoutes(app: FastifyInstance, opts: RouteDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/regions',
    {
      config: { access: { roles: ['crafter', 'admin', 'operator'] } },
      schema: {
        tags: ['regions'],
        operationId: 'listRegions',
        summary: 'The region tree (city → kecamatan → kelurahan); `root` returns one subtree',
        security: [{ bearer: [] }],
        querystring: z.strictObject({ root: regionCode.optional() }),
        response: { 200: z.object({ items: z.array(regionNode) }), ...commonErrors },
      },
    },
    async (request): Promise<{ items: RegionNode[] }> => ({
      items: await regionTree(opts.db, request.query.root),
    }),
  );
}
