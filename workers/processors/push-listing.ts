/**
 * The push job of one listing, on its channel's queue. Thin: the work is in
 * src/services/listing-push.ts; this translates its failure decisions into BullMQ terms.
 *
 * - throttled or the channel's circuit open: the job is moved back to delayed without spending an
 *   attempt (`moveToDelayed` + `DelayedError`);
 * - retryable: rethrown, so BullMQ retries with backoff and counts the attempt;
 * - permanent: `UnrecoverableError`, no retries (the listing is `failed` with the platform's reason);
 * - reauth: the job ends; the connection and its listings wait for the crafter to reconnect.
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { classifyChannelFailure } from '../../src/channels/failure.js';
import type { Channel } from '../../src/channels/types.js';
import { EDIT_JOB, pushListingJob, REVIEW_SWEEP_JOB, reviewSweepJob } from '../../src/queues/definitions.js';
import type { EditSpacing } from '../../src/queues/edit-spacing.js';
import { isOpenCircuit } from '../../src/services/channel-runtime.js';
import {
  type ListingPushDeps,
  type PushResult,
  pushListing,
  RemotePushError,
  recordPushFailure,
} from '../../src/services/listing-push.js';
import { type ReviewSweepResult, sweepReviews } from '../../src/services/review-sweep.js';

export interface PushMetrics {
  outcome(channel: Channel, outcome: string): void;
  throttle(channel: Channel, connectionId: string): void;
}

export interface PushProcessorDeps extends ListingPushDeps {
  channel: Channel;
  /** How long an open circuit delays a job. */
  breakerOpenMs: number;
  metrics?: PushMetrics;
  /** Leading-edge spacing of edit pushes per listing; without it every edit pushes at once. */
  editSpacing?: EditSpacing;
}

const DEFAULT_BACKOFF_MS = 2_000;

/**
 * A shop's review sweep (same queue, so the same call budget and circuit). A throttle or an open
 * circuit delays it without spending an attempt; anything else is retried, and the reconciler queues
 * the next sweep from Postgres anyway.
 */
export async function processReviewSweep(
  deps: PushProcessorDeps,
  job: Job,
  token: string | undefined,
): Promise<ReviewSweepResult> {
  const { connectionId } = reviewSweepJob.parse(job.data);
  try {
    return await sweepReviews(deps, connectionId);
  } catch (err) {
    const decision = classifyChannelFailure(err);
    const waitMs = isOpenCircuit(err)
      ? deps.breakerOpenMs
      : decision.kind === 'throttled'
        ? decision.waitMs
        : null;
    if (waitMs !== null && waitMs !== undefined) {
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
    if (decision.kind === 'permanent' || decision.kind === 'reauth') {
      throw new UnrecoverableError(decision.human?.en ?? 'The review sweep was refused.');
    }
    throw err;
  }
}

export async function processPushListing(
  deps: PushProcessorDeps,
  job: Job,
  token: string | undefined,
): Promise<PushResult | ReviewSweepResult> {
  if (job.name === REVIEW_SWEEP_JOB) return processReviewSweep(deps, job, token);
  const { listingId } = pushListingJob.parse(job.data);
  // Coalescing: an edit pushes at once unless a push of this listing ran within the window; then its
  // first run waits out the window, spending nothing, and edits relayed meanwhile are absorbed by it
  // (same deduplication id). Later runs (after that wait, a throttle, a retry) push without asking.
  if (job.name === EDIT_JOB && deps.editSpacing) {
    const waitMs = await deps.editSpacing.claim(listingId, job.attemptsStarted <= 1);
    if (waitMs > 0) {
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
  }
  try {
    const result = await pushListing(deps, listingId);
    deps.metrics?.outcome(deps.channel, result.outcome);
    return result;
  } catch (err) {
    const backoff = job.opts.backoff;
    const backoffMs = typeof backoff === 'number' ? backoff : (backoff?.delay ?? DEFAULT_BACKOFF_MS);
    const circuitOpen = err instanceof RemotePushError && isOpenCircuit(err.cause);
    const decision = await recordPushFailure(deps, listingId, err, {
      attemptsMade: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      backoffMs,
      ...(circuitOpen ? { circuitOpenMs: deps.breakerOpenMs } : {}),
    });
    switch (decision.action) {
      case 'delay':
        deps.metrics?.outcome(deps.channel, decision.reason);
        if (decision.reason === 'throttled') deps.metrics?.throttle(deps.channel, decision.connectionId);
        await job.moveToDelayed(Date.now() + decision.waitMs, token);
        throw new DelayedError();
      case 'fail':
        deps.metrics?.outcome(deps.channel, 'failed');
        throw new UnrecoverableError(decision.message);
      case 'done':
        deps.metrics?.outcome(deps.channel, 'reauth_required');
        return { listingId, outcome: 'reauth_required', remoteCalls: 0 };
      default:
        deps.metrics?.outcome(deps.channel, 'retryable');
        throw err;
    }
  }
}
