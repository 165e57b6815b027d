/**
 * `npm run credentials:rotate`: re-encrypts every stored channel credential under
 * CREDENTIALS_ACTIVE_KEY_ID. Steps: add the new key to CREDENTIALS_KEYS (keeping the old one), make it
 * active, restart API and workers, run this, then drop the old key. Safe to run while workers run, and
 * to run again. Prints a JSON report; exits 1 when some credential could not be opened.
 */
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../config/env.js';
import { createDatabase } from '../db/client.js';
import { rotateCredentials } from '../services/credentials-rotation.js';

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const config = loadConfigOrExit();
  const handle = createDatabase(config.databaseUrl, { max: 2 });
  let exitCode = 0;
  try {
    const report = await rotateCredentials(handle.db, config.credentialsKeyring);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    if (report.failed.length > 0) {
      process.stderr.write(
        `${report.failed.length} credential(s) could not be opened with CREDENTIALS_KEYS (key ids: ${[
          ...new Set(report.failed.map((f) => f.keyId)),
        ].join(', ')}); add the missing key and run again.\n`,
      );
      exitCode = 1;
    }
  } catch (err) {
    process.stderr.write(
      `credentials rotation failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    exitCode = 1;
  } finally {
    await handle.close();
  }
  process.exit(exitCode);
}
