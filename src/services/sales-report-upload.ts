/**
 * An admin uploads a partner brand's sales report as CSV (the same report the partner's API serves),
 * for a crafter's partner-brand enrolment. All or nothing per file: a file with any bad row gives every
 * row's problem and imports nothing; a good one is ingested in ONE transaction together with a
 * `channel_pull_runs` row (reason `upload`) covering the report's days, so the sales views count those
 * days as covered. Report lines are immutable and keyed by their id, so uploading the same file again
 * (or a report the API pull already read) changes nothing, not even the runs.
 */
import { and, eq } from 'drizzle-orm';
import { parsePartnerSalesCsv } from '../channels/partner-brand/sales.js';
import { channelPullRuns } from '../db/schema/index.js';
import { ConflictError, SalesReportInvalidError, ValidationError } from '../lib/errors.js';
import { recordAudit } from './audit.js';
import { findConnectionInScope } from './connections.js';
import type { ServiceContext } from './context.js';
import { ingestOrders } from './order-ingest.js';
import { ORDERS_STREAM } from './order-pull.js';

export interface SalesReportUploadResult {
  /** The run recording the upload (the existing one when the same report was uploaded before). */
  runId: string;
  /** The Jakarta days the report covers, [from, to). */
  period: { from: string; to: string };
  lines: number;
  inserted: number;
  updated: number;
  /** Lines already stored exactly so (a re-upload, or lines the API pull had read). */
  unchanged: number;
  unmatchedLines: number;
}

const DAY_MS = 86_400_000;
/** Asia/Jakarta is UTC+7 all year (no daylight saving). */
const JAKARTA_OFFSET_MS = 7 * 3_600_000;

function jakartaDayStart(at: Date): Date {
  return new Date(Math.floor((at.getTime() + JAKARTA_OFFSET_MS) / DAY_MS) * DAY_MS - JAKARTA_OFFSET_MS);
}

export async function uploadPartnerSalesReport(
  ctx: ServiceContext,
  connectionId: string,
  csv: string,
): Promise<SalesReportUploadResult> {
  const parsed = parsePartnerSalesCsv(csv);
  // Scope first: a connection outside the caller's region is a 404 whatever the file holds.
  const connection = await findConnectionInScope(ctx.db, ctx, connectionId);
  if (connection.channel !== 'partner_brand') {
    throw new ConflictError(
      'not_partner_brand',
      'Sales reports are uploaded for partner-brand enrolments only; Shopee and Tokopedia orders are pulled.',
      {
        detailId:
          'Laporan penjualan hanya diunggah untuk keikutsertaan mitra; pesanan Shopee dan Tokopedia ditarik otomatis.',
      },
    );
  }
  if ('errors' in parsed) {
    throw new SalesReportInvalidError(
      `The report has ${parsed.errors.length} problem(s); nothing was imported.`,
      {
        detailId: `Laporan berisi ${parsed.errors.length} kesalahan; tidak ada yang diimpor.`,
        issues: parsed.errors.map((e) => ({
          path: e.field ? `row ${e.row} / ${e.field}` : `row ${e.row}`,
          message: e.message.en,
        })),
      },
    );
  }
  const { orders } = parsed;
  if (orders.length === 0) {
    throw new ValidationError('The report has no lines; nothing was imported.', {
      detailId: 'Laporan tidak berisi baris; tidak ada yang diimpor.',
      issues: [{ path: 'body', message: 'no report lines' }],
    });
  }
  const times = orders.map((o) => o.createdAt.getTime());
  const from = jakartaDayStart(new Date(Math.min(...times)));
  const to = new Date(jakartaDayStart(new Date(Math.max(...times))).getTime() + DAY_MS);

  return ctx.db.transaction(async (tx) => {
    // Lock the enrolment: two uploads of the same report at once end as one run, not two.
    const locked = await findConnectionInScope(tx, ctx, connectionId, true);
    if (locked.status === 'disconnected') {
      throw new ConflictError('connection_disconnected', 'This enrolment is disconnected.', {
        detailId: 'Keikutsertaan ini sudah diputus.',
      });
    }
    const summary = await ingestOrders(
      tx,
      { connectionId, channel: 'partner_brand', crafterId: locked.crafterId },
      orders,
    );
    const [previous] = await tx
      .select({ id: channelPullRuns.id })
      .from(channelPullRuns)
      .where(
        and(
          eq(channelPullRuns.connectionId, connectionId),
          eq(channelPullRuns.reason, 'upload'),
          eq(channelPullRuns.status, 'succeeded'),
          eq(channelPullRuns.windowFrom, from),
          eq(channelPullRuns.windowTo, to),
        ),
      )
      .limit(1);
    let runId = previous?.id;
    if (!previous || summary.inserted + summary.updated > 0) {
      const [run] = await tx
        .insert(channelPullRuns)
        .values({
          connectionId,
          stream: ORDERS_STREAM,
          reason: 'upload',
          windowFrom: from,
          windowTo: to,
          status: 'succeeded',
          fetched: summary.fetched,
          inserted: summary.inserted,
          updated: summary.updated,
          finishedAt: new Date(),
        })
        .returning({ id: channelPullRuns.id });
      runId = (run as { id: string }).id;
      await recordAudit(tx, {
        actorUserId: ctx.principal.userId,
        action: 'connection.sales_report_upload',
        entityType: 'connection',
        entityId: connectionId,
        after: { runId, from: from.toISOString(), to: to.toISOString(), lines: orders.length },
        requestId: ctx.requestId,
      });
    }
    return {
      runId: runId as string,
      period: { from: from.toISOString(), to: to.toISOString() },
      lines: orders.length,
      inserted: summary.inserted,
      updated: summary.updated,
      unchanged: summary.unchanged,
      unmatchedLines: summary.unmatchedLines,
    };
  });
}
