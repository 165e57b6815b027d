/**
 * Schedules survive restarts, with the real worker processes: every worker declares the job
 * schedulers at start (fixed ids, `upsertJobScheduler`), so killing and restarting the workers five
 * times leaves exactly one scheduler of each, each with one next job, under the run's queue prefix.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE } from '../../src/queues/definitions.js';
import {
  CONNECTION_SCHEDULES,
  NIGHTLY_SCHEDULES,
  pullSchedules,
  SCHEDULES,
} from '../../workers/scheduler.js';
import { KELURAHAN } from '../factories/index.js';
import { type InwardStack, startInwardStack } from './inward-stack.js';

let stack: InwardStack;

beforeAll(async () => {
  stack = await startInwardStack('inward_schedules', { kelurahan: [KELURAHAN.pakulonan] });
}, 180_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

/** Every job scheduler in Redis under the run's prefix, per queue, with its next job's count. */
async function schedulers() {
  const found: Array<{ queue: string; id: string; pattern: string | undefined; tz: string | undefined }> = [];
  const nextJobs: Record<string, number> = {};
  for (const name of Object.values(QUEUE)) {
    const queue = new Queue(name, { connection: stack.redis, prefix: stack.prefix });
    try {
      for (const s of await queue.getJobSchedulers(0, -1)) {
        found.push({ queue: name, id: s.key, pattern: s.pattern ?? undefined, tz: s.tz ?? undefined });
      }
      for (const job of await queue.getJobs(['delayed', 'waiting', 'prioritized'])) {
        const key = (job as { repeatJobKey?: string }).repeatJobKey;
        if (key) nextJobs[`${name}/${key}`] = (nextJobs[`${name}/${key}`] ?? 0) + 1;
      }
    } finally {
      await queue.close();
    }
  }
  return { found: found.sort((a, b) => `${a.queue}/${a.id}`.localeCompare(`${b.queue}/${b.id}`)), nextJobs };
}

describe('schedules across worker restarts (real processes)', () => {
  it('restarting the workers five times creates no duplicate schedules', { timeout: 240_000 }, async () => {
    const declared = [...SCHEDULES, ...CONNECTION_SCHEDULES, ...pullSchedules(5), ...NIGHTLY_SCHEDULES]
      .map((s) => s.id)
      .sort();
    const first = await schedulers();
    expect(first.found.map((s) => s.id).sort()).toEqual(declared);
    for (const s of first.found) expect(s.tz).toBe('Asia/Jakarta');

    for (let i = 0; i < 5; i += 1) {
      await stack.killWorkers();
      await stack.startWorker();
    }
    // Two workers at once declare them too.
    await stack.startWorker();

    const after = await schedulers();
    expect(after.found).toEqual(first.found);
    expect(after.found.map((s) => s.id)).toHaveLength(new Set(after.found.map((s) => s.id)).size);
    // Each scheduler has one next job, not one per declaration.
    for (const s of after.found) expect(after.nextJobs[`${s.queue}/${s.id}`] ?? 0).toBeLessThanOrEqual(1);
    expect(Object.values(after.nextJobs).reduce((n, v) => n + v, 0)).toBeGreaterThan(0);
    const starts = stack.logs.filter((l) => /^\[worker\d+\].*worker started/.test(l));
    expect(starts).toHaveLength(7);
  });
});
