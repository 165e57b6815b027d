/**
 * `npm start` as a newcomer runs it: the real stack process (src/dev/stack.ts) with its children
 * (sandbox, API, worker), against the machine's Postgres and Redis, and then with both missing
 * (embedded Postgres, spawned redis-server). Each run uses its own database, queue prefix, ports and
 * data folder, so it never touches ./.data or anyone else's data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PRODUCT_TITLE } from '../../src/cli/seed-demo.js';
import { freePort } from '../../src/dev/ports.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface StackReady {
  api: string;
  metrics: string;
  sandbox: string;
  demoShops?: {
    shopee: { connectionId: string; shopId: string };
    tiktokShop: { connectionId: string; shopId: string };
    listings: number;
  };
  pids: Record<string, number | undefined>;
}

interface RunningStack {
  process: ChildProcess;
  ready: StackReady;
  operator: { username: string; password: string };
  readyAfterMs: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** Env for one isolated stack run: nothing inherited that would point it at shared state. */
async function isolatedEnv(label: string, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const id = `${label}_${randomBytes(4).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'kriya-dev-e2e-'));
  const databaseName = `kriya_dev_e2e_${id}`;
  const queuePrefix = `kriya_dev_e2e_${id}`;
  cleanups.push(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await dropDatabase(databaseName);
    await deleteQueueKeys(queuePrefix);
  });
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const inherited = !/^(DEV_|SANDBOX_|DATABASE_|REDIS_|QUEUE_|AUTH_|APP_MODE$|PORT$|HOST$|LOG_LEVEL$)/.test(
      key,
    );
    if (inherited) env[key] = value;
  }
  return {
    ...env,
    DEV_DATA_DIR: dataDir,
    DEV_DATABASE_NAME: databaseName,
    QUEUE_PREFIX: queuePrefix,
    PORT: String(await freePort()),
    SANDBOX_PORT: String(await freePort()),
    DEV_READY_TIMEOUT_MS: String(READY_TIMEOUT_MS - 5_000),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Spawns the stack and resolves once it prints STACK_READY (bounded); rejects if it exits first. */
function startStack(env: NodeJS.ProcessEnv): Promise<RunningStack> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/stack.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
      child.kill('SIGKILL');
    }
  });
  const output: string[] = [];
  let operator: { username: string; password: string } | undefined;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no STACK_READY within ${READY_TIMEOUT_MS} ms. Output:\n${output.join('\n')}`));
    }, READY_TIMEOUT_MS);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`stack exited (${signal ?? code}) before STACK_READY. Output:\n${output.join('\n')}`));
    });
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        if (line.startsWith('DEMO_OPERATOR ')) operator = JSON.parse(line.slice('DEMO_OPERATOR '.length));
        if (line.startsWith('STACK_READY ')) {
          clearTimeout(timer);
          const ready = JSON.parse(line.slice('STACK_READY '.length)) as StackReady;
          if (!operator) {
            reject(
              new Error(`STACK_READY came without DEMO_OPERATOR credentials. Output:\n${output.join('\n')}`),
            );
            return;
          }
          resolve({ process: child, ready, operator, readyAfterMs: Date.now() - startedAt, exited, output });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
}

/** The demo operator logs in and finds the demo product: the stack is usable, not merely up. */
async function assertDemoWorks(stack: RunningStack): Promise<void> {
  const ready = await fetch(`${stack.ready.api}/health/ready`);
  expect(ready.status).toBe(200);

  // Metrics on their own listener, printed by npm start; the public API port does not serve them.
  const metrics = await fetch(stack.ready.metrics);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain('kriya_http_request_duration_seconds');
  expect((await fetch(`${stack.ready.api}/metrics`)).status).toBe(404);

  const login = await fetch(`${stack.ready.api}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(stack.operator),
  });
  expect(login.status).toBe(200);
  const { token } = (await login.json()) as { token: string };
  expect(token).toEqual(expect.any(String));

  const list = await fetch(`${stack.ready.api}/v1/products`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(list.status).toBe(200);
  const body = (await list.json()) as {
    items: Array<{ title: string; status: string; variants?: unknown[] }>;
  };
  const demo = body.items.find((p) => p.title === DEMO_PRODUCT_TITLE);
  expect(demo, `demo product in ${JSON.stringify(body).slice(0, 500)}`).toBeDefined();
  expect(demo?.status).toBe('active');

  // The demo crafter's sandbox Shopee and Tokopedia shops are connected, and every active demo
  // product is published to both.
  const shops = stack.ready.demoShops;
  expect(shops, stack.output.slice(-30).join('\n')).toBeDefined();
  const active = body.items.filter((p) => p.status === 'active').length;
  expect(shops?.listings).toBe(active * 2);
  for (const connectionId of [shops?.shopee.connectionId, shops?.tiktokShop.connectionId]) {
    const res = await fetch(`${stack.ready.api}/v1/connections/${connectionId}/listings`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const listings = (await res.json()) as { items: Array<{ state: string }> };
    expect(listings.items).toHaveLength(active);
    // pending until the push pipeline has taken them; never parked for want of a category mapping.
    for (const l of listings.items) expect(['pending', 'syncing', 'live']).toContain(l.state);
  }
  const photo = await fetch(`${stack.ready.sandbox}/__sandbox/demo-images/batik.png`);
  expect(photo.headers.get('content-type')).toBe('image/png');
  expect(
    Buffer.from(await photo.arrayBuffer())
      .subarray(1, 4)
      .toString('latin1'),
  ).toBe('PNG');
}

/** SIGTERM stops the stack with exit 0 and leaves none of the processes it started behind. */
async function assertStopsCleanly(stack: RunningStack): Promise<void> {
  const pids = Object.entries(stack.ready.pids).filter(
    (e): e is [string, number] => typeof e[1] === 'number',
  );
  expect(pids.map(([name]) => name)).toEqual(expect.arrayContaining(['api', 'worker', 'sandbox']));
  stack.process.kill('SIGTERM');
  const exit = await Promise.race([
    stack.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('stack did not stop')), STOP_TIMEOUT_MS),
    ),
  ]);
  expect(exit, stack.output.slice(-20).join('\n')).toEqual({ code: 0, signal: null });
  for (const [name, pid] of pids) expect(isAlive(pid), `${name} (pid ${pid}) still running`).toBe(false);
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

async function dropDatabase(name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe('npm start (src/dev/stack.ts)', () => {
  it('starts on the local Postgres and Redis, serves the demo data, and stops cleanly', async () => {
    const stack = await startStack(await isolatedEnv('local'));
    console.info(`stack ready on local Postgres/Redis after ${stack.readyAfterMs} ms`);
    expect(stack.output.join('\n')).toContain('local Postgres on 127.0.0.1:5432');
    await assertDemoWorks(stack);
    await assertStopsCleanly(stack);
  }, 180_000);

  it('falls back to an embedded Postgres and a spawned redis-server when nothing answers', async () => {
    // Ports that were free a moment ago: nothing answers there, as on a machine without the services.
    const env = await isolatedEnv('embedded', {
      DEV_POSTGRES_PROBE_PORT: String(await freePort()),
      DEV_REDIS_PROBE_PORT: String(await freePort()),
    });
    const stack = await startStack(env);
    console.info(`stack ready on embedded Postgres + spawned redis-server after ${stack.readyAfterMs} ms`);
    expect(stack.output.join('\n')).toContain('embedded Postgres on 127.0.0.1:');
    expect(stack.ready.pids.postgres).toEqual(expect.any(Number));
    expect(stack.ready.pids.redis).toEqual(expect.any(Number));
    await assertDemoWorks(stack);
    await assertStopsCleanly(stack);
  }, 210_000);
});
