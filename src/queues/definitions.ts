/**
 * Queue names, job payload schemas and default job options. Job data carries ids and versions,
 * never credentials or catalogue snapshots: processors reload the current state from Postgres.
 */
import { z } from 'zod';
import type { Channel } from '../channels/types.js';

export const QUEUE = {
  /** Housekeeping on a schedule (Asia/Jakarta). */
  maintenance: 'maintenance',
  /** Channel connection upkeep: token refresh scans and one refresh job per due connection. */
  connections: 'connections',
  /**
   * Outward sync, one queue per channel so that a platform that fails or throttles only slows its
   * own queue: a TikTok failure never re-pushes to Shopee. One job per listing, coalesced.
   */
  pushShopee: 'push-shopee',
  pushTiktokShop: 'push-tiktok-shop',
  pushPartnerBrand: 'push-partner-brand',
  /**
   * Inward sync: one pull job per connection (and stream), triggered by the schedule, webhooks,
   * uploads and the nightly complete pull. Coalesced per connection, like pushes per listing.
   */
  pullOrders: 'pull-orders',
  /**
   * The nightly jobs (Asia/Jakarta): complete pull of the previous day, read-back repairing drift,
   * token refresh with a one-day horizon, rollup rebuild of days touched by late changes.
   */
  nightly: 'nightly',
  /** Outbound alert webhook deliveries (fed by the outbox: `alert.opened`, `alert.resolved`). */
  alertWebhooks: 'alert-webhooks',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

/** The push queue of each channel. */
export const PUSH_QUEUE: { readonly [C in Channel]: QueueName } = {
  shopee: QUEUE.pushShopee,
  tiktok_shop: QUEUE.pushTiktokShop,
  partner_brand: QUEUE.pushPartnerBrand,
};
export const PUSH_QUEUES: readonly QueueName[] = Object.values(PUSH_QUEUE);

/**
 * A push of one listing. The listing id only: the processor loads the current product, listing and
 * connection (and opens the credentials in memory) when it runs, so a job never carries a snapshot.
 */
export const pushListingJob = z.strictObject({ listingId: z.uuid() });
export type PushListingJob = z.infer<typeof pushListingJob>;

/**
 * The shortest spacing between two edit pushes of one listing (src/queues/edit-spacing.ts). The first
 * edit after a quiet spell is pushed at once; edits within the window after a push wait for its end
 * and go out together, so a burst (a crafter saving a form field by field, a CSV import) becomes a
 * push at its start and one per window after it. One second keeps 100 edits within a second at three
 * pushes at most, even when the burst stretches to nearly two seconds on a loaded machine, and an
 * edit that has to wait is still visible within 2 s.
 */
export const EDIT_COALESCE_MS = z.coerce
  .number()
  .int()
  .min(0)
  .max(10_000)
  .default(1_000)
  // Read here, not in loadConfig, so every process agrees without threading it through;
  // EDIT_COALESCE_MS in the environment tunes it (bench/outward measures the trade-off).
  .parse(process.env.EDIT_COALESCE_MS);
/**
 * The name of a push job caused by an edit: it asks the edit spacing before it pushes. Other pushes
 * (publish, resync, the reconciler) run at once.
 */
export const EDIT_JOB = 'edit';

/**
 * One waiting push per listing: later edits are absorbed by the waiting (or delayed) job, and an
 * edit relayed while the push runs gets exactly one more push after it (`keepLastIfActive`).
 */
export function pushJobOptions(listingId: string, delayMs = 0) {
  return {
    deduplication: { id: `listing:${listingId}`, keepLastIfActive: true },
    ...(delayMs > 0 ? { delay: delayMs } : {}),
  };
}

/**
 * The review sweep of one shop (src/services/review-sweep.ts), on its channel's push queue so it
 * shares the shop's call budget and circuit with the pushes. One waits per shop; one queued while
 * a sweep runs gets one more sweep after it.
 */
export const REVIEW_SWEEP_JOB = 'review-sweep';
export const reviewSweepJob = z.strictObject({ connectionId: z.uuid() });

/**
 * A sweep reads statuses nobody changed: it runs after every push that carries a change (BullMQ runs
 * jobs without a priority first), so a shop publishing thousands of items is not slowed by it.
 */
export const REVIEW_SWEEP_PRIORITY = 1000;

export function reviewSweepJobOptions(connectionId: string) {
  return {
    deduplication: { id: `review:${connectionId}`, keepLastIfActive: true },
    priority: REVIEW_SWEEP_PRIORITY,
  };
}

export const maintenanceJob = z.strictObject({
  task: z.enum(['purge-idempotency-keys', 'purge-relayed-outbox', 'purge-connection-auth-states']),
});
export type MaintenanceJob = z.infer<typeof maintenanceJob>;

/** Connection upkeep. Ids only: the processor loads (and decrypts) credentials itself. */
export const connectionJob = z.discriminatedUnion('task', [
  z.strictObject({ task: z.literal('scan-token-refresh') }),
  z.strictObject({ task: z.literal('refresh-token'), connectionId: z.uuid() }),
]);
export type ConnectionJob = z.infer<typeof connectionJob>;

/** Everything runs on Jakarta time: "night" means night in Tangerang Selatan. */
export const SCHEDULE_TIMEZONE = 'Asia/Jakarta';

export const defaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * A pull of one connection's orders. Without `window` it is incremental: from the stream's
 * watermark minus the overlap, to now. With `window` (the nightly complete pull of a Jakarta day) it
 * re-reads exactly that window and leaves the watermark alone. Incremental pulls are deduplicated as
 * `pull:<connectionId>` (one waiting per connection); windowed ones as `pull:<connectionId>:<from ISO>`
 * (BullMQ deduplication ids, see `pullJobOptions`: a custom job id would swallow later pulls).
 */
export const pullOrdersJob = z.strictObject({
  connectionId: z.uuid(),
  reason: z.enum(['schedule', 'webhook', 'nightly', 'manual', 'upload']),
  window: z.strictObject({ from: z.iso.datetime(), to: z.iso.datetime() }).optional(),
});
export type PullOrdersJob = z.infer<typeof pullOrdersJob>;

/**
 * The deduplication of pull jobs (BullMQ `deduplication`, not a custom `jobId`: a custom id would also
 * swallow every later pull while the finished job is kept). Incremental: `pull:<connectionId>`, so
 * however many webhooks and schedules fire, one pull waits per connection; one that arrives while the
 * pull runs gets exactly one more pull after it (`keepLastIfActive`), which sees the newer change.
 * Windowed (nightly): `pull:<connectionId>:<from ISO>`, once per window.
 */
export function pullJobOptions(data: PullOrdersJob) {
  const id = data.window ? `pull:${data.connectionId}:${data.window.from}` : `pull:${data.connectionId}`;
  return { deduplication: { id, keepLastIfActive: true } };
}

/** The name of a pull job on `QUEUE.pullOrders` (the same queue also carries the scans below). */
export const PULL_JOB = 'pull';

/**
 * Scans on the pull queue, declared as job schedulers: `scan` queues an incremental pull of every
 * active connection; `shopee-lost-push` reads Shopee's lost pushes and queues pulls for those shops.
 */
export const pullScanJob = z.strictObject({ task: z.enum(['scan', 'shopee-lost-push']) });
export type PullScanJob = z.infer<typeof pullScanJob>;
/** One delivery of an alert event to the outbound webhook. The processor reads the alert's current row. */
export const alertWebhookJob = z.strictObject({
  alertId: z.number().int().min(1),
  event: z.enum(['opened', 'resolved']),
});
export type AlertWebhookJob = z.infer<typeof alertWebhookJob>;

/** The custom backoff of alert deliveries (the worker computes it from ALERT_WEBHOOK_RETRY_BASE_MS). */
export const ALERT_WEBHOOK_BACKOFF = 'alert-webhook';

/**
 * A receiver that is down for hours still gets every alert: 15 attempts, the delay doubling from
 * ALERT_WEBHOOK_RETRY_BASE_MS up to an hour between attempts (about 6 hours in all by default).
 */
export const alertWebhookJobOptions = {
  attempts: 15,
  backoff: { type: ALERT_WEBHOOK_BACKOFF },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

export const NIGHTLY_JOBS = ['pull-previous-day', 'read-back', 'refresh-tokens', 'rebuild-rollups'] as const;
export type NightlyJobName = (typeof NIGHTLY_JOBS)[number];

/**
 * A nightly job. Scheduled runs carry no `day`: the night is the Jakarta day before the job was
 * scheduled to run. Operators (and tests) may name the night (`npm run nightly -- <job> --day …`).
 */
export const nightlyJob = z.strictObject({
  job: z.enum(NIGHTLY_JOBS),
  day: z.iso.date().optional(),
});
export type NightlyJob = z.infer<typeof nightlyJob>;
