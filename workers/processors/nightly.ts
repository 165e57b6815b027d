/**
 * The nightly queue. Thin: the jobs are in src/services/nightly.ts. A scheduled run is about the
 * Jakarta day before the time it was scheduled for (not when a worker got to it), so a run delayed
 * past midnight still closes the right night.
 */
import type { Job } from 'bullmq';
import { nightlyJob } from '../../src/queues/definitions.js';
import {
  type NightlyDeps,
  type NightlyRunResult,
  previousJakartaDay,
  runNightlyJob,
} from '../../src/services/nightly.js';

export async function processNightly(deps: NightlyDeps, job: Job): Promise<NightlyRunResult> {
  const data = nightlyJob.parse(job.data);
  const scheduledFor = job.timestamp + (job.delay ?? 0);
  return runNightlyJob(deps, data.job, data.day ?? previousJakartaDay(new Date(scheduledFor)));
}
