/**
 * Schedules, declared in code. `upsertJobScheduler` with fixed ids makes declaring them idempotent:
 * every worker process declares them at start and there is still one schedule of each.
 */
import type { Queue } from 'bullmq';
import {
  type ConnectionJob,
  type MaintenanceJob,
  type NightlyJob,
  type PullScanJob,
  SCHEDULE_TIMEZONE,
} from '../src/queues/definitions.js';

export const SCHEDULES: ReadonlyArray<{ id: string; pattern: string; data: MaintenanceJob }> = [
  // 02:10 and 02:20 Jakarta time: quiet hours for crafters and admins.
  { id: 'nightly:purge-idempotency-keys', pattern: '10 2 * * *', data: { task: 'purge-idempotency-keys' } },
  { id: 'nightly:purge-relayed-outbox', pattern: '20 2 * * *', data: { task: 'purge-relayed-outbox' } },
  {
    id: 'nightly:purge-connection-auth-states',
    pattern: '30 2 * * *',
    data: { task: 'purge-connection-auth-states' },
  },
];

export async function declareSchedules(maintenanceQueue: Queue): Promise<void> {
  for (const s of SCHEDULES) {
    await maintenanceQueue.upsertJobScheduler(
      s.id,
      { pattern: s.pattern, tz: SCHEDULE_TIMEZONE },
      { name: s.data.task, data: s.data },
    );
  }
}

/**
 * Every 10 minutes: queue a refresh for each connection whose access token expires within
 * TOKEN_REFRESH_LEAD_MINUTES (Shopee access tokens live 4 hours, TikTok Shop's about 7 days).
 */
export const CONNECTION_SCHEDULES: ReadonlyArray<{ id: string; pattern: string; data: ConnectionJob }> = [
  { id: 'connections:scan-token-refresh', pattern: '*/10 * * * *', data: { task: 'scan-token-refresh' } },
];

export async function declareConnectionSchedules(connectionsQueue: Queue): Promise<void> {
  for (const s of CONNECTION_SCHEDULES) {
    await connectionsQueue.upsertJobScheduler(
      s.id,
      { pattern: s.pattern, tz: SCHEDULE_TIMEZONE },
      { name: s.data.task, data: s.data },
    );
  }
}

/**
 * Inward sync: every `intervalMinutes`, queue an incremental pull of every active connection (each
 * deduplicated per connection, so a slow pull never piles up), and read Shopee's lost pushes.
 */
export function pullSchedules(
  intervalMinutes: number,
): ReadonlyArray<{ id: string; pattern: string; data: PullScanJob }> {
  return [
    { id: 'pulls:scan', pattern: `*/${intervalMinutes} * * * *`, data: { task: 'scan' } },
    // Shopee keeps lost pushes 3 days; every 10 minutes keeps webhook-triggered pulls prompt.
    { id: 'pulls:shopee-lost-push', pattern: '*/10 * * * *', data: { task: 'shopee-lost-push' } },
  ];
}

export async function declarePullSchedules(pullQueue: Queue, intervalMinutes: number): Promise<void> {
  for (const s of pullSchedules(intervalMinutes)) {
    await pullQueue.upsertJobScheduler(
      s.id,
      { pattern: s.pattern, tz: SCHEDULE_TIMEZONE },
      { name: s.data.task, data: s.data },
    );
  }
}

/**
 * The nightly jobs, Asia/Jakarta (WIB): the complete pull of the previous day first, the token
 * refresh before the read-back (which needs working tokens), the rollup rebuild last, after the
 * nightly pulls have written their late changes. Ids are fixed: every worker declares them at start
 * and there is still one scheduler of each.
 */
export const NIGHTLY_SCHEDULES: ReadonlyArray<{ id: string; pattern: string; data: NightlyJob }> = [
  { id: 'nightly:pull-previous-day', pattern: '30 0 * * *', data: { job: 'pull-previous-day' } },
  { id: 'nightly:refresh-tokens', pattern: '0 1 * * *', data: { job: 'refresh-tokens' } },
  { id: 'nightly:read-back', pattern: '30 1 * * *', data: { job: 'read-back' } },
  { id: 'nightly:rebuild-rollups', pattern: '0 3 * * *', data: { job: 'rebuild-rollups' } },
];

export async function declareNightlySchedules(nightlyQueue: Queue): Promise<void> {
  for (const s of NIGHTLY_SCHEDULES) {
    await nightlyQueue.upsertJobScheduler(
      s.id,
      { pattern: s.pattern, tz: SCHEDULE_TIMEZONE },
      // A nightly job that fails is retried a few times, then waits for the next night (or an operator).
      {
        name: s.data.job,
        data: s.data,
        opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
      },
    );
  }
}
