import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tangselRegionsFile } from '../../src/cli/import-regions.js';
import type { Principal } from '../../src/domain/scope.js';
import { ValidationError } from '../../src/lib/errors.js';
import { importRegionsCsv } from '../../src/services/regions.js';
import { makeUser } from '../factories/index.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Node {
  code: string;
  name: string;
  level: string;
  children: Node[];
}

let api: TestApi;
let operator: Principal;
let dir: string;

beforeAll(async () => {
  api = await startTestApi('regions');
  operator = await makeUser(api.database.db, 'operator');
  dir = await mkdtemp(join(tmpdir(), 'kriya-regions-'));
});
afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function tree(query = ''): Promise<Node[]> {
  const res = await api.app.inject({
    method: 'GET',
    url: `/v1/regions${query}`,
    headers: api.auth(operator),
  });
  expect(res.statusCode).toBe(200);
  return res.json().items;
}

function flatten(nodes: Node[]): Node[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

/** Every region row, to prove an import changed nothing at all. */
async function regionRows() {
  return api.database
    .sql`select code, name, level, parent_code, created_at, updated_at from regions order by code`;
}

/** Runs the import CLI as a real process against this suite's database. */
async function cli(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', 'src/cli/import-regions.ts', file], {
      cwd: repoRoot,
      env: { ...process.env, APP_MODE: 'test', DATABASE_URL: api.databaseUrl, LOG_LEVEL: 'silent' },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const BAD_CSV = [
  'code,name,level,parent_code',
  '36.74.08,Kecamatan Baru,kecamatan,36.74', // line 2: fine on its own
  '36.74.08.1001,Kelurahan Baru,kelurahan,36.74.08', // line 3: fine
  '36.74.09.1001,Yatim,kelurahan,36.74.09', // line 4: unknown parent
  '36.74.8,Kode Salah,kecamatan,36.74', // line 5: bad code
].join('\n');

const SECOND_CITY = [
  'code,name,level,parent_code',
  '36.71.01.1001,Tangerang,kelurahan,36.71.01',
  '36.71,Kota Tangerang,city,',
  '36.71.01,Tangerang,kecamatan,36.71',
  '36.71.01.1002,Sukarasa,kelurahan,36.71.01',
  '36.71.02,Jatiuwung,kecamatan,36.71',
  '36.71.02.1001,Alam Jaya,kelurahan,36.71.02',
].join('\n');

describe('regions', () => {
  it('GET /v1/regions requires a token', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/regions' });
    expect(res.statusCode).toBe(401);
  });

  it('returns the Tangsel tree: 1 city, 7 kecamatan, 54 kelurahan', async () => {
    const roots = await tree();
    expect(roots.map((r) => r.code)).toEqual(['36.74']);
    const all = flatten(roots);
    const count = (level: string) => all.filter((n) => n.level === level).length;
    expect([count('city'), count('kecamatan'), count('kelurahan')]).toEqual([1, 7, 54]);
    for (const kecamatan of roots[0]?.children ?? []) {
      expect(kecamatan.level).toBe('kecamatan');
      for (const kelurahan of kecamatan.children) {
        expect(kelurahan.level).toBe('kelurahan');
        expect(kelurahan.code.startsWith(`${kecamatan.code}.`)).toBe(true);
      }
    }
    const serpong = await tree('?root=36.74.01');
    expect(serpong.map((n) => n.name)).toEqual(['Serpong']);
    expect(serpong[0]?.children.map((c) => c.code)).toContain('36.74.01.1001');
  });

  it('importing the Tangsel file again changes nothing', async () => {
    const before = await regionRows();
    const result = await importRegionsCsv(api.database.db, await readFile(tangselRegionsFile, 'utf8'));
    expect(result).toEqual({ inserted: 0, updated: 0, unchanged: 62 });
    expect(await regionRows()).toEqual(before);
  });

  it('a file with an unknown parent and a bad code is rejected whole, naming the lines at fault', async () => {
    const before = await regionRows();
    const err = await importRegionsCsv(api.database.db, BAD_CSV).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues ?? [];
    expect(issues.map((i) => i.path)).toEqual(['line 4 / parent_code', 'line 5 / code']);
    expect(issues[0]?.message).toContain('36.74.09');
    // Lines 2 and 3 were fine, and still were not written.
    expect(await regionRows()).toEqual(before);
  });

  it('the CLI exits 1 for a bad file, with the lines at fault on stderr, and writes nothing', async () => {
    const file = join(dir, 'bad.csv');
    await writeFile(file, BAD_CSV);
    const before = await regionRows();
    const res = await cli(file);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('line 4');
    expect(res.stderr).toContain('line 5');
    expect(res.stderr).not.toContain('line 2 ');
    expect(await regionRows()).toEqual(before);
  });

  it('the CLI exits 0 for a good file and reports what it did', async () => {
    const res = await cli(tangselRegionsFile);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('0 new, 0 updated, 62 unchanged');
  });

  it('a second city imports the same way, children before parents in the file, and only once', async () => {
    const file = join(dir, 'tangerang.csv');
    await writeFile(file, SECOND_CITY);
    const first = await cli(file);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('6 new, 0 updated, 0 unchanged');
    const roots = await tree();
    expect(roots.map((r) => r.code)).toEqual(['36.71', '36.74']);
    const tangerang = flatten(roots.filter((r) => r.code === '36.71'));
    expect(tangerang.map((n) => n.level).sort()).toEqual([
      'city',
      'kecamatan',
      'kecamatan',
      'kelurahan',
      'kelurahan',
      'kelurahan',
    ]);
    expect(await importRegionsCsv(api.database.db, SECOND_CITY)).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 6,
    });
  });

  it('a renamed region is updated in place, and only that one', async () => {
    const renamed = SECOND_CITY.replace('Alam Jaya,', 'Alam Jaya Baru,');
    expect(await importRegionsCsv(api.database.db, renamed)).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 5,
    });
    const [row] = await api.database.sql`select name from regions where code = '36.71.02.1001'`;
    expect(row?.name).toBe('Alam Jaya Baru');
  });
});
