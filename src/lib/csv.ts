/**
 * Reading an uploaded CSV file into records, as every upload (product catalogue, partner sales
 * report) reads them: a BOM is dropped, empty lines skipped, and rows of any length kept so the
 * caller can name the row whose field count differs from its header's.
 */
import { parse } from 'csv-parse/sync';

export interface CsvRecord {
  record: string[];
  /** `info.records`: the 1-based number of this record in the file (the header is 1). */
  info: { records: number };
}

export type CsvReadResult =
  | { records: CsvRecord[] }
  /** Not CSV at all: the row where parsing stopped (1-based) and the parser's reason. */
  | { unreadable: { row: number; reason: string } };

export function readCsvRecords(text: string): CsvReadResult {
  try {
    const records = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as CsvRecord[];
    return { records };
  } catch (err) {
    const at = (err as { records?: unknown }).records;
    return { unreadable: { row: typeof at === 'number' ? at + 1 : 1, reason: (err as Error).message } };
  }
}
