/**
 * README "Running in production", without Docker: `npm run build`, then every `node dist/...`
 * command from the package root, in a fresh clone: migrations, the region import, the API and a
 * worker, until the API reports ready. Migrations and region data are read from the package root
 * (drizzle/, data/), which `npm run build` does not copy into dist/.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../src/dev/ports.js';
import { clonePrivately, type PrivateClone } from '../helpers/clone.js';
import { adminDatabaseUrl } from '../helpers/db-template.js';

const run = promisify(execFile);
const id = randomBytes(4).toString('hex');
const database = `kriya_e2e_dist_${id}`;
const queuePrefix = `kriya_e2e_dist_${id}`;
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let clone: PrivateClone;
const children: ChildProcess[] = [];

function databaseUrl(): string {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The production environment of README "Configuration": only what is required, no dev defaults. */
function productionEnv(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    APP_MODE: 'production',
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl(),
    REDIS_URL: redisUrl,
    AUTH_TOKEN_SECRET: randomBytes(32).toString('hex'),
    QUEUE_PREFIX: queuePrefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    // Channel credentials and hosts are required in production too (values only; nothing is called).
    CREDENTIALS_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    CREDENTIALS_ACTIVE_KEY_ID: 'k1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SHOPEE_BASE_URL: 'http://127.0.0.1:9/shopee',
    SHOPEE_PARTNER_ID: '100001',
    SHOPEE_PARTNER_KEY: randomBytes(16).toString('hex'),
    TIKTOK_SHOP_API_BASE_URL: 'http://127.0.0.1:9/tiktok-shop',
    TIKTOK_SHOP_AUTH_BASE_URL: 'http://127.0.0.1:9/tiktok-shop',
    TIKTOK_SHOP_AUTHORIZE_URL: 'http://127.0.0.1:9/tiktok-shop/oauth/authorize',
    TIKTOK_SHOP_APP_KEY: 'app-key',
    TIKTOK_SHOP_APP_SECRET: randomBytes(16).toString('hex'),
    PARTNER_BRAND_BASE_URL: 'http://127.0.0.1:9/partner-brand',
  };
}

function start(entry: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [entry], { cwd: clone.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return { child, output: () => output };
}

beforeAll(async () => {
  clone = await clonePrivately('dist');
  const admin = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${database}"`);
  } finally {
    await admin.end();
  }
}, 60_000);

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  const admin = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${database}" with (force)`).finally(() => admin.end());
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${queuePrefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await clone?.remove();
});

describe('the built output, run as README "Without Docker" says', () => {
  it('builds, migrates, imports the regions, and serves with a worker until ready', async () => {
    await run('npm', ['run', 'build'], { cwd: clone.dir });
    const env = productionEnv(await freePort());

    const migrate = await run(process.execPath, ['dist/src/db/migrate.js'], { cwd: clone.dir, env });
    expect(migrate.stdout).toContain('migrations applied');
    const regions = await run(process.execPath, ['dist/src/cli/import-regions.js'], { cwd: clone.dir, env });
    expect(regions.stdout).toMatch(/regions imported from .*data\/regions\/tangsel\.csv: 62 new/);

    const api = start('dist/src/server.js', env);
    const worker = start('dist/workers/main.js', { ...env, LOG_LEVEL: 'info' });
    const readyUrl = `http://127.0.0.1:${env.PORT}/health/ready`;
    await waitFor(
      `${readyUrl} to answer 200`,
      async () => {
        for (const [name, p] of [
          ['api', api],
          ['worker', worker],
        ] as const) {
          if (p.child.exitCode !== null)
            throw new Error(`${name} exited ${p.child.exitCode}:\n${p.output()}`);
        }
        const res = await fetch(readyUrl).catch(() => undefined);
        await res?.body?.cancel();
        return res?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    // The worker is up too (JSON log lines: production output stays machine-readable).
    await waitFor('the worker to start', async () => worker.output().includes('"msg":"worker started"'), {
      timeoutMs: 30_000,
    });

    for (const p of [api, worker]) {
      const exited = new Promise((resolve) => p.child.once('exit', (code) => resolve(code)));
      p.child.kill('SIGTERM');
      expect(await exited, p.output()).toBe(0);
    }
  }, 240_000);
});
