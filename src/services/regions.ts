import { parse } from 'csv-parse/sync';
import { asc, sql } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client.js';
import { regions } from '../db/schema/index.js';
import { parentsFirst, type RegionLevel, validateRegionRows } from '../domain/regions.js';
import { ValidationError } from '../lib/errors.js';

export interface RegionImportResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

const REQUIRED_COLUMNS = ['code', 'name', 'level', 'parent_code'] as const;

/**
 * Imports a region CSV (`code,name,level,parent_code`). All-or-nothing: any bad row rejects the
 * whole file, listing every line at fault. Importing the same file twice changes nothing.
 */
export async function importRegionsCsv(db: Database, csv: string): Promise<RegionImportResult> {
  let records: Array<Record<string, string>>;
  try {
    records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw new ValidationError('The region file is not valid CSV.', {
      issues: [{ path: 'file', message: err instanceof Error ? err.message : String(err) }],
    });
  }
  const header = records[0] ? Object.keys(records[0]) : [];
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (records.length === 0 || missing.length > 0) {
    throw new ValidationError(
      'The region file must have the columns code,name,level,parent_code and at least one row.',
      {
        issues: missing.map((c) => ({ path: `column ${c}`, message: 'missing' })),
      },
    );
  }

  return db.transaction(async (tx) => {
    const existing = await tx.select({ code: regions.code, level: regions.level }).from(regions);
    const known = new Map<string, RegionLevel>(existing.map((r) => [r.code, r.level]));
    const { rows, errors } = validateRegionRows(records, known);
    if (errors.length > 0) {
      throw new ValidationError(`The region file has ${errors.length} problem(s); nothing was imported.`, {
        issues: errors.map((e) => ({ path: `line ${e.line} / ${e.column}`, message: e.message })),
      });
    }
    const result: RegionImportResult = { inserted: 0, updated: 0, unchanged: 0 };
    for (const row of parentsFirst(rows)) {
      const [written] = await tx
        .insert(regions)
        .values(row)
        .onConflictDoUpdate({
          target: regions.code,
          set: { name: row.name, level: row.level, parentCode: row.parentCode, updatedAt: sql`now()` },
          setWhere: sql`(${regions.name}, ${regions.level}, ${regions.parentCode}) is distinct from (${row.name}, ${row.level}::region_level, ${row.parentCode})`,
        })
        .returning({ inserted: sql<boolean>`xmax = 0` });
      if (!written) result.unchanged += 1;
      else if (written.inserted) result.inserted += 1;
      else result.updated += 1;
    }
    return result;
  });
}

export interface RegionNode {
  code: string;
  name: string;
  level: RegionLevel;
  children: RegionNode[];
}

/** The whole tree, roots first, children sorted by code. */
export async function regionTree(db: DbOrTx, rootCode?: string): Promise<RegionNode[]> {
  const rows = await db.select().from(regions).orderBy(asc(regions.code));
  const nodes = new Map<string, RegionNode>();
  for (const r of rows) nodes.set(r.code, { code: r.code, name: r.name, level: r.level, children: [] });
  const roots: RegionNode[] = [];
  for (const r of rows) {
    const node = nodes.get(r.code)!;
    const parent = r.parentCode ? nodes.get(r.parentCode) : undefined;
    if (rootCode !== undefined) {
      if (r.code === rootCode) roots.push(node);
    } else if (!parent) {
      roots.push(node);
    }
    parent?.children.push(node);
  }
  return roots;
}
