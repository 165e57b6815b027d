/**
 * `/v1/sales`: the regional sales views, and `/v1/orders/unmatched-lines`: sold lines whose SKU
 * matches none of the crafter's variants. Everything is clipped to the caller's scope: a crafter
 * sees their own sales, an admin those of their region, the city and operators all.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  listUnmatchedLines,
  SALES_GROUPS,
  SALES_MAX_RANGE_DAYS,
  type SalesGroup,
  type SalesQuery,
  salesExport,
  salesSummary,
} from '../../../services/sales.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import { commonErrors, decodeCursor, pageById, pageQuery, regionCode } from '../../schemas.js';

const ALL_ROLES = { roles: ['crafter', 'admin', 'operator'] } as const;

const jakartaDay = z
  .string()
  .regex(/^(19|20)\d{2}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD (1900-2099)')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    {
      message: 'not a calendar date',
    },
  );

const groupList = z
  .string()
  .max(200)
  .transform((s) =>
    s
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== ''),
  )
  .pipe(
    z.array(z.enum(SALES_GROUPS)).refine((gs) => new Set(gs).size === gs.length, 'a group appears twice'),
  );

const salesQuery = z.strictObject({
  from: jakartaDay.describe('First Jakarta day (YYYY-MM-DD), inclusive'),
  to: jakartaDay.describe(
    `Last Jakarta day (YYYY-MM-DD), inclusive; at most ${SALES_MAX_RANGE_DAYS} days after from`,
  ),
  groupBy: groupList
    .optional()
    .describe(`Comma-separated, any of: ${SALES_GROUPS.join(', ')} (none: one row of totals)`),
  region: regionCode
    .optional()
    .describe('Only sales made in this kecamatan or kelurahan (where the crafter was then)'),
});

const figures = {
  grossIdr: z.number().int().describe('Σ quantity × unit price of counted orders, integer rupiah'),
  netIdr: z.number().int().describe('Gross minus cancelled and returned units, integer rupiah'),
  units: z.number().int().describe('Net units'),
  orders: z.number().int().describe('Counted orders, each once in its group'),
};

const salesRowSchema = z
  .object({
    day: z.string().optional(),
    week: z.string().optional().describe('Monday of the ISO week'),
    month: z.string().optional().describe('YYYY-MM'),
    channel: z.enum(['shopee', 'tiktok_shop', 'partner_brand']).optional(),
    crafterId: z.uuid().optional(),
    crafterName: z.string().nullable().optional(),
    productId: z.uuid().nullable().optional().describe('Null: lines whose SKU matched no variant'),
    productTitle: z.string().nullable().optional(),
    category: z.string().nullable().optional(),
    kecamatanCode: z.string().optional(),
    kecamatanName: z.string().nullable().optional(),
    kelurahanCode: z.string().optional(),
    kelurahanName: z.string().nullable().optional(),
    ...figures,
  })
  .meta({ id: 'SalesRow' });

const completenessSchema = z
  .object({
    complete: z.boolean(),
    connections: z.number().int().describe('Connections in scope that the range asks about'),
    missing: z.array(
      z.object({
        connectionId: z.uuid(),
        channel: z.enum(['shopee', 'tiktok_shop', 'partner_brand']),
        crafterId: z.uuid(),
        shopName: z.string().nullable(),
        days: z
          .array(z.string())
          .describe('Jakarta days no successful pull covered: no data, not zero sales'),
      }),
    ),
  })
  .meta({ id: 'SalesCompleteness' });

const summarySchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.array(z.enum(SALES_GROUPS)),
    region: z.string().nullable(),
    rows: z.array(salesRowSchema),
    totals: z.object(figures),
    completeness: completenessSchema,
  })
  .meta({ id: 'SalesSummary' });

const unmatchedLineSchema = z
  .object({
    id: z.uuid(),
    orderId: z.uuid(),
    externalOrderId: z.string(),
    connectionId: z.uuid(),
    channel: z.enum(['shopee', 'tiktok_shop', 'partner_brand']),
    crafterId: z.uuid(),
    sellerSku: z.string(),
    title: z.string().nullable(),
    quantity: z.number().int(),
    unitPriceIdr: z.number().int(),
    saleDay: z.string(),
    status: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'UnmatchedOrderLine' });

function toQuery(q: z.infer<typeof salesQuery>): SalesQuery {
  return { from: q.from, to: q.to, groupBy: (q.groupBy ?? []) as SalesGroup[], region: q.region };
}

const FIGURES_DESCRIPTION =
  'Figures come from the daily rollups (Jakarta days) kept current by every ingest. An order counts once paid, on the Jakarta day it was placed; net takes back cancelled and returned units. Region and crafter are those at the time of sale. `completeness.missing` names each connection and day that no successful pull covered: those days are missing data, not zero sales.';

export async function salesRoutes(app: FastifyInstance, opts: RouteDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/sales/summary',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['sales'],
        operationId: 'getSalesSummary',
        summary: 'Sales in your scope over a range of Jakarta days, grouped as asked, with completeness',
        description: FIGURES_DESCRIPTION,
        security: [{ bearer: [] }],
        querystring: salesQuery,
        response: { 200: summarySchema, ...commonErrors },
      },
    },
    async (request) => {
      const query = toQuery(request.query);
      const summary = await salesSummary(serviceContext(opts.db, request), query);
      return {
        from: query.from,
        to: query.to,
        groupBy: SALES_GROUPS.filter((g) => query.groupBy.includes(g)),
        region: query.region ?? null,
        ...summary,
      };
    },
  );

  r.get(
    '/v1/sales/export.csv',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['sales'],
        operationId: 'exportSalesCsv',
        summary: 'The summary rows as CSV (same filters), streamed',
        description: `${FIGURES_DESCRIPTION} The header \`x-sales-missing-days\` counts the (connection, day) pairs without data; the summary names them.`,
        security: [{ bearer: [] }],
        querystring: salesQuery,
        response: {
          200: { description: 'CSV file', content: { 'text/csv': { schema: z.string() } } },
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const ctx = serviceContext(opts.db, request);
      const exported = await salesExport({ ...ctx, db: opts.db }, toQuery(request.query));
      const missing = exported.completeness.missing.reduce((n, m) => n + m.days.length, 0);
      const csv = stringify({ header: true, columns: exported.columns });
      pipeline(Readable.from(exported.rows), csv).catch((err: unknown) => {
        request.log.error({ err }, 'sales export stream failed');
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="sales.csv"')
        .header('x-sales-missing-days', String(missing))
        .send(csv as unknown as string);
    },
  );

  r.get(
    '/v1/orders/unmatched-lines',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['sales'],
        operationId: 'listUnmatchedOrderLines',
        summary: 'Sold lines whose seller SKU matches none of the crafter’s variants',
        description:
          'Kept, never dropped: they count in the figures (product unknown) and take no stock. Adding a variant with that SKU matches them at the next pull. Ordered by id; pass `nextCursor` as `cursor`.',
        security: [{ bearer: [] }],
        querystring: z.strictObject({ ...pageQuery, crafterId: z.uuid().optional() }),
        response: {
          200: z.object({ items: z.array(unmatchedLineSchema), nextCursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, crafterId } = request.query;
      const after = decodeCursor(cursor, z.uuid());
      const rows = await listUnmatchedLines(serviceContext(opts.db, request), { crafterId, limit, after });
      return pageById(rows, limit, (l) => ({ ...l, createdAt: l.createdAt.toISOString() }));
    },
  );
}
