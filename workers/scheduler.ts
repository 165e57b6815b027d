/**
 * Schedules, declared in code. `upsertJobScheduler` with fixed ids makes declaring them idempotent:
 * every worker process declares them at start and there is still one schedule of each.
 */
import type { Queue } from 'bullmq';
import {
  type ConnectionJob,
  type MaintenanceJob,
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
