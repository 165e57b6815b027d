/**
 * Pulling one connection's orders: the inward half of the sync.
 *
 * A pull covers a window of platform update times. Incremental pulls (schedule, webhooks, manual) run
 * from the stream's watermark minus an overlap to now; a connection's first pull reaches back
 * `initialLookbackDays`. Windowed pulls (the nightly complete pull of a Jakarta day) read exactly the
 * window they are given and leave the watermark alone.
 *
 * Pages of orders are ingested in ONE transaction with the move of the cursor and the run's counts,
 * several pages at a time (`PULL_INGEST_BATCH_ORDERS`, 500 orders by default):
 * the cursor row (`channel_sync_cursors`) holds the window being pulled and the adapter's paging state,
 * so a pull that crashes half-way resumes at the page after the last one committed, and a replayed page
 * changes nothing (ingest is idempotent). The watermark moves to the window's end only with the last
 * page. Every pull leaves a `channel_pull_runs` row that says how it ended; the sales views'
 * completeness section and the nightly summaries read those rows, so a failed pull is never recorded
 * as a succeeded one.
 *
 * Ownership: the worker that claims a pull writes a fresh owner id into the cursor; every page's
 * transaction moves the cursor only if it still holds that owner, so a stalled worker that wakes up
 * after another took over rolls back its page instead of interleaving with it.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import { classifyChannelFailure } from '../channels/failure.js';
import type {
  CanonicalOrder,
  Channel,
  ChannelAdapter,
  ConnectionContext,
  HumanMessage,
  OrderPage,
  PullCursor,
  PullWindow,
} from '../channels/types.js';
import { ChannelFailure } from '../channels/types.js';
import type { PullsConfig } from '../config/env.js';
import type { Database, DbOrTx } from '../db/client.js';
import { channelConnections, channelPullRuns, channelSyncCursors } from '../db/schema/index.js';
import { ConflictError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Keyring } from '../lib/secrets.js';
import { enqueueOutbox } from '../outbox/enqueue.js';
import type { PullOrdersJob } from '../queues/definitions.js';
import { raiseAlert, resolveAlert } from './alerts.js';
import { type ConnectionRow, findConnectionInScope } from './connections.js';
import type { ServiceContext } from './context.js';
import { connectionContext } from './listing-push.js';
import { ingestOrders } from './order-ingest.js';
import { markConnectionReauthRequired } from './token-refresh.js';

/** The stream name of orders in `channel_sync_cursors` and `channel_pull_runs`. */
export const ORDERS_STREAM = 'orders';

export interface OrderPullDeps {
  db: Database;
  adapters: Partial<Record<Channel, ChannelAdapter>>;
  keyring: Keyring;
  partnerBrandBaseUrl?: string | undefined;
  /** Runs one remote call (the channel's circuit breaker); defaults to calling it. */
  guard?: <T>(channel: Channel, call: () => Promise<T>) => Promise<T>;
  pulls: PullsConfig;
  log?: Logger | undefined;
  now?: () => Date;
  /** Test seam: runs after each batch's transaction committed, with the pages committed so far. */
  afterPage?: (page: number) => Promise<void> | void;
}

/** What the cursor row holds while a pull is under way. */
interface ResumeState {
  runId: string;
  owner: string;
  window: { from: string; to: string };
  next: PullCursor | null;
}

export interface PullResult {
  connectionId: string;
  outcome: 'succeeded' | 'skipped';
  /** Why nothing was pulled (`skipped`). */
  reason?: string;
  runId?: string;
  window?: { from: string; to: string };
  pages: number;
  fetched: number;
  inserted: number;
  updated: number;
}

/** A failure of the remote call (as opposed to our own database or code), with the run it ended. */
export class RemotePullError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly runId: string,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'RemotePullError';
  }
}

/** A failure of our own side during a claimed run (database, ingest, code). */
export class LocalPullError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly runId: string,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'LocalPullError';
  }
}

/** Another worker took this pull over (this one stalled): nothing of this page was committed. */
export class PullSupersededError extends Error {
  constructor() {
    super('another worker took this pull over');
    this.name = 'PullSupersededError';
  }
}

function cursorStream(job: PullOrdersJob): string {
  // Windowed pulls keep their paging apart from the incremental stream, one row per window.
  return job.window ? `${ORDERS_STREAM}@${job.window.from}` : ORDERS_STREAM;
}

function readResume(value: unknown): ResumeState | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<ResumeState>;
  if (typeof v.runId !== 'string' || typeof v.window?.from !== 'string' || typeof v.window.to !== 'string')
    return null;
  return {
    runId: v.runId,
    owner: typeof v.owner === 'string' ? v.owner : '',
    window: { from: v.window.from, to: v.window.to },
    next: typeof v.next === 'object' && v.next !== null ? (v.next as PullCursor) : null,
  };
}

const CHANNEL_LABEL: Record<Channel, string> = {
  shopee: 'Shopee',
  tiktok_shop: 'Tokopedia (TikTok Shop)',
  partner_brand: 'The partner brand',
};

/** The error a run keeps, in plain words (English; the platform code in brackets for operators). */
function runError(human: HumanMessage, platformCode?: string): string {
  return (platformCode ? `${human.en} [${platformCode}]` : human.en).slice(0, 1000);
}

/**
 * Claims the pull: decides its window (resuming one a crashed or failed pull left half-way), opens
 * or resumes its run row, and writes this worker's owner id into the cursor. One transaction, under
 * the cursor row's lock.
 */
async function claimPull(
  deps: OrderPullDeps,
  connection: ConnectionRow,
  job: PullOrdersJob,
  owner: string,
): Promise<ResumeState> {
  const now = deps.now?.() ?? new Date();
  const stream = cursorStream(job);
  return deps.db.transaction(async (tx) => {
    await tx.insert(channelSyncCursors).values({ connectionId: connection.id, stream }).onConflictDoNothing();
    const [row] = await tx
      .select()
      .from(channelSyncCursors)
      .where(and(eq(channelSyncCursors.connectionId, connection.id), eq(channelSyncCursors.stream, stream)))
      .for('update');
    const stored = readResume(row?.cursor);
    let window: ResumeState['window'];
    let next: PullCursor | null = null;
    let runId: string | undefined;
    if (stored) {
      // A pull stopped half-way (crash, failure, throttle): finish that window from where it stopped.
      window = stored.window;
      next = stored.next;
      const [run] = await tx
        .select({ status: channelPullRuns.status })
        .from(channelPullRuns)
        .where(eq(channelPullRuns.id, stored.runId));
      if (run?.status === 'running') runId = stored.runId;
    } else if (job.window) {
      window = job.window;
    } else {
      const overlapMs = deps.pulls.overlapMinutes * 60_000;
      const from = row?.watermark
        ? new Date(row.watermark.getTime() - overlapMs)
        : new Date(now.getTime() - deps.pulls.initialLookbackDays * 86_400_000);
      window = { from: from.toISOString(), to: now.toISOString() };
    }
    if (!runId) {
      const [run] = await tx
        .insert(channelPullRuns)
        .values({
          connectionId: connection.id,
          stream: ORDERS_STREAM,
          reason: job.reason,
          windowFrom: new Date(window.from),
          windowTo: new Date(window.to),
        })
        .returning({ id: channelPullRuns.id });
      runId = (run as { id: string }).id;
    }
    const state: ResumeState = { runId, owner, window, next };
    await tx
      .update(channelSyncCursors)
      .set({ cursor: state as unknown as Record<string, unknown>, updatedAt: sql`now()` })
      .where(and(eq(channelSyncCursors.connectionId, connection.id), eq(channelSyncCursors.stream, stream)));
    return state;
  });
}

/** Pulls one connection's orders for the job's window, page by page. Throws `RemotePullError` etc. */
export async function pullConnectionOrders(deps: OrderPullDeps, job: PullOrdersJob): Promise<PullResult> {
  const { db } = deps;
  const [connection] = await db
    .select()
    .from(channelConnections)
    .where(eq(channelConnections.id, job.connectionId));
  const empty = { connectionId: job.connectionId, pages: 0, fetched: 0, inserted: 0, updated: 0 };
  if (!connection) return { ...empty, outcome: 'skipped', reason: 'connection_not_found' };
  // A shop waiting for re-authorization or disconnected is not pulled: its days show as "no data".
  if (connection.status !== 'active') return { ...empty, outcome: 'skipped', reason: connection.status };

  const owner = randomUUID();
  const stream = cursorStream(job);
  const state = await claimPull(deps, connection, job, owner);
  const window: PullWindow = { from: new Date(state.window.from), to: new Date(state.window.to) };
  const result: PullResult = { ...empty, outcome: 'succeeded', runId: state.runId, window: state.window };
  const adapter = deps.adapters[connection.channel];
  const guard = deps.guard ?? (<U>(_c: Channel, fn: () => Promise<U>) => fn());
  const ingestConnection = {
    connectionId: connection.id,
    channel: connection.channel,
    crafterId: connection.crafterId,
  };
  const cursorWhere = and(
    eq(channelSyncCursors.connectionId, connection.id),
    eq(channelSyncCursors.stream, stream),
    sql`${channelSyncCursors.cursor}->>'owner' = ${owner}`,
  );

  let next = state.next;
  const batchOrders = Math.max(1, deps.pulls.ingestBatchOrders);
  for (;;) {
    // Gather pages until the batch is full or the window ends; a platform failure part-way stores the
    // pages already read before it is thrown, so a failing page never costs the ones before it.
    const batch: CanonicalOrder[] = [];
    let pages = 0;
    let after: PullCursor | null = next;
    let last = false;
    let remoteError: RemotePullError | undefined;
    while (!last && batch.length < batchOrders) {
      let page: OrderPage;
      try {
        if (!adapter) {
          throw new ChannelFailure('permanent', 'channel_not_configured', {
            en: `${CHANNEL_LABEL[connection.channel]} is not configured on this server; an operator must configure it.`,
            id: `${CHANNEL_LABEL[connection.channel]} belum dikonfigurasi di server ini; operator harus mengonfigurasinya.`,
          });
        }
        const ctx: ConnectionContext = connectionContext(deps, connection);
        const cursor = after;
        page = await guard(connection.channel, () => adapter.pullOrders(ctx, window, cursor));
      } catch (err) {
        remoteError = new RemotePullError(err, state.runId);
        break;
      }
      for (const order of page.orders) batch.push(order);
      pages += 1;
      after = page.next;
      last = page.next === null;
    }
    if (pages === 0) throw remoteError;
    try {
      await db.transaction(async (tx) => {
        const summary = await ingestOrders(tx, ingestConnection, batch);
        const resume: ResumeState = { ...state, next: after };
        // Only while this worker still owns the pull; a windowed pull's row goes with its last page.
        const moved =
          last && job.window
            ? await tx
                .delete(channelSyncCursors)
                .where(cursorWhere)
                .returning({ stream: channelSyncCursors.stream })
            : await tx
                .update(channelSyncCursors)
                .set({
                  cursor: last ? null : (resume as unknown as Record<string, unknown>),
                  ...(last
                    ? {
                        // The window's end, not the newest order seen: a quiet shop still moves on.
                        watermark: sql`greatest(${channelSyncCursors.watermark}, ${window.to.toISOString()}::timestamptz)`,
                        lastSuccessAt: sql`now()`,
                      }
                    : {}),
                  updatedAt: sql`now()`,
                })
                .where(cursorWhere)
                .returning({ stream: channelSyncCursors.stream });
        if (moved.length === 0) throw new PullSupersededError();
        await tx
          .update(channelPullRuns)
          .set({
            fetched: sql`${channelPullRuns.fetched} + ${summary.fetched}`,
            inserted: sql`${channelPullRuns.inserted} + ${summary.inserted}`,
            updated: sql`${channelPullRuns.updated} + ${summary.updated}`,
            ...(last ? { status: 'succeeded' as const, error: null, finishedAt: sql`now()` } : {}),
          })
          .where(eq(channelPullRuns.id, state.runId));
        result.fetched += summary.fetched;
        result.inserted += summary.inserted;
        result.updated += summary.updated;
      });
    } catch (err) {
      if (err instanceof PullSupersededError) throw err;
      throw new LocalPullError(err, state.runId);
    }
    result.pages += pages;
    if (remoteError) throw remoteError;
    await deps.afterPage?.(result.pages);
    if (last) break;
    next = after;
  }
  try {
    await resolveAlert(db, `pull_failing:${connection.id}`);
  } catch (err) {
    deps.log?.warn({ connectionId: connection.id, err: (err as Error).message }, 'could not resolve alert');
  }
  return result;
}

/** What the processor does after a failed pull. */
export type PullFailureAction =
  /** Wait `waitMs` without spending an attempt (throttle, open circuit); the run stays open. */
  | { action: 'delay'; waitMs: number; reason: 'throttled' | 'circuit_open' }
  /** Rethrow: BullMQ retries with backoff and counts the attempt. */
  | { action: 'retry' }
  /** Stop for good (UnrecoverableError). */
  | { action: 'fail'; message: string }
  /** Nothing more to do in this job (superseded, or the connection needs re-authorization). */
  | { action: 'done' };

/** A retry is coming: the run stays open (the retry resumes it) and says what went wrong meanwhile. */
async function noteRunError(db: DbOrTx, runId: string, error: string): Promise<void> {
  await db
    .update(channelPullRuns)
    .set({ error })
    .where(and(eq(channelPullRuns.id, runId), eq(channelPullRuns.status, 'running')));
}

async function failRun(db: DbOrTx, runId: string, error: string): Promise<void> {
  await db
    .update(channelPullRuns)
    .set({ status: 'failed', error, finishedAt: sql`now()` })
    .where(and(eq(channelPullRuns.id, runId), eq(channelPullRuns.status, 'running')));
}

/**
 * Raises `pull_failing` once the connection's last `failureAlertAfter` finished pulls all failed.
 * Uploads are not pulls and do not count.
 */
async function alertIfFailingRepeatedly(
  deps: OrderPullDeps,
  connection: Pick<ConnectionRow, 'id' | 'channel' | 'crafterId'>,
  error: string,
): Promise<void> {
  const n = deps.pulls.failureAlertAfter;
  const recent = await deps.db
    .select({ status: channelPullRuns.status })
    .from(channelPullRuns)
    .where(
      and(
        eq(channelPullRuns.connectionId, connection.id),
        ne(channelPullRuns.reason, 'upload'),
        ne(channelPullRuns.status, 'running'),
      ),
    )
    .orderBy(desc(channelPullRuns.startedAt))
    .limit(n);
  if (recent.length < n || recent.some((r) => r.status !== 'failed')) return;
  const label = CHANNEL_LABEL[connection.channel];
  try {
    await raiseAlert(deps.db, {
      kind: 'pull_failing',
      crafterId: connection.crafterId,
      dedupeKey: `pull_failing:${connection.id}`,
      message: {
        en: `${label}: the last ${n} pulls of this shop's orders failed (${error}). Its sales are missing until a pull succeeds.`,
        id: `${label}: ${n} penarikan pesanan terakhir toko ini gagal (${error}). Penjualannya belum tercatat sampai penarikan berhasil.`,
      },
      subject: { connectionId: connection.id },
    });
  } catch (err) {
    deps.log?.error({ connectionId: connection.id, err: (err as Error).message }, 'could not raise alert');
  }
}

const INTERNAL_ERROR: HumanMessage = {
  en: 'The pull stopped on an internal error; it will be tried again.',
  id: 'Penarikan berhenti karena kesalahan internal; akan dicoba lagi.',
};

/**
 * Records a failed pull and says what to do with the job. A throttle or an open circuit leaves the run
 * open: the delayed job resumes it from its cursor. A retryable failure (the platform's, or our own)
 * keeps the run open while the job has attempts left, with the error noted, and fails it when they are
 * spent: one failed run per pull that gave up, so `failureAlertAfter` counts pulls, not retries. A
 * refusal (permanent, reauth) fails the run at once.
 */
export async function recordPullFailure(
  deps: OrderPullDeps,
  connectionId: string,
  err: unknown,
  context: { circuitOpen: boolean; breakerOpenMs: number; exhausted: boolean },
): Promise<PullFailureAction> {
  if (err instanceof PullSupersededError) return { action: 'done' };
  const runId = err instanceof RemotePullError || err instanceof LocalPullError ? err.runId : undefined;
  const [connection] = await deps.db
    .select()
    .from(channelConnections)
    .where(eq(channelConnections.id, connectionId));
  const retry = async (error: string, human: string): Promise<PullFailureAction> => {
    if (!runId) return { action: 'retry' };
    if (!context.exhausted) {
      await noteRunError(deps.db, runId, error);
      return { action: 'retry' };
    }
    await failRun(deps.db, runId, error);
    if (connection) await alertIfFailingRepeatedly(deps, connection, human);
    return { action: 'retry' };
  };
  if (!(err instanceof RemotePullError)) {
    // Our own failure (database, ingest): BullMQ retries, resuming from the cursor.
    deps.log?.error({ connectionId, err: err instanceof Error ? err.message : String(err) }, 'pull failed');
    return retry(runError(INTERNAL_ERROR), INTERNAL_ERROR.en);
  }
  if (context.circuitOpen) return { action: 'delay', waitMs: context.breakerOpenMs, reason: 'circuit_open' };
  const decision = classifyChannelFailure(err.cause);
  const error = runError(decision.human, decision.platformCode);
  switch (decision.kind) {
    case 'throttled':
      return { action: 'delay', waitMs: decision.waitMs ?? 1_000, reason: 'throttled' };
    case 'reauth':
      await failRun(deps.db, err.runId, error);
      if (connection) {
        await markConnectionReauthRequired(deps.db, connection, {
          code: `pull_reauth:${decision.platformCode}`.slice(0, 200),
          detail: decision.human.en,
        });
      }
      deps.log?.warn(
        { connectionId, platformCode: decision.platformCode },
        'platform refused the shop authorization on a pull: connection needs re-authorization',
      );
      return { action: 'done' };
    case 'retryable':
      return retry(error, decision.human.en);
    default:
      await failRun(deps.db, err.runId, error);
      if (connection) await alertIfFailingRepeatedly(deps, connection, decision.human.en);
      return { action: 'fail', message: decision.human.en };
  }
}

/** Ids of every connection the schedule pulls. */
export async function connectionsToPull(db: Database): Promise<string[]> {
  const rows = await db
    .select({ id: channelConnections.id })
    .from(channelConnections)
    .where(eq(channelConnections.status, 'active'));
  return rows.map((r) => r.id);
}

/** The active connection of a platform shop (webhooks name shops by the platform's id), if any. */
export async function activeConnectionOfShop(
  db: Database,
  channel: Exclude<Channel, 'partner_brand'>,
  externalShopId: string,
): Promise<string | null> {
  const [row] = await db
    .select({ id: channelConnections.id })
    .from(channelConnections)
    .where(
      and(
        eq(channelConnections.channel, channel),
        eq(channelConnections.externalShopId, externalShopId),
        eq(channelConnections.status, 'active'),
      ),
    )
    .limit(1);
  return row?.id ?? null;
}

/** One pull run as the API shows it. */
export interface PullRunView {
  id: string;
  reason: PullRunRow['reason'];
  status: PullRunRow['status'];
  windowFrom: Date;
  windowTo: Date;
  fetched: number;
  inserted: number;
  updated: number;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

type PullRunRow = typeof channelPullRuns.$inferSelect;

/**
 * The pulls (and uploads) of one connection in the caller's scope, newest first: what each covered
 * and how it ended, in plain words. Paged by (started_at, id).
 */
export async function listPullRuns(
  ctx: ServiceContext,
  connectionId: string,
  query: { limit: number; before?: { startedAt: string; id: string } | undefined },
): Promise<PullRunView[]> {
  await findConnectionInScope(ctx.db, ctx, connectionId);
  const rows = await ctx.db
    .select()
    .from(channelPullRuns)
    .where(
      and(
        eq(channelPullRuns.connectionId, connectionId),
        query.before
          ? sql`(${channelPullRuns.startedAt}, ${channelPullRuns.id}) < (${query.before.startedAt}::timestamptz, ${query.before.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(channelPullRuns.startedAt), desc(channelPullRuns.id))
    .limit(query.limit);
  return rows.map((r) => ({
    id: r.id,
    reason: r.reason,
    status: r.status,
    windowFrom: r.windowFrom,
    windowTo: r.windowTo,
    fetched: r.fetched,
    inserted: r.inserted,
    updated: r.updated,
    error: r.error,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  }));
}

/**
 * Asks for a pull of this connection now (a user's "refresh"): an outbox row in one transaction with
 * the checks, relayed to the pull queue like a new connection's first pull (deduplicated there: one
 * pull waits per shop however often this is asked). A shop that is not active cannot be pulled.
 */
export async function requestPull(ctx: ServiceContext, connectionId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const connection = await findConnectionInScope(tx, ctx, connectionId);
    if (connection.status === 'disconnected') {
      throw new ConflictError(
        'connection_disconnected',
        'This shop is disconnected; connect it again first.',
        {
          detailId: 'Toko ini sudah diputus; hubungkan lagi terlebih dahulu.',
        },
      );
    }
    if (connection.status === 'reauth_required') {
      throw new ConflictError(
        'connection_reauth_required',
        'This shop needs to be connected again before its orders can be pulled.',
        { detailId: 'Toko ini perlu dihubungkan lagi sebelum pesanannya dapat ditarik.' },
      );
    }
    await enqueueOutbox(tx, {
      topic: 'connection.pull_requested',
      aggregateType: 'connection',
      aggregateId: connection.id,
      payload: { connectionId: connection.id },
    });
  });
}
