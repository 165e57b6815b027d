import { describe, expect, it } from 'vitest';
import {
  parentsFirst,
  type RegionLevel,
  regionContains,
  validateRegionRows,
} from '../../src/domain/regions.js';

const none = new Map<string, RegionLevel>();
const row = (code: string, name: string, level: string, parent_code = '') => ({
  code,
  name,
  level,
  parent_code,
});

describe('regionContains', () => {
  it('matches the node itself and dotted descendants only', () => {
    expect(regionContains('36.74', '36.74')).toBe(true);
    expect(regionContains('36.74', '36.74.01.1001')).toBe(true);
    expect(regionContains('36.74.01', '36.74.02')).toBe(false);
    expect(regionContains('36.74.01.10', '36.74.01.1001')).toBe(false);
    expect(regionContains('36.74.01.1001', '36.74.01')).toBe(false);
  });
});

describe('validateRegionRows', () => {
  it('accepts a tree whose parents come later in the file', () => {
    const { rows, errors } = validateRegionRows(
      [
        row('36.74.01.1001', 'Ciater', 'kelurahan', '36.74.01'),
        row('36.74.01', 'Serpong', 'kecamatan', '36.74'),
        row('36.74', 'Tangsel', 'city'),
      ],
      none,
    );
    expect(errors).toEqual([]);
    expect(parentsFirst(rows).map((r) => r.code)).toEqual(['36.74', '36.74.01', '36.74.01.1001']);
    expect(rows.find((r) => r.level === 'city')?.parentCode).toBeNull();
  });

  it('accepts parents that are already stored', () => {
    const known = new Map<string, RegionLevel>([['36.74.01', 'kecamatan']]);
    expect(validateRegionRows([row('36.74.01.1010', 'Baru', 'kelurahan', '36.74.01')], known).errors).toEqual(
      [],
    );
  });

  it('reports every fault with its line (header is line 1) and column', () => {
    const { errors } = validateRegionRows(
      [
        row('36.74', 'Tangsel', 'city'), // line 2: fine
        row('36.74.1', 'Bad code', 'kecamatan', '36.74'), // line 3: bad code
        row('36.74.09.1001', 'Orphan', 'kelurahan', '36.74.09'), // line 4: unknown parent
        row('36.74.02', '', 'kecamatan', '36.74'), // line 5: empty name
        row('36.74.03', 'Odd', 'province', '36.74'), // line 6: bad level
        row('36.74', 'Again', 'city'), // line 7: duplicate
        row('36.74.04', 'No parent', 'kecamatan'), // line 8: missing parent
        row('36.75.01', 'Elsewhere', 'kecamatan', '36.74'), // line 9: not under parent
        row('36.74.05', 'Has parent', 'city', '36.74'), // line 10: code is not a city code
      ],
      none,
    );
    expect(errors.map((e) => [e.line, e.column])).toEqual([
      [3, 'code'],
      [4, 'parent_code'],
      [5, 'name'],
      [6, 'level'],
      [7, 'code'],
      [8, 'parent_code'],
      [9, 'code'],
      [10, 'code'],
    ]);
    expect(errors.find((e) => e.line === 4)?.message).toContain('unknown parent "36.74.09"');
    expect(errors.find((e) => e.line === 7)?.message).toBe('duplicate of line 2');
  });

  it('rejects a parent of the wrong level and a city with a parent', () => {
    const known = new Map<string, RegionLevel>([['36.74', 'city']]);
    const { errors } = validateRegionRows(
      [
        row('36.74.1001', 'Skips kecamatan', 'kelurahan', '36.74'),
        row('36.75', 'Nested city', 'city', '36.74'),
      ],
      known,
    );
    expect(errors.map((e) => e.column)).toEqual(['code', 'parent_code']);
    const wrongLevel = validateRegionRows(
      [row('36.74.01.1001', 'Under city', 'kelurahan', '36.74')],
      known,
    ).errors;
    expect(wrongLevel).toEqual([
      { line: 2, column: 'parent_code', message: 'parent "36.74" is a city, not a kecamatan' },
    ]);
  });

  it('rejects overlong names', () => {
    expect(validateRegionRows([row('36.74', 'x'.repeat(201), 'city')], none).errors[0]?.column).toBe('name');
  });
});
