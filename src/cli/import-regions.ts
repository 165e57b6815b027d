/**
 * `npm run regions:import -- <file.csv>`: imports a region CSV (code,name,level,parent_code).
 * Exits 1 and lists every bad row if the file is rejected; nothing is written then.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../db/client.js';
import { ValidationError } from '../lib/errors.js';
import { fromPackageRoot } from '../lib/paths.js';
import { importRegionsCsv, type RegionImportResult } from '../services/regions.js';

/** The Tangsel file shipped with the repository. */
export const tangselRegionsFile = fromPackageRoot('data', 'regions', 'tangsel.csv');

export async function importRegionsFile(databaseUrl: string, csvPath: string): Promise<RegionImportResult> {
  const handle = createDatabase(databaseUrl, { max: 1 });
  try {
    return await importRegionsCsv(handle.db, await readFile(csvPath, 'utf8'));
  } finally {
    await handle.close();
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const { loadConfigOrExit } = await import('../config/env.js');
  const config = loadConfigOrExit();
  const file = process.argv[2] ?? tangselRegionsFile;
  try {
    const r = await importRegionsFile(config.databaseUrl, file);
    process.stdout.write(
      `regions imported from ${file}: ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged\n`,
    );
  } catch (err) {
    if (err instanceof ValidationError) {
      process.stderr.write(`${err.message}\n`);
      for (const issue of err.issues ?? []) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
    } else {
      process.stderr.write(`region import failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exit(1);
  }
}
