/**
 * Sales reports: what the partner sold in a period, one line per (sale, sku), as JSON pages or one CSV
 * file with the same lines in the same order.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { partnerOf } from '../auth.js';
import { badRequest } from '../errors.js';
import { decodeCursor, encodeCursor } from '../paging.js';
import type { PartnerStore, SalesLine } from '../store.js';
import { parseInput } from './assortment.js';

export const CSV_COLUMNS = [
  'report_line_id',
  'sku',
  'quantity',
  'unit_price_idr',
  'sold_at',
  'outlet',
] as const;

const periodQuery = z.object({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function lineView(line: SalesLine) {
  return {
    report_line_id: line.reportLineId,
    sku: line.sku,
    quantity: line.quantity,
    unit_price_idr: line.unitPriceIdr,
    sold_at: isoSeconds(line.soldAt),
    outlet: line.outlet,
  };
}

function compareLines(a: SalesLine, b: SalesLine): number {
  return (
    a.soldAt - b.soldAt || (a.reportLineId < b.reportLineId ? -1 : a.reportLineId > b.reportLineId ? 1 : 0)
  );
}

/** Lines of one partner sold in [from, to), in report order. */
function linesInPeriod(store: PartnerStore, partnerId: string, query: unknown) {
  const input = parseInput(periodQuery, query);
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  if (to <= from) throw badRequest('to must be after from');
  const maxDays = store.state.settings.maxReportDays;
  if (to - from > maxDays * 86_400_000) throw badRequest(`a report period is at most ${maxDays} days`);
  const lines = store.state.sales
    .filter((line) => line.partnerId === partnerId && line.soldAt >= from && line.soldAt < to)
    .sort(compareLines);
  return { input, from, to, lines };
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function registerSalesReportRoutes(app: FastifyInstance, store: PartnerStore): void {
  // GET /v1/sales-reports: JSON lines of a period, cursor paging.
  app.get('/v1/sales-reports', async (request) => {
    const partner = partnerOf(request);
    const { input, from, to, lines } = linesInPeriod(store, partner.id, request.query);
    const scope = `sales:${partner.id}:${from}:${to}`;
    let start = 0;
    if (input.cursor !== undefined) {
      const last = decodeCursor(input.cursor, scope);
      if (!Array.isArray(last) || typeof last[0] !== 'number' || typeof last[1] !== 'string') {
        throw badRequest('cursor is not valid for this request');
      }
      const [soldAt, id] = last as [number, string];
      start = lines.findIndex(
        (line) => line.soldAt > soldAt || (line.soldAt === soldAt && line.reportLineId > id),
      );
      if (start === -1) start = lines.length;
    }
    const limit = input.limit ?? 100;
    const page = lines.slice(start, start + limit);
    const last = page.at(-1);
    return {
      from: isoSeconds(from),
      to: isoSeconds(to),
      lines: page.map(lineView),
      next_cursor:
        start + limit < lines.length && last ? encodeCursor(scope, [last.soldAt, last.reportLineId]) : null,
    };
  });

  // GET /v1/sales-reports.csv: the same period as one RFC 4180 CSV file with a header row.
  app.get('/v1/sales-reports.csv', async (request, reply) => {
    const partner = partnerOf(request);
    const { lines } = linesInPeriod(store, partner.id, request.query);
    const rows = [CSV_COLUMNS.join(',')];
    for (const line of lines) {
      const view = lineView(line);
      rows.push(CSV_COLUMNS.map((column) => csvField(view[column])).join(','));
    }
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="sales-report.csv"')
      .send(`${rows.join('\r\n')}\r\n`);
  });
}
