/** Brings the dev database to a usable state: migrations, the Tangsel regions, the demo data. */

import { importRegionsFile } from '../cli/import-regions.js';
import { seedDemo } from '../cli/seed-demo.js';
import { runMigrations } from '../db/migrate.js';

/** Credentials printed once, when the demo seed creates the account. */
export interface DemoCredentials {
  operator?: { username: string; password: string };
  crafterUser?: { username: string; password: string };
}

export async function prepareDatabase(
  databaseUrl: string,
  regionsCsv: string,
  log: (line: string) => void,
  /** The sandbox origin, for the demo products' photos. */
  imageOrigin?: string,
): Promise<DemoCredentials> {
  let started = Date.now();
  await runMigrations(databaseUrl);
  log(`migrations applied (${Date.now() - started} ms)`);

  started = Date.now();
  await importRegionsFile(databaseUrl, regionsCsv);
  log(`regions imported from ${regionsCsv} (${Date.now() - started} ms)`);

  started = Date.now();
  const created = await seedDemo(databaseUrl, { imageOrigin });
  log(`demo data ready (${Date.now() - started} ms)`);
  const credentials: DemoCredentials = {};
  if (created.operator) credentials.operator = created.operator;
  if (created.crafterUser) credentials.crafterUser = created.crafterUser;
  return credentials;
}
