/**
 * Real processes: the worker (workers/main.ts) started and stopped five times declares no duplicate
 * schedule — one job scheduler per id on each queue, Jakarta time — and `npm run nightly` run twice
 * for the same night records one run (updated, not duplicated).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { and, eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { nightlyRuns } from '../../src/db/schema/index.js';
import { QUEUE, SCHEDULE_TIMEZONE } from '../../src/queues/definitions.js';
import { CONNECTION_SCHEDULES, NIGHTLY_SCHEDULES, SCHEDULES } from '../../workers/scheduler.js';
import { createTestDatabase } from '../helpers/db-template.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `e2e_nightly_${randomBytes(3).toString('hex')}`;
let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let database: DatabaseHandle;
let redis: Redis;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  testDb = await createTestDatabase('e2e_nightly');
  database = createDatabase(testDb.url, { max: 2 });
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  env = {
    PATH: process.env.PATH ?? '',
    APP_MODE: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: testDb.url,
    DATABASE_POOL_MAX: '3',
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
  };
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  redis.disconnect();
  await database?.close();
  await testDb?.drop();
});

/** Runs a script to its end (or, with `until`, until a line matches, then SIGTERM); its exit code and output. */
function run(
  script: string,
  args: string[],
  until?: RegExp,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish in time:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (until?.test(output) && child.exitCode === null && !child.killed) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

describe('worker restarts', () => {
  it('five starts of the worker leave exactly one scheduler per schedule, on Jakarta time', async () => {
    for (let start = 0; start < 5; start += 1) {
      const { code, signal, output } = await run('workers/main.ts', [], /worker started/);
      expect(output).toMatch(/worker started/);
      expect({ start, code, signal }, output).toEqual({ start, code: 0, signal: null });
    }
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    try {
      const expected: Array<[string, readonly { id: string }[]]> = [
        [QUEUE.maintenance, SCHEDULES],
        [QUEUE.connections, CONNECTION_SCHEDULES],
        [QUEUE.nightly, NIGHTLY_SCHEDULES],
      ];
      for (const [name, schedules] of expected) {
        const queue = new Queue(name, { connection, prefix });
        const declared = await queue.getJobSchedulers(0, -1);
        expect(declared.map((s) => s.key).sort(), name).toEqual(schedules.map((s) => s.id).sort());
        for (const s of declared) expect(s.tz).toBe(SCHEDULE_TIMEZONE);
        await queue.close();
      }
      // The pull queue's scans too: one each, however many starts.
      const pulls = new Queue(QUEUE.pullOrders, { connection, prefix });
      const scans = (await pulls.getJobSchedulers(0, -1)).map((s) => s.key);
      expect(new Set(scans).size).toBe(scans.length);
      await pulls.close();
    } finally {
      connection.disconnect();
    }
  }, 240_000);
});

describe('npm run nightly', () => {
  it('runs a job for a given night; twice → one run row, counted twice', async () => {
    const day = '2026-11-28';
    for (let i = 0; i < 2; i += 1) {
      const { code, output } = await run('src/cli/nightly.ts', ['rebuild-rollups', '--day', day]);
      expect(code, output).toBe(0);
      expect(output).toContain('"job":"rebuild-rollups"');
    }
    const rows = await database.db
      .select()
      .from(nightlyRuns)
      .where(and(eq(nightlyRuns.job, 'rebuild-rollups'), eq(nightlyRuns.day, day)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'succeeded', runs: 2 });
    const bad = await run('src/cli/nightly.ts', ['sweep']);
    expect(bad.code).toBe(64);
    expect(bad.output).toMatch(/usage: npm run nightly/);
  }, 120_000);
});
