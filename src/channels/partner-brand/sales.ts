/**
 * Partner-brand sales reports → canonical orders, from the API (`GET /v1/sales-reports`, JSON pages)
 * or from the same report uploaded as CSV (`GET /v1/sales-reports.csv`); docs/partner-brand-api.yaml.
 *
 * How report lines become orders: a report line is one sale of one SKU at one outlet, immutable and
 * identified by `report_line_id`, so **each line is one order** of one line (order id = the report line
 * id, line key = the SKU). Grouping lines by outlet and time would guess at baskets the report does not
 * describe, and a group could change as later pages arrive; one line per order stays the same however
 * the report is read, by API or by file, so the same sale is stored once either way. Lines are final
 * sales: `completed`, paid and created at `sold_at`, which is also their update time.
 */
import { readCsvRecords } from '../../lib/csv.js';
import type { CanonicalOrder, HumanMessage } from '../types.js';

/** One report line as the API and the CSV file carry it. */
export interface PartnerSalesLine {
  report_line_id: string;
  sku: string;
  quantity: number;
  unit_price_idr: number;
  sold_at: string;
  outlet: string;
}

export const PARTNER_SALES_CSV_COLUMNS = [
  'report_line_id',
  'sku',
  'quantity',
  'unit_price_idr',
  'sold_at',
  'outlet',
] as const;

/** docs/partner-brand-api.yaml, parameter `Sku`. */
const PARTNER_SKU = /^[A-Za-z0-9._-]{1,64}$/;
/** RFC 3339 date-time with an offset (`2026-01-03T10:15:00Z`, `2026-01-03T17:15:00+07:00`). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

export function partnerLineOrder(line: PartnerSalesLine): CanonicalOrder {
  const soldAt = new Date(line.sold_at);
  return {
    externalOrderId: line.report_line_id,
    status: 'completed',
    createdAt: soldAt,
    paidAt: soldAt,
    updatedAt: soldAt,
    lines: [
      {
        lineKey: line.sku,
        sellerSku: line.sku,
        quantity: line.quantity,
        unitPriceIdr: line.unit_price_idr,
      },
    ],
  };
}

export interface PartnerCsvError {
  /** The file's row (the header is row 1). */
  row: number;
  field?: string;
  message: HumanMessage;
}

export type PartnerCsvResult = { orders: CanonicalOrder[] } | { errors: PartnerCsvError[] };

const fieldMessages: Record<string, (value: string) => HumanMessage> = {
  report_line_id: () => ({
    en: 'report_line_id is required (at most 128 characters).',
    id: 'report_line_id wajib diisi (paling banyak 128 karakter).',
  }),
  sku: (v) => ({
    en: `sku "${v}" must be 1–64 letters, digits, dots, dashes or underscores.`,
    id: `sku "${v}" harus 1–64 huruf, angka, titik, tanda hubung atau garis bawah.`,
  }),
  quantity: (v) => ({
    en: `quantity "${v}" must be a whole number of at least 1.`,
    id: `quantity "${v}" harus bilangan bulat paling sedikit 1.`,
  }),
  unit_price_idr: (v) => ({
    en: `unit_price_idr "${v}" must be whole rupiah (0 or more, no decimals or separators).`,
    id: `unit_price_idr "${v}" harus rupiah bulat (0 atau lebih, tanpa desimal atau pemisah).`,
  }),
  sold_at: (v) => ({
    en: `sold_at "${v}" must be an RFC 3339 date-time with offset, e.g. 2026-01-03T10:15:00Z.`,
    id: `sold_at "${v}" harus tanggal-waktu RFC 3339 dengan zona, mis. 2026-01-03T10:15:00Z.`,
  }),
};

/** Checks one line's values; the problems, by field (none: the line is valid). */
function lineProblems(cells: Record<string, string>): Array<{ field: string; message: HumanMessage }> {
  const problems: Array<{ field: string; message: HumanMessage }> = [];
  const bad = (field: string) =>
    problems.push({
      field,
      message: (fieldMessages[field] as (v: string) => HumanMessage)(cells[field] ?? ''),
    });
  const id = cells.report_line_id ?? '';
  if (id === '' || id.length > 128) bad('report_line_id');
  if (!PARTNER_SKU.test(cells.sku ?? '')) bad('sku');
  const quantity = cells.quantity ?? '';
  if (!/^\d{1,9}$/.test(quantity) || Number(quantity) < 1) bad('quantity');
  if (!/^\d{1,12}$/.test(cells.unit_price_idr ?? '')) bad('unit_price_idr');
  const soldAt = cells.sold_at ?? '';
  if (!RFC3339.test(soldAt) || Number.isNaN(Date.parse(soldAt))) bad('sold_at');
  return problems;
}

/**
 * Parses an uploaded sales report (the partner's `sales-reports.csv`: a header row naming the six
 * columns in any order, then one line per row). All or nothing: any problem in any row and the file
 * gives only the errors, each with its row and field, so nothing of a bad file is imported.
 */
export function parsePartnerSalesCsv(text: string): PartnerCsvResult {
  const read = readCsvRecords(text);
  if ('unreadable' in read) {
    const { row, reason } = read.unreadable;
    return {
      errors: [
        {
          row,
          message: {
            en: `The file is not readable as CSV: ${reason}`,
            id: `Berkas tidak terbaca sebagai CSV: ${reason}`,
          },
        },
      ],
    };
  }
  const [header, ...rows] = read.records;
  const columns = PARTNER_SALES_CSV_COLUMNS.join(',');
  if (!header) {
    return {
      errors: [
        {
          row: 1,
          message: {
            en: `The file is empty; its first row must be the header ${columns}.`,
            id: `Berkas kosong; baris pertamanya harus judul kolom ${columns}.`,
          },
        },
      ],
    };
  }
  const errors: PartnerCsvError[] = [];
  const names = header.record.map((h) => h.trim().toLowerCase());
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (index.has(name)) {
      errors.push({
        row: 1,
        field: name,
        message: { en: `Column ${name} appears twice.`, id: `Kolom ${name} muncul dua kali.` },
      });
    } else index.set(name, i);
  });
  for (const column of PARTNER_SALES_CSV_COLUMNS) {
    if (!index.has(column)) {
      errors.push({
        row: 1,
        field: column,
        message: {
          en: `Column ${column} is missing; the header must name ${columns}.`,
          id: `Kolom ${column} tidak ada; judul kolom harus memuat ${columns}.`,
        },
      });
    }
  }
  if (errors.length > 0) return { errors };

  const orders: CanonicalOrder[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of rows) {
    const row = info.records;
    if (record.length !== names.length) {
      errors.push({
        row,
        message: {
          en: `Row has ${record.length} fields; the header has ${names.length}.`,
          id: `Baris berisi ${record.length} kolom; judul kolom berisi ${names.length}.`,
        },
      });
      continue;
    }
    const cells = Object.fromEntries(
      PARTNER_SALES_CSV_COLUMNS.map((c) => [c, (record[index.get(c) as number] ?? '').trim()]),
    );
    const problems = lineProblems(cells);
    for (const p of problems) errors.push({ row, field: p.field, message: p.message });
    const id = cells.report_line_id ?? '';
    const earlier = seen.get(id);
    if (id !== '' && earlier !== undefined) {
      errors.push({
        row,
        field: 'report_line_id',
        message: {
          en: `report_line_id ${id} already appears in row ${earlier}.`,
          id: `report_line_id ${id} sudah ada di baris ${earlier}.`,
        },
      });
    } else if (id !== '') seen.set(id, row);
    if (problems.length > 0 || errors.length > 0) continue;
    orders.push(
      partnerLineOrder({
        report_line_id: id,
        sku: cells.sku ?? '',
        quantity: Number(cells.quantity),
        unit_price_idr: Number(cells.unit_price_idr),
        sold_at: cells.sold_at ?? '',
        outlet: cells.outlet ?? '',
      }),
    );
  }
  return errors.length > 0 ? { errors } : { orders };
}
