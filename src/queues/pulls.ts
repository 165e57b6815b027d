import type { Queue } from 'bullmq';
import { PULL_JOB, type PullOrdersJob, pullJobOptions } from './definitions.js';

/**
 * Adds one incremental pull per connection. Deduplicated per connection (`pullJobOptions`): however
 * many webhooks, retries and schedules fire, one pull waits per connection.
 */
export async function queuePulls(
  queue: Queue,
  connectionIds: readonly string[],
  reason: PullOrdersJob['reason'],
): Promise<void> {
  if (connectionIds.length === 0) return;
  await queue.addBulk(
    connectionIds.map((connectionId) => {
      const data: PullOrdersJob = { connectionId, reason };
      return { name: PULL_JOB, data, opts: pullJobOptions(data) };
    }),
  );
}
