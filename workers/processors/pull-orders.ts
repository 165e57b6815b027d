/**
 * The pull-orders queue. Thin: the work is in src/services/order-pull.ts; this translates its
 * failure decisions into BullMQ terms, and runs the scans that fan out one pull per connection.
 *
 * - throttled or the channel's circuit open: back to delayed without spending an attempt (the run
 *   stays open and the next run resumes from the cursor);
 * - retryable: rethrown, so BullMQ retries with backoff; the run stays open until the last attempt
 *   fails it;
 * - permanent: `UnrecoverableError`;
 * - reauth: the job ends; the connection waits for the crafter to reconnect.
 */
import { DelayedError, type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { ShopeeLostPushClient } from '../../src/channels/shopee/index.js';
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
  /** Shopee's lost-push endpoints; undefined when Shopee is not configured. */
  shopeeLostPush?: ShopeeLostPushClient | undefined;
}

const LOST_PUSH_MAX_PAGES = 20;

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
      // This attempt was the last: the run fails (and counts towards `pull_failing`).
      exhausted: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
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
  if (!deps.shopeeLostPush) return { task, queued: 0 };
  // Read a page, queue the pulls, and only then confirm it: a crash in between reads it again, and
  // the pulls are deduplicated per connection. Bounded: Shopee keeps 3 days, 100 a page.
  const ids = new Set<string>();
  for (let page = 0; page < LOST_PUSH_MAX_PAGES; page += 1) {
    const lost = await deps.shopeeLostPush.getLostPushMessages();
    const found: string[] = [];
    for (const shopId of new Set(lost.messages.map((m) => m.shopId))) {
      const id = await activeConnectionOfShop(deps.db, 'shopee', shopId);
      if (id) found.push(id);
    }
    await queuePulls(deps.pullQueue, found, 'webhook');
    for (const id of found) ids.add(id);
    if (lost.lastMessageId > 0) await deps.shopeeLostPush.confirmConsumed(lost.lastMessageId);
    if (!lost.hasNextPage) break;
  }
  return { task, queued: ids.size };
}
