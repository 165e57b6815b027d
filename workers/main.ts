/**
 * Worker entry point: `npm run worker` (dev) or `node dist/workers/main.js` (production). Runs the
 * outbox relay, the queue processors and declares the schedules. Many can run at once.
 */
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { createShopeeLostPushClient } from '../src/channels/shopee/index.js';
import type { Channel } from '../src/channels/types.js';
import { loadConfigOrExit } from '../src/config/env.js';
import { createDatabase } from '../src/db/client.js';
import { listenForNotifications } from '../src/db/notification-listener.js';
import { circuitKey } from '../src/http/metrics-collectors.js';
import { createLogger } from '../src/lib/logger.js';
import { createQueueRedis } from '../src/lib/redis.js';
import { OUTBOX_PENDING_CHANNEL, startOutboxRelay } from '../src/outbox/relay.js';
import { createQueue } from '../src/queues/connection.js';
import { EDIT_COALESCE_MS, PUSH_QUEUE, QUEUE } from '../src/queues/definitions.js';
import { createEditSpacing } from '../src/queues/edit-spacing.js';
import { createChannelRuntime } from '../src/services/channel-runtime.js';
import { startListingReconciler } from '../src/services/listing-reconciler.js';
import { nightlyDepsOf } from '../src/services/nightly.js';
import { alertWebhookWorkerSettings, processAlertWebhook } from './processors/alert-webhook.js';
import { processConnectionJob } from './processors/connections.js';
import { processMaintenance } from './processors/maintenance.js';
import { processNightly } from './processors/nightly.js';
import { processPullOrders } from './processors/pull-orders.js';
import { processPushListing } from './processors/push-listing.js';
import {
  declareConnectionSchedules,
  declareNightlySchedules,
  declarePullSchedules,
  declareSchedules,
} from './scheduler.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker');
const database = createDatabase(config.databaseUrl, { max: config.databasePoolMax });
const connection = createQueueRedis(config.redisUrl);
const prefix = config.queuePrefix;

const maintenanceQueue = createQueue(QUEUE.maintenance, connection, prefix);
const connectionsQueue = createQueue(QUEUE.connections, connection, prefix);
const pullQueue = createQueue(QUEUE.pullOrders, connection, prefix);
const alertWebhookQueue = createQueue(QUEUE.alertWebhooks, connection, prefix);
const nightlyQueue = createQueue(QUEUE.nightly, connection, prefix);
await declareSchedules(maintenanceQueue);
await declareConnectionSchedules(connectionsQueue);
await declarePullSchedules(pullQueue, config.pulls.intervalMinutes);
await declareNightlySchedules(nightlyQueue);
const refreshDeps = {
  db: database.db,
  channels: config.channels,
  keyring: config.credentialsKeyring,
  leadMinutes: config.tokenRefreshLeadMinutes,
  log,
};

// Recorded on each job it processes (`processedBy`), so the dashboard shows which process ran a push.
const workerName = `${hostname()}:${process.pid}`;
const pushQueues = Object.values(PUSH_QUEUE).map((name) => createQueue(name, connection, prefix));
const runtime = createChannelRuntime({
  db: database.db,
  redis: connection,
  prefix,
  channels: config.channels,
  imagePolicy: {
    maxBytes: 5_000_000,
    timeoutMs: config.channels.httpTimeoutMs,
    // Crafters' photo URLs are public; only the configured sandbox is reachable privately (demo, test).
    allowedPrivateOrigins:
      config.mode !== 'production' && config.sandboxUrl ? [new URL(config.sandboxUrl).origin] : [],
  },
  // Seen by the API's metrics (kriya_channel_circuit_open); expires by itself if this worker dies.
  onCircuit: (channel, open) => {
    const key = circuitKey(prefix, channel);
    const write = open ? connection.set(key, '1', 'PX', 60_000) : connection.del(key);
    write.catch(() => {});
    log.warn({ channel, open }, open ? 'channel circuit opened' : 'channel circuit closed');
  },
});
const editSpacing = createEditSpacing(connection, prefix, EDIT_COALESCE_MS);
const pushWorkers = (Object.keys(PUSH_QUEUE) as Channel[]).map(
  (channel) =>
    new Worker(
      PUSH_QUEUE[channel],
      (job, token) =>
        processPushListing(
          {
            db: database.db,
            adapters: runtime.adapters,
            guard: runtime.guard,
            keyring: config.credentialsKeyring,
            partnerBrandBaseUrl: config.channels.partnerBrand?.baseUrl,
            log,
            channel,
            breakerOpenMs: runtime.breakerOpenMs,
            editSpacing,
          },
          job,
          token,
        ),
      { connection, prefix, concurrency: config.pushConcurrency, name: workerName },
    ),
);

// Shopee's lost pushes (partner-level calls), read by the `pulls:shopee-lost-push` schedule.
const shopeeLostPush = config.channels.shopee
  ? createShopeeLostPushClient({
      baseUrl: config.channels.shopee.baseUrl,
      partnerId: config.channels.shopee.partnerId,
      partnerKey: config.channels.shopee.partnerKey,
      timeoutMs: config.channels.httpTimeoutMs,
    })
  : undefined;
const pullWorker = new Worker(
  QUEUE.pullOrders,
  (job, token) =>
    processPullOrders(
      {
        db: database.db,
        adapters: runtime.adapters,
        guard: runtime.guard,
        keyring: config.credentialsKeyring,
        partnerBrandBaseUrl: config.channels.partnerBrand?.baseUrl,
        pulls: config.pulls,
        log,
        breakerOpenMs: runtime.breakerOpenMs,
        pullQueue,
        shopeeLostPush,
      },
      job,
      token,
    ),
  // Pulls of different shops run side by side; each shop's calls still share its budget.
  { connection, prefix, concurrency: 5 },
);

const nightlyWorker = new Worker(
  QUEUE.nightly,
  (job) => processNightly(nightlyDepsOf({ db: database.db, pullQueue, runtime, config, log }), job),
  // Hours long at most, one at a time per worker; a stalled one (worker gone) runs again.
  { connection, prefix, concurrency: 1, lockDuration: 300_000 },
);

const workers = [
  ...pushWorkers,
  pullWorker,
  nightlyWorker,
  new Worker(QUEUE.maintenance, (job) => processMaintenance(database.db, job), {
    connection,
    prefix,
    concurrency: 1,
  }),
  new Worker(QUEUE.connections, (job) => processConnectionJob(refreshDeps, connectionsQueue, job), {
    connection,
    prefix,
    concurrency: 5,
    name: workerName,
  }),
  new Worker(
    QUEUE.alertWebhooks,
    (job) => processAlertWebhook({ db: database.db, config: config.alertWebhook }, job),
    {
      connection,
      prefix,
      concurrency: 5,
      settings: alertWebhookWorkerSettings(config.alertWebhook),
    },
  ),
];
for (const w of workers) {
  w.on('failed', (job, err) => log.warn({ queue: w.name, jobId: job?.id, err: err.message }, 'job failed'));
  w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
}
const relay = startOutboxRelay(database.db, [maintenanceQueue, alertWebhookQueue, pullQueue, ...pushQueues], {
  onError: (err) =>
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'outbox relay failed; backing off'),
  onDeadLetter: (count) =>
    log.error({ count }, 'outbox rows dead-lettered (see GET /v1/ops/outbox/dead-letters)'),
});
// A commit that writes outbox rows wakes the relay at once (NOTIFY); its poll covers the times when
// the LISTEN connection is down, and a (re)connect relays whatever was missed.
const outboxListener = config.outboxListen
  ? listenForNotifications(config.databaseUrl, OUTBOX_PENDING_CHANNEL, {
      onNotify: () => relay.wake(),
      onListening: () => relay.wake(),
      onError: (err) =>
        log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'outbox LISTEN unavailable; the relay polls until it is back',
        ),
    })
  : undefined;
// Work lost with Redis, or never relayed, still goes out: the reconciler reads Postgres only.
const reconciler = startListingReconciler(database.db, pushQueues, {
  onError: (err) =>
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'listing reconciler failed'),
});

let closing = false;
const SHUTDOWN_GRACE_MS = 5_000;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'worker shutting down');
  // A job in flight can hold close() for as long as its calls take (a platform or Postgres that went
  // away first). Every job is idempotent and an interrupted one is picked up again as stalled, so after
  // a bounded grace the worker exits rather than keep its supervisor waiting.
  setTimeout(() => {
    log.warn(
      { graceMs: SHUTDOWN_GRACE_MS },
      'worker did not close in time; exiting (interrupted jobs run again)',
    );
    process.exit(0);
  }, SHUTDOWN_GRACE_MS).unref();
  await outboxListener?.stop();
  await relay.stop();
  await reconciler.stop();
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(
    [maintenanceQueue, connectionsQueue, alertWebhookQueue, pullQueue, nightlyQueue, ...pushQueues].map((q) =>
      q.close(),
    ),
  );
  connection.disconnect();
  await database.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// Last: a supervisor may send SIGTERM as soon as it reads this line, and the handlers above must be in place.
log.info({ queues: Object.values(QUEUE), prefix, workerName }, 'worker started');
