/**
 * `npm run demo:passwords`: working demo credentials without dropping the database, on the database
 * `npm start` uses (found the same way: here the local Postgres and DEV_DATABASE_NAME; the embedded
 * one is covered by test/e2e/private-clone.test.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_OPERATOR_USERNAME, seedDemo } from '../../src/cli/seed-demo.js';
import { createDatabase } from '../../src/db/client.js';
import { existingAccountsLines } from '../../src/dev/credentials.js';
import { databaseName } from '../../src/dev/probes.js';
import { authenticateUser } from '../../src/services/users.js';
import { repoRoot } from '../helpers/clone.js';
import { createTestDatabase } from '../helpers/db-template.js';

const run = promisify(execFile);
let testDb: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  testDb = await createTestDatabase('demo_passwords');
});
afterAll(() => testDb?.drop());

/** The dev tools' environment: nothing that would point them elsewhere than the local Postgres. */
function devEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(DEV_|DATABASE_|REDIS_|APP_MODE$|npm_)/.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

function parseCredentials(stdout: string, key: 'DEMO_OPERATOR' | 'DEMO_CRAFTER_USER') {
  const line = stdout.split('\n').find((l) => l.startsWith(`${key} `));
  if (!line) throw new Error(`no ${key} line in:\n${stdout}`);
  return JSON.parse(line.slice(key.length + 1)) as { username: string; password: string };
}

async function canLogIn(credentials: { username: string; password: string }): Promise<boolean> {
  const handle = createDatabase(testDb.url, { max: 1 });
  try {
    await authenticateUser(handle.db, credentials.username, credentials.password);
    return true;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

describe('npm run demo:passwords', () => {
  it('is named where npm start says the passwords were printed before', () => {
    expect(existingAccountsLines().join('\n')).toContain('npm run demo:passwords');
  });

  it('sets and prints new passwords for the existing demo accounts; the old ones stop working', async () => {
    const created = await seedDemo(testDb.url);
    expect(created.operator).toBeDefined();
    expect(await seedDemo(testDb.url)).toEqual({}); // what `npm start` sees on its next run

    const { stdout } = await run('npm', ['run', '--silent', 'demo:passwords'], {
      cwd: repoRoot,
      env: devEnv({ DEV_DATABASE_NAME: databaseName(testDb.url) }),
    });
    const operator = parseCredentials(stdout, 'DEMO_OPERATOR');
    const crafterUser = parseCredentials(stdout, 'DEMO_CRAFTER_USER');
    expect(operator.username).toBe(DEMO_OPERATOR_USERNAME);
    expect(operator.password).not.toBe(created.operator?.password);
    expect(stdout).toContain(`password ${operator.password}`);
    expect(stdout).toContain(`database ${databaseName(testDb.url)}`);

    expect(await canLogIn(operator)).toBe(true);
    expect(await canLogIn(crafterUser)).toBe(true);
    if (created.operator) expect(await canLogIn(created.operator)).toBe(false);
  }, 60_000);

  it('creates nothing and says to run npm start when the database does not exist', async () => {
    const missing = `kriya_t_missing_${Date.now()}`;
    const failure = await run('npm', ['run', '--silent', 'demo:passwords'], {
      cwd: repoRoot,
      env: devEnv({ DEV_DATABASE_NAME: missing }),
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(`there is no database ${missing}`);
    expect(failure?.stderr).toContain('npm start');
  }, 60_000);
});
