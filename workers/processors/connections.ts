import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import { connectionJob } from '../../src/queues/definitions.js';
import {
  connectionsDueForRefresh,
  type RefreshOutcome,
  refreshConnectionToken,
  type TokenRefreshDeps,
  TokenRefreshRejectedError,
} from '../../src/services/token-refresh.js';

/** A scan bucket in job ids: one refresh job per connection per scan, however often the scan runs. */
const SCAN_BUCKET_MS = 10 * 60_000;

/**
 * Connection upkeep. The scan only queues ids; each refresh job re-checks under the connection's
 * lease, so duplicate or late jobs do nothing. A transient failure is rethrown for BullMQ's backoff;
 * a permanent one is recorded on the connection and ends the job at once.
 */
export async function processConnectionJob(
  deps: TokenRefreshDeps,
  connectionsQueue: Queue,
  job: Job,
): Promise<{ task: string; queued?: number; outcome?: RefreshOutcome }> {
  const data = connectionJob.parse(job.data);
  switch (data.task) {
    case 'scan-token-refresh': {
      const due = await connectionsDueForRefresh(deps);
      const bucket = Math.floor(Date.now() / SCAN_BUCKET_MS);
      await connectionsQueue.addBulk(
        due.map((c) => ({
          name: 'refresh-token',
          data: { task: 'refresh-token' as const, connectionId: c.id },
          opts: { jobId: `refresh-token:${c.id}:${bucket}` },
        })),
      );
      return { task: data.task, queued: due.length };
    }
    case 'refresh-token': {
      try {
        return { task: data.task, outcome: await refreshConnectionToken(deps, data.connectionId) };
      } catch (err) {
        if (err instanceof TokenRefreshRejectedError) throw new UnrecoverableError(err.message);
        throw err;
      }
    }
  }
}
