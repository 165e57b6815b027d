import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PARTNER_SALES_CSV_COLUMNS } from '../../../channels/partner-brand/sales.js';
import { UnsupportedMediaTypeError } from '../../../lib/errors.js';
import { uploadPartnerSalesReport } from '../../../services/sales-report-upload.js';
import { type RouteDeps, serviceContext } from '../../context.js';
import { commonErrors, problemSchema, uuidParam } from '../../schemas.js';

const uploadResultSchema = z
  .object({
    runId: z.uuid(),
    period: z
      .object({ from: z.string(), to: z.string() })
      .describe('Jakarta days the report covers, [from, to)'),
    lines: z.number().int(),
    inserted: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    unmatchedLines: z.number().int(),
  })
  .meta({ id: 'SalesReportUpload' });

async function requireCsv(request: FastifyRequest): Promise<void> {
  const header = request.headers['content-type'] ?? '';
  if (header.split(';')[0]?.trim().toLowerCase() !== 'text/csv') {
    throw new UnsupportedMediaTypeError('This route takes text/csv.');
  }
}

/** Partner brands' sales reports uploaded as CSV by the council's admins. */
export async function salesReportRoutes(
  app: FastifyInstance,
  opts: RouteDeps & { csvImportLimitBytes: number },
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/connections/:id/sales-reports',
    {
      config: { access: { roles: ['admin', 'operator'] } },
      bodyLimit: opts.csvImportLimitBytes,
      preValidation: requireCsv,
      schema: {
        operationId: 'uploadSalesReport',
        tags: ['connections'],
        summary: "Upload a partner brand's sales report (CSV) for a crafter's enrolment; all or nothing",
        description: `The partner's \`sales-reports.csv\`: a header naming the columns ${PARTNER_SALES_CSV_COLUMNS.map((c) => `\`${c}\``).join(', ')} (any order), then one sale per row (\`sold_at\` RFC 3339 with offset, \`unit_price_idr\` whole rupiah). A file with any bad row answers 422 \`sales_report_invalid\` listing every problem as \`row N / column\`, and imports nothing. A good file is stored in one transaction and counts as a successful pull of the Jakarta days it covers. Uploading the same report again changes nothing.`,
        security: [{ bearer: [] }],
        consumes: ['text/csv'],
        params: uuidParam,
        body: z.string().describe('CSV text'),
        response: {
          200: uploadResultSchema,
          ...commonErrors,
          409: problemSchema,
          413: problemSchema,
          415: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request) =>
      uploadPartnerSalesReport(serviceContext(opts.db, request), request.params.id, request.body),
  );
}
