/**
 * Region tree rules (pure). Codes follow Kemendagri: `36.74` (city), `36.74.01` (kecamatan),
 * `36.74.01.1001` (kelurahan); a child's code is its parent's code plus one dotted segment.
 */

export type RegionLevel = 'city' | 'kecamatan' | 'kelurahan';

export interface RegionRow {
  code: string;
  name: string;
  level: RegionLevel;
  parentCode: string | null;
}

export interface RegionRowError {
  /** 1-based line number in the file, counting the header as line 1. */
  line: number;
  column: string;
  message: string;
}

const codePattern: Record<RegionLevel, RegExp> = {
  city: /^\d{2}\.\d{2}$/,
  kecamatan: /^\d{2}\.\d{2}\.\d{2}$/,
  kelurahan: /^\d{2}\.\d{2}\.\d{2}\.\d{4}$/,
};

const parentLevel: Record<RegionLevel, RegionLevel | null> = {
  city: null,
  kecamatan: 'city',
  kelurahan: 'kecamatan',
};

/** True when `code` is `scopeCode` itself or lies below it. */
export function regionContains(scopeCode: string, code: string): boolean {
  return code === scopeCode || code.startsWith(`${scopeCode}.`);
}

/**
 * Checks a whole region file. Parents may be in the same file (in any order) or already stored
 * (`knownLevels`). Returns every problem with its line, so the file can be fixed in one go.
 */
export function validateRegionRows(
  rawRows: ReadonlyArray<Record<string, string | undefined>>,
  knownLevels: ReadonlyMap<string, RegionLevel>,
): { rows: RegionRow[]; errors: RegionRowError[] } {
  const errors: RegionRowError[] = [];
  const rows: RegionRow[] = [];
  const levels = new Map(knownLevels);
  const seen = new Map<string, number>();

  rawRows.forEach((raw, index) => {
    const line = index + 2;
    const code = (raw.code ?? '').trim();
    const name = (raw.name ?? '').trim();
    const level = (raw.level ?? '').trim() as RegionLevel;
    const parent = (raw.parent_code ?? '').trim();
    let ok = true;
    if (!(level in codePattern)) {
      errors.push({ line, column: 'level', message: 'must be city, kecamatan or kelurahan' });
      ok = false;
    } else if (!codePattern[level].test(code)) {
      errors.push({ line, column: 'code', message: `"${code}" is not a valid ${level} code` });
      ok = false;
    }
    if (name.length === 0 || name.length > 200) {
      errors.push({ line, column: 'name', message: 'must be 1-200 characters' });
      ok = false;
    }
    const previous = seen.get(code);
    if (previous !== undefined) {
      errors.push({ line, column: 'code', message: `duplicate of line ${previous}` });
      ok = false;
    }
    seen.set(code, line);
    if (ok) {
      levels.set(code, level);
      rows.push({ code, name, level, parentCode: parent === '' ? null : parent });
    }
  });

  for (const row of rows) {
    const line = seen.get(row.code) ?? 0;
    const expected = parentLevel[row.level];
    if (expected === null) {
      if (row.parentCode !== null)
        errors.push({ line, column: 'parent_code', message: 'a city has no parent' });
      continue;
    }
    if (row.parentCode === null) {
      errors.push({ line, column: 'parent_code', message: `a ${row.level} needs a ${expected} parent` });
      continue;
    }
    const actual = levels.get(row.parentCode);
    if (actual === undefined) {
      errors.push({ line, column: 'parent_code', message: `unknown parent "${row.parentCode}"` });
    } else if (actual !== expected) {
      errors.push({
        line,
        column: 'parent_code',
        message: `parent "${row.parentCode}" is a ${actual}, not a ${expected}`,
      });
    } else if (!row.code.startsWith(`${row.parentCode}.`)) {
      errors.push({
        line,
        column: 'code',
        message: `"${row.code}" does not lie under its parent "${row.parentCode}"`,
      });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors };
}

/** Orders rows so parents come before children (city, kecamatan, kelurahan). */
export function parentsFirst(rows: RegionRow[]): RegionRow[] {
  const rank: Record<RegionLevel, number> = { city: 0, kecamatan: 1, kelurahan: 2 };
  return [...rows].sort((a, b) => rank[a.level] - rank[b.level] || a.code.localeCompare(b.code));
}
