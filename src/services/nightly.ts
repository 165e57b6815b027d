/**
 * The nightly jobs (Asia/Jakarta). Each run is about one night — `day`, the Jakarta day the night
 * closes — and records a summary in `nightly_runs`, keyed (job, day) so a second run of the same
 * night updates the row instead of adding one. Every job is idempotent:
 *
 * - `pull-previous-day`: one windowed pull per active connection over [00:00, 24:00) WIB of `day`,
 *   deduplicated per window (`pullJobOptions`); the pulls' own counts land in `channel_pull_runs`
 *   (reason `nightly`) and are read into the summary when it is shown;
 * - `read-back`: reads every live listing back from its channel and compares it with what we last
 *   pushed (price after the rule, stock after the buffer, status); a drift forgets the pushed value
 *   that is no longer true and asks the push pipeline (outbox) to push the listing again. Every call
 *   goes through the shop's budget (the channel runtime), and a throttle waits rather than fails;
 * - `refresh-tokens`: refreshes every token expiring within a day (the 10-minute scan only looks
 *   TOKEN_REFRESH_LEAD_MINUTES ahead), under the same per-connection lease as every refresh;
 * - `rebuild-rollups`: recomputes the daily rollups of the Jakarta days of orders changed since the
 *   last rebuild (kept in `nightly_state`), from the stored lines. The ingest keeps them current
 *   already; this repairs anything that slipped, and rebuilding twice changes nothing.
 */
import type { Queue } from 'bullmq';
import { and, desc, eq, gte, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { classifyChannelFailure } from '../channels/failure.js';
import type { Channel, ChannelAdapter, RemoteListingState } from '../channels/types.js';
import type { AppConfig } from '../config/env.js';
import type { Database } from '../db/client.js';
import { crafterScopeCondition } from '../db/repositories/scope-sql.js';
import {
  channelConnections,
  channelListings,
  channelListingVariants,
  channelPullRuns,
  crafters,
  nightlyRuns,
  nightlyState,
  orders,
} from '../db/schema/index.js';
import { findDrift } from '../domain/drift.js';
import { jakartaDay, jakartaDayStart } from '../domain/sales.js';
import { scopeOf } from '../domain/scope.js';
import type { Logger } from '../lib/logger.js';
import {
  NIGHTLY_JOBS,
  type NightlyJobName,
  PULL_JOB,
  type PullOrdersJob,
  pullJobOptions,
} from '../queues/definitions.js';
import type { ChannelRuntime } from './channel-runtime.js';
import type { ServiceContext } from './context.js';
import { requestPush } from './listing-outbox.js';
import { connectionContext, type ListingPushDeps, remoteRefOf } from './listing-push.js';
import { rebuildSalesRollups } from './order-ingest.js';
import { ORDERS_STREAM } from './order-pull.js';
import { connectionsDueForRefresh, refreshConnectionToken, type TokenRefreshDeps } from './token-refresh.js';

export { NIGHTLY_JOBS, type NightlyJobName };

export interface NightlyDeps {
  db: Database;
  /** The pull-orders queue (the nightly pull adds its windowed jobs there). */
  pullQueue: Queue;
  /** What the read-back needs to call channels (the worker's channel runtime). */
  channels: Pick<ListingPushDeps, 'adapters' | 'guard' | 'keyring' | 'partnerBrandBaseUrl'>;
  /** What the token refresh needs; its lead time is replaced by one day. */
  refresh: Omit<TokenRefreshDeps, 'db' | 'leadMinutes'>;
  log?: Logger | undefined;
  /** Waits between throttled read-back attempts (tests pass a fake clock). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The nightly jobs' dependencies as a process assembles them from its config and channel runtime
 * (the worker's nightly queue and the `npm run nightly` command run the same jobs the same way).
 */
export function nightlyDepsOf(options: {
  db: Database;
  pullQueue: Queue;
  runtime: Pick<ChannelRuntime, 'adapters' | 'guard'>;
  config: Pick<AppConfig, 'channels' | 'credentialsKeyring'>;
  log: Logger;
}): NightlyDeps {
  const { config, runtime, log } = options;
  return {
    db: options.db,
    pullQueue: options.pullQueue,
    channels: {
      adapters: runtime.adapters,
      guard: runtime.guard,
      keyring: config.credentialsKeyring,
      partnerBrandBaseUrl: config.channels.partnerBrand?.baseUrl,
    },
    refresh: { channels: config.channels, keyring: config.credentialsKeyring, log },
    log,
  };
}

/** The night a run is about: the Jakarta day before `at` (a run at 00:30 WIB on the 2nd → the 1st). */
export function previousJakartaDay(at: Date): string {
  return jakartaDay(new Date(jakartaDayStart(jakartaDay(at)).getTime() - 1));
}

/** [00:00, 24:00) WIB of a Jakarta day, as UTC ISO instants. */
export function jakartaDayWindow(day: string): { from: string; to: string } {
  const from = jakartaDayStart(day);
  return { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString() };
}

export interface NightlyRunResult {
  job: NightlyJobName;
  day: string;
  summary: Record<string, unknown>;
}

/** Runs one nightly job for one night, recording its run. Safe to run twice or concurrently. */
export async function runNightlyJob(
  deps: NightlyDeps,
  job: NightlyJobName,
  day: string,
): Promise<NightlyRunResult> {
  const { db } = deps;
  await db
    .insert(nightlyRuns)
    .values({ job, day })
    .onConflictDoUpdate({
      target: [nightlyRuns.job, nightlyRuns.day],
      set: {
        status: 'running',
        runs: sql`${nightlyRuns.runs} + 1`,
        startedAt: sql`now()`,
        finishedAt: null,
        error: null,
      },
    });
  try {
    const summary = await JOBS[job](deps, day);
    await db
      .update(nightlyRuns)
      .set({ status: 'succeeded', finishedAt: sql`now()`, summary })
      .where(and(eq(nightlyRuns.job, job), eq(nightlyRuns.day, day)));
    deps.log?.info({ job, day }, 'nightly job finished');
    return { job, day, summary };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await db
      .update(nightlyRuns)
      .set({ status: 'failed', finishedAt: sql`now()`, error: message.slice(0, 2_000) })
      .where(and(eq(nightlyRuns.job, job), eq(nightlyRuns.day, day)));
    throw err;
  }
}

type JobRunner = (deps: NightlyDeps, day: string) => Promise<Record<string, unknown>>;

interface ConnectionEntry {
  connectionId: string;
  crafterId: string;
  channel: Channel;
}

async function activeConnections(db: Database): Promise<ConnectionEntry[]> {
  return db
    .select({
      connectionId: channelConnections.id,
      crafterId: channelConnections.crafterId,
      channel: channelConnections.channel,
    })
    .from(channelConnections)
    .where(eq(channelConnections.status, 'active'))
    .orderBy(channelConnections.id);
}

/** One windowed pull per active connection, over the whole Jakarta day. */
const pullPreviousDay: JobRunner = async (deps, day) => {
  const window = jakartaDayWindow(day);
  const connections = await activeConnections(deps.db);
  await deps.pullQueue.addBulk(
    connections.map(({ connectionId }) => {
      const data: PullOrdersJob = { connectionId, reason: 'nightly', window };
      return { name: PULL_JOB, data, opts: pullJobOptions(data) };
    }),
  );
  return { window, connections: connections.map((c) => ({ ...c, queued: true })) };
};

const refreshTokens: JobRunner = async (deps, _day) => {
  const refreshDeps: TokenRefreshDeps = { ...deps.refresh, db: deps.db, leadMinutes: 24 * 60 };
  const due = await connectionsDueForRefresh(refreshDeps);
  const details =
    due.length === 0
      ? []
      : await deps.db
          .select({
            connectionId: channelConnections.id,
            crafterId: channelConnections.crafterId,
            channel: channelConnections.channel,
          })
          .from(channelConnections)
          .where(
            inArray(
              channelConnections.id,
              due.map((d) => d.id),
            ),
          );
  const entries: Array<ConnectionEntry & { outcome: string; error?: string }> = [];
  for (const connection of details) {
    try {
      const outcome = await refreshConnectionToken(refreshDeps, connection.connectionId);
      entries.push({ ...connection, outcome });
    } catch (err) {
      entries.push({
        ...connection,
        outcome: 'failed',
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return {
    connections: entries,
    totals: {
      due: entries.length,
      refreshed: entries.filter((e) => e.outcome === 'refreshed').length,
      reauthRequired: entries.filter((e) => e.outcome === 'reauth_required').length,
      failed: entries.filter((e) => e.outcome === 'failed').length,
    },
  };
};

const MAX_THROTTLE_WAITS = 5;

/**
 * Reads every live listing back. Per connection: checked, drifted, repaired (a push queued), failed
 * (the read did not succeed). Listings are read one at a time per shop through the shop's budget.
 */
const readBack: JobRunner = async (deps, _day) => {
  const { db } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const rows = await db
    .select({ listing: channelListings, connection: channelConnections })
    .from(channelListings)
    .innerJoin(channelConnections, eq(channelConnections.id, channelListings.connectionId))
    .where(
      and(
        eq(channelListings.state, 'live'),
        isNotNull(channelListings.remoteItemId),
        eq(channelConnections.status, 'active'),
      ),
    )
    .orderBy(channelConnections.id, channelListings.id);
  const perConnection = new Map<
    string,
    ConnectionEntry & {
      checked: number;
      drifted: number;
      repaired: number;
      failed: number;
      drifts: Record<string, number>;
    }
  >();
  for (const { listing, connection } of rows) {
    let entry = perConnection.get(connection.id);
    if (!entry) {
      entry = {
        connectionId: connection.id,
        crafterId: connection.crafterId,
        channel: connection.channel,
        checked: 0,
        drifted: 0,
        repaired: 0,
        failed: 0,
        drifts: {},
      };
      perConnection.set(connection.id, entry);
    }
    const adapter = deps.channels.adapters[connection.channel] as ChannelAdapter | undefined;
    const ref = await remoteRefOf(db, listing);
    if (!adapter || !ref) {
      entry.failed += 1;
      continue;
    }
    let remote: RemoteListingState | null | undefined;
    for (let attempt = 0; remote === undefined; attempt += 1) {
      try {
        const ctx = connectionContext(deps.channels, connection);
        const guard = deps.channels.guard ?? (<T>(_c: Channel, fn: () => Promise<T>) => fn());
        remote = await guard(connection.channel, () => adapter.read(ctx, ref));
      } catch (err) {
        const decision = classifyChannelFailure(err);
        if (decision.kind === 'throttled' && attempt < MAX_THROTTLE_WAITS) {
          await sleep(Math.min(decision.waitMs ?? 1_000, 30_000));
          continue;
        }
        deps.log?.warn(
          {
            listingId: listing.id,
            connectionId: connection.id,
            kind: decision.kind,
            code: decision.platformCode,
          },
          'nightly read-back: read failed',
        );
        break;
      }
    }
    if (remote === undefined) {
      entry.failed += 1;
      continue;
    }
    entry.checked += 1;
    const pushed = await db
      .select({
        variantId: channelListingVariants.variantId,
        remoteModelId: channelListingVariants.remoteModelId,
        remoteSku: channelListingVariants.remoteSku,
        price: channelListingVariants.pushedPriceIdr,
        stock: channelListingVariants.pushedStock,
      })
      .from(channelListingVariants)
      .where(eq(channelListingVariants.listingId, listing.id))
      .orderBy(channelListingVariants.variantId);
    const found = findDrift(remote, pushed);
    if (found.drifts.length === 0) continue;
    entry.drifted += 1;
    for (const d of found.drifts) entry.drifts[d] = (entry.drifts[d] ?? 0) + 1;
    const repaired = await db.transaction(async (tx) => {
      // Only while the listing is still live as we read it: a push that ran meanwhile wins.
      const content = found.drifts.some((d) => d === 'status' || d === 'missing' || d === 'variants');
      const [still] = await tx
        .update(channelListings)
        .set({
          pushedOfferHash: null,
          ...(content ? { pushedContentHash: null } : {}),
          updatedAt: sql`now()`,
        })
        .where(and(eq(channelListings.id, listing.id), eq(channelListings.state, 'live')))
        .returning({ id: channelListings.id });
      if (!still) return false;
      // What the shop shows now is what was "last pushed": the push then sends what differs.
      for (const change of found.variants) {
        const variant = pushed[change.index];
        if (!variant) continue;
        await tx
          .update(channelListingVariants)
          .set({
            ...(change.price !== undefined ? { pushedPriceIdr: change.price } : {}),
            ...(change.stock !== undefined ? { pushedStock: change.stock } : {}),
            updatedAt: sql`now()`,
          })
          .where(
            and(
              eq(channelListingVariants.listingId, listing.id),
              eq(channelListingVariants.variantId, variant.variantId),
            ),
          );
      }
      await requestPush(tx, listing.id);
      return true;
    });
    if (repaired) entry.repaired += 1;
  }
  const connections = [...perConnection.values()];
  return {
    connections,
    totals: {
      checked: connections.reduce((n, c) => n + c.checked, 0),
      drifted: connections.reduce((n, c) => n + c.drifted, 0),
      repaired: connections.reduce((n, c) => n + c.repaired, 0),
      failed: connections.reduce((n, c) => n + c.failed, 0),
    },
  };
};

export const ROLLUPS_STATE_KEY = 'rollups_rebuilt_at';
/** Orders changed a little before the last rebuild began are looked at again (transactions in flight). */
const REBUILD_OVERLAP = '5 minutes';
/** The first rebuild (no state yet) looks this far back. */
const FIRST_REBUILD_LOOKBACK = '2 days';

/**
 * Rebuilds the rollups of every Jakarta day with an order changed since the last rebuild (minus an
 * overlap), plus `day` itself, one day per transaction. Then records when this rebuild started.
 */
const rebuildRollups: JobRunner = async (deps, day) => {
  const { db } = deps;
  const [state] = await db.select().from(nightlyState).where(eq(nightlyState.key, ROLLUPS_STATE_KEY));
  // Postgres's clock, as `orders.updated_at` is written with it.
  const [clock] = await db.execute<{ now: string }>(sql`select now()::text as now`);
  const startedAt = new Date(clock?.now ?? Date.now());
  const since = state
    ? sql`${state.at.toISOString()}::timestamptz - interval '${sql.raw(REBUILD_OVERLAP)}'`
    : sql`now() - interval '${sql.raw(FIRST_REBUILD_LOOKBACK)}'`;
  const touched = await db
    .selectDistinct({ day: orders.saleDay })
    .from(orders)
    .where(sql`${orders.updatedAt} >= ${since}`)
    .orderBy(orders.saleDay);
  const days = [...new Set([...touched.map((t) => t.day), day])].sort();
  let rows = 0;
  for (const d of days) {
    const result = await db.transaction((tx) => rebuildSalesRollups(tx, { from: d, to: d }));
    rows += result.rows;
  }
  await db
    .insert(nightlyState)
    .values({ key: ROLLUPS_STATE_KEY, at: startedAt })
    .onConflictDoUpdate({ target: nightlyState.key, set: { at: startedAt, updatedAt: sql`now()` } });
  return { days, rows, since: state?.at.toISOString() ?? null };
};

const JOBS: Record<NightlyJobName, JobRunner> = {
  'pull-previous-day': pullPreviousDay,
  'read-back': readBack,
  'refresh-tokens': refreshTokens,
  'rebuild-rollups': rebuildRollups,
};

export interface NightlyRunView {
  job: NightlyJobName;
  day: string;
  status: string;
  runs: number;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
  /** Per connection in the caller's scope. */
  connections: Array<Record<string, unknown> & { connectionId: string; crafterId: string }>;
  /** Job-wide figures (operators only; admins see their connections). */
  totals: Record<string, unknown> | null;
}

/**
 * Nightly runs between two Jakarta days, newest first, each with the per-connection entries in the
 * caller's scope. The nightly pull's entries carry the counts of its pulls (`channel_pull_runs` with
 * reason `nightly` over that day's window): fetched, new, updated, failed and the pull's status.
 */
export async function listNightlyRuns(
  ctx: ServiceContext,
  query: { from: string; to: string; job?: NightlyJobName | undefined },
): Promise<NightlyRunView[]> {
  const runs = await ctx.db
    .select()
    .from(nightlyRuns)
    .where(
      and(
        gte(nightlyRuns.day, query.from),
        lte(nightlyRuns.day, query.to),
        query.job ? eq(nightlyRuns.job, query.job) : undefined,
      ),
    )
    .orderBy(desc(nightlyRuns.day), nightlyRuns.job);
  const scope = scopeOf(ctx.principal);
  const crafterIds = new Set<string>();
  for (const run of runs) for (const c of entriesOf(run.summary)) crafterIds.add(c.crafterId);
  const visible =
    crafterIds.size === 0
      ? new Set<string>()
      : new Set(
          (
            await ctx.db
              .select({ id: crafters.id })
              .from(crafters)
              .where(and(inArray(crafters.id, [...crafterIds]), crafterScopeCondition(scope)))
          ).map((c) => c.id),
        );
  const views: NightlyRunView[] = [];
  for (const run of runs) {
    let connections = entriesOf(run.summary).filter((c) => visible.has(c.crafterId));
    if (run.job === 'pull-previous-day') connections = await withPullCounts(ctx.db, run.day, connections);
    const totals = run.summary.totals;
    views.push({
      job: run.job as NightlyJobName,
      day: run.day,
      status: run.status,
      runs: run.runs,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      error: run.error,
      connections,
      totals:
        scope.kind === 'all' && totals && typeof totals === 'object'
          ? (totals as Record<string, unknown>)
          : null,
    });
  }
  return views;
}

function entriesOf(
  summary: Record<string, unknown>,
): Array<Record<string, unknown> & { connectionId: string; crafterId: string }> {
  const list = summary.connections;
  return Array.isArray(list)
    ? (list as Array<Record<string, unknown> & { connectionId: string; crafterId: string }>)
    : [];
}

/** The latest nightly pull of each connection over the day's window, with its counts. */
async function withPullCounts(
  db: ServiceContext['db'],
  day: string,
  connections: Array<Record<string, unknown> & { connectionId: string; crafterId: string }>,
): Promise<Array<Record<string, unknown> & { connectionId: string; crafterId: string }>> {
  if (connections.length === 0) return connections;
  const window = jakartaDayWindow(day);
  const pulls = await db
    .selectDistinctOn([channelPullRuns.connectionId], {
      connectionId: channelPullRuns.connectionId,
      status: channelPullRuns.status,
      fetched: channelPullRuns.fetched,
      inserted: channelPullRuns.inserted,
      updated: channelPullRuns.updated,
      failed: channelPullRuns.failed,
      error: channelPullRuns.error,
    })
    .from(channelPullRuns)
    .where(
      and(
        eq(channelPullRuns.reason, 'nightly'),
        eq(channelPullRuns.stream, ORDERS_STREAM),
        eq(channelPullRuns.windowFrom, new Date(window.from)),
        inArray(
          channelPullRuns.connectionId,
          connections.map((c) => c.connectionId),
        ),
      ),
    )
    .orderBy(channelPullRuns.connectionId, desc(channelPullRuns.startedAt));
  const byConnection = new Map(pulls.map((p) => [p.connectionId, p]));
  return connections.map((c) => {
    const pull = byConnection.get(c.connectionId);
    return {
      ...c,
      pull: pull
        ? {
            status: pull.status,
            fetched: pull.fetched,
            new: pull.inserted,
            updated: pull.updated,
            failed: pull.failed,
            error: pull.error,
          }
        : { status: 'not_run' },
    };
  });
}
