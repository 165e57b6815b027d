/**
 * `npm run demo:passwords`: new passwords for the demo accounts of the database `npm start` uses,
 * printed once. For when the ones printed at creation are lost; nothing else changes.
 *
 * The database is found as `npm start` finds it (DATABASE_URL, else a local Postgres on the probe
 * port, else the embedded one in DEV_DATA_DIR: used as it is while `npm start` runs it, started and
 * stopped again otherwise). Nothing is created: with no database yet it says to run `npm start`.
 */
import { fileURLToPath } from 'node:url';
import { resetDemoPasswords } from '../cli/seed-demo.js';
import { resolvePostgres } from './backing-services.js';
import { credentialsText } from './credentials.js';
import { loadDevOptions } from './options.js';
import { databaseName } from './probes.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const log = (line: string) => process.stdout.write(`[demo:passwords] ${line}\n`);

async function main(): Promise<void> {
  const options = loadDevOptions(repoRoot);
  const postgres = await resolvePostgres(options, log, { existing: true });
  try {
    const credentials = await resetDemoPasswords(postgres.url);
    if (!credentials.operator && !credentials.crafterUser) {
      throw new Error(
        `there are no demo accounts in database ${databaseName(postgres.url)} (${postgres.describe}): ` +
          '`npm start` creates them',
      );
    }
    process.stdout.write(
      credentialsText(
        credentials,
        `New demo passwords (${postgres.describe}, database ${databaseName(postgres.url)}); the old ones no longer work:`,
        true,
      ),
    );
  } finally {
    await postgres.stop?.();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo:passwords failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
