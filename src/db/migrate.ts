/**
 * Applies the committed drizzle migrations. Runs as its own step (`npm run db:migrate`, or the
 * `migrate` service in compose) and exits non-zero on failure.
 */
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { fromPackageRoot } from '../lib/paths.js';

const migrationsFolder = fromPackageRoot('drizzle');

export async function runMigrations(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    // Serialise concurrent migrators (several replicas starting at once).
    await sql`select pg_advisory_lock(hashtext('kriya-migrations'))`;
    await migrate(drizzle(sql), { migrationsFolder });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const { loadConfigOrExit } = await import('../config/env.js');
  const config = loadConfigOrExit();
  try {
    await runMigrations(config.databaseUrl);
    process.stdout.write('migrations applied\n');
  } catch (err) {
    process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
