/**
 * The pull-orders queue. Thin: the work is in src/services/order-pull.ts; this translates its
 * failure decisions into BullMQ terms, and runs the scans that fan out one pull per connection.
 *
 * - throttled or the channel's circuit open: back to delayed without spending an attempt (the run
 *   stays open and the next run resumes from the cursor);
 * - retryable: rethrown, so BullMQ retries with backoff (the failed run is recorded);
 * - permanent: `UnrecoverableError`;
 * - reauth: the job ends; the connection waits for the crafter to reconnect.
 */
import { DelayedError, type Job, type Queue, UnrecoverableError } from 'bullmq';
import { PULL_JOB, pullOrdersJob, pullScanJob } from '../../src/queues/definitions.js';
import { queuePulls } from '../../src/queues/pulls.js';
import { isOpenCircuit } from '../../src/services/channel-runtime.js';
import {
  activeConnectionOfShop,
  connectionsToPull,
  type OrderPullDeps,
  type PullResult,
  pullConnectionOrders,
  RemotePullError,
  recordPullFailure,
} from '../../src/services/order-pull.js';

export interface PullProcessorDeps extends OrderPullDeps {
  /** How long an open circuit delays a job. */
  breakerOpenMs: number;
  /** The queue the scans add pulls to (the pull-orders queue itself). */
  pullQueue: Queue;
  /**
   * Shopee's lost pushes: the shop ids of pushes we missed, and a confirmation to call once the
   * pulls are queued. Undefined when Shopee is not configured.
   */
  shopeeLostPushes?: (() => Promise<{ shopIds: string[]; confirm(): Promise<void> }>) | undefined;
}

export type PullJobResult = PullResult | { task: string; queued: number };

export async function processPullOrders(
  deps: PullProcessorDeps,
  job: Job,
  token: string | undefined,
): Promise<PullJobResult> {
  if (job.name !== PULL_JOB) return runScan(deps, job);
  const data = pullOrdersJob.parse(job.data);
  try {
    return await pullConnectionOrders(deps, data);
  } catch (err) {
    const circuitOpen = err instanceof RemotePullError && isOpenCircuit(err.cause);
    const decision = await recordPullFailure(deps, data.connectionId, err, {
      circuitOpen,
      breakerOpenMs: deps.breakerOpenMs,
    });
    switch (decision.action) {
      case 'delay':
        await job.moveToDelayed(Date.now() + decision.waitMs, token);
        throw new DelayedError();
      case 'fail':
        throw new UnrecoverableError(decision.message);
      case 'done':
        return {
          connectionId: data.connectionId,
          outcome: 'skipped',
          reason: 'done',
          pages: 0,
          fetched: 0,
          inserted: 0,
          updated: 0,
        };
      default:
        throw err;
    }
  }
}

async function runScan(deps: PullProcessorDeps, job: Job): Promise<{ task: string; queued: number }> {
  const { task } = pullScanJob.parse(job.data);
  if (task === 'scan') {
    const ids = await connectionsToPull(deps.db);
    await queuePulls(deps.pullQueue, ids, 'schedule');
    return { task, queued: ids.length };
  }
  if (!deps.shopeeLostPushes) return { task, queued: 0 };
  // Read, queue the pulls, and only then confirm: a crash in between reads them again (pulls dedupe).
  const lost = await deps.shopeeLostPushes();
  const ids = new Set<string>();
  for (const shopId of new Set(lost.shopIds)) {
    const id = await activeConnectionOfShop(deps.db, 'shopee', shopId);
    if (id) ids.add(id);
  }
  await queuePulls(deps.pullQueue, [...ids], 'webhook');
  await lost.confirm();
  return { task, queued: ids.size };
}
