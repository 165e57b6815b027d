import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));
const regionsFile = fileURLToPath(new URL('../../data/regions/tangsel.csv', import.meta.url));

/** Server-level URL used to create and drop per-suite databases. */
export const adminDatabaseUrl =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function migrationsHash(): string {
  const hash = createHash('sha256');
  if (existsSync(migrationsFolder)) {
    for (const file of readdirSync(migrationsFolder).sort()) {
      if (file.endsWith('.sql')) hash.update(file).update(readFileSync(`${migrationsFolder}/${file}`));
    }
  }
  hash.update(readFileSync(regionsFile));
  return hash.digest('hex').slice(0, 12);
}

/** Name of the migrated template database for the current migrations. */
export function templateDatabaseName(): string {
  return `kriya_tpl_${migrationsHash()}`;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Creates (once per migrations hash) a template database with every migration applied. Concurrent
 * test runs are serialised by an advisory lock, so parallel runs never see a half-migrated template.
 */
export async function prepareTemplateDatabase(): Promise<void> {
  const admin = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
  const name = templateDatabaseName();
  try {
    await admin`select pg_advisory_lock(hashtext('kriya-test-template'))`;
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      const building = `${name}_build_${randomBytes(3).toString('hex')}`;
      await admin.unsafe(`create database "${building}"`);
      const client = postgres(withDatabase(adminDatabaseUrl, building), { max: 1, onnotice: () => {} });
      try {
        if (existsSync(migrationsFolder) && existsSync(`${migrationsFolder}/meta/_journal.json`)) {
          await migrate(drizzle(client), { migrationsFolder });
          // Every suite starts with the Tangsel region tree, as a real deployment does.
          const { importRegionsCsv } = await import('../../src/services/regions.js');
          const { createDatabase } = await import('../../src/db/client.js');
          const handle = createDatabase(withDatabase(adminDatabaseUrl, building), { max: 1 });
          try {
            await importRegionsCsv(handle.db, readFileSync(regionsFile, 'utf8'));
          } finally {
            await handle.close();
          }
        }
      } finally {
        await client.end();
      }
      await admin.unsafe(`alter database "${building}" rename to "${name}"`);
      // Templates of older migrations are of no further use; one still in use by another run stays.
      const stale =
        await admin`select datname from pg_database where datname like 'kriya\_tpl\_%' and datname <> ${name}`;
      for (const { datname } of stale) {
        await admin.unsafe(`drop database if exists "${datname}"`).catch(() => {});
      }
    }
  } finally {
    await admin`select pg_advisory_unlock(hashtext('kriya-test-template'))`;
    await admin.end();
  }
}

/** Creates a fresh database from the template; returns its URL and a drop function. */
export async function createTestDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
  const name = `kriya_t_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  try {
    await admin.unsafe(`create database "${name}" template "${templateDatabaseName()}"`);
  } catch (err) {
    // A run on other migrations (another branch, in parallel) drops templates that are not its own:
    // build ours again and retry once.
    if ((err as { code?: string }).code !== '3D000') throw err;
    await prepareTemplateDatabase();
    await admin.unsafe(`create database "${name}" template "${templateDatabaseName()}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminDatabaseUrl, name),
    drop: async () => {
      const a = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
