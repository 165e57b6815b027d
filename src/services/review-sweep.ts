/**
 * The review sweep of one shop: what became of the items the platform was still reviewing at the
 * last look (`remote_status` in_review: Shopee REVIEWING, TikTok Shop PENDING). One job per shop
 * reads them all in the platform's batch calls (Shopee: 50 items a call; TikTok Shop: the products
 * changed since the oldest look, 100 a page), instead of a read per item: a shop publishing
 * thousands of products would otherwise spend its call budget reading back the ones in review.
 *
 * Queued by the reconciler (from Postgres, so it survives a lost Redis) for shops with a look due.
 * Safe to run twice or concurrently: it only writes
 * statuses of listings still in review with the item it read, and each write is the platform's
 * current answer.
 */
import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Channel, RemoteListingStatus } from '../channels/types.js';
import type { Database } from '../db/client.js';
import { channelConnections } from '../db/schema/index.js';
import {
  channelNotConfigured,
  connectionContext,
  type ListingPushDeps,
  REVIEW_CHECK_MS,
} from './listing-push.js';

/** Items read per sweep at most; a shop with more in review finishes on the next sweeps. */
const SWEEP_LIMIT = 5_000;

export interface ReviewSweepResult {
  /** Listings whose look was due. */
  due: number;
  /** Listings whose status the platform told (unchanged ones included). */
  read: number;
  /** Listings whose status changed (out of review). */
  changed: number;
}

/** Reads the review status of every listing of `connectionId` whose look is due, and records it. */
export async function sweepReviews(
  deps: ListingPushDeps,
  connectionId: string,
  options: { reviewCheckMs?: number } = {},
): Promise<ReviewSweepResult> {
  const { db } = deps;
  const reviewCheckMs = options.reviewCheckMs ?? REVIEW_CHECK_MS;
  const [connection] = await db
    .select()
    .from(channelConnections)
    .where(and(eq(channelConnections.id, connectionId), eq(channelConnections.status, 'active')));
  if (!connection) return { due: 0, read: 0, changed: 0 };
  const due = await dueReviews(db, connectionId, reviewCheckMs);
  if (due.length === 0) return { due: 0, read: 0, changed: 0 };
  const adapter = deps.adapters[connection.channel];
  if (!adapter) throw channelNotConfigured(connection.channel);
  const ctx = connectionContext(deps, connection);
  const guard = deps.guard ?? (<U>(_c: unknown, fn: () => Promise<U>) => fn());
  const statuses = await guard(connection.channel, () =>
    adapter.readReviewStatuses(
      ctx,
      due.map((d) => ({ remoteItemId: d.remoteItemId, since: d.checkedAt ?? d.updatedAt })),
    ),
  );
  const rows = due.flatMap((d) => {
    const status = statuses.get(d.remoteItemId);
    return status ? [{ id: d.id, remote_item_id: d.remoteItemId, status }] : [];
  });
  const changed = rows.length === 0 ? 0 : await recordStatuses(db, rows);
  return { due: due.length, read: rows.length, changed };
}

async function dueReviews(db: Database, connectionId: string, reviewCheckMs: number) {
  const rows = await db.execute<{
    id: string;
    remote_item_id: string;
    checked_at: string | null;
    updated_at: string;
  }>(sql`
    select l.id, l.remote_item_id, l.remote_status_checked_at as checked_at, l.updated_at
    from channel_listings l
    where l.connection_id = ${connectionId} and ${lookDue(reviewCheckMs)}
    order by l.remote_status_checked_at nulls first
    limit ${SWEEP_LIMIT}`);
  return rows.map((r) => ({
    id: r.id,
    remoteItemId: r.remote_item_id,
    checkedAt: r.checked_at ? new Date(r.checked_at) : null,
    updatedAt: new Date(r.updated_at),
  }));
}

/**
 * One statement for the whole sweep. Only a listing still in review with the same item takes the
 * answer (a push meanwhile recorded a newer one); a change of status bumps the listing's version.
 */
async function recordStatuses(
  db: Database,
  rows: Array<{ id: string; remote_item_id: string; status: RemoteListingStatus }>,
): Promise<number> {
  const updated = await db.execute<{ changed: boolean }>(sql`
    update channel_listings l set
      remote_status = v.status::listing_remote_status,
      remote_status_checked_at = now(),
      version = l.version + case when v.status <> 'in_review' then 1 else 0 end,
      updated_at = case when v.status <> 'in_review' then now() else l.updated_at end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, remote_item_id text, status text)
    where l.id = v.id and l.remote_item_id = v.remote_item_id and l.remote_status = 'in_review'
      and l.state = 'live'
    returning v.status <> 'in_review' as changed`);
  return updated.filter((r) => r.changed).length;
}

/** A listing `l` live with an item in review whose last look is older than `reviewCheckMs`. */
function lookDue(reviewCheckMs: number): SQL {
  return sql`l.state = 'live' and l.remote_status = 'in_review' and l.remote_item_id is not null
    and (l.remote_status_checked_at is null
         or l.remote_status_checked_at < now() - make_interval(secs => ${reviewCheckMs / 1000}))`;
}

/** Connections with a review look due, for the reconciler. */
export async function connectionsWithReviewsDue(
  db: Database,
  reviewCheckMs: number = REVIEW_CHECK_MS,
): Promise<Array<{ connectionId: string; channel: Channel }>> {
  const rows = await db.execute<{ connection_id: string; channel: Channel }>(sql`
    select c.id as connection_id, c.channel
    from channel_connections c
    where c.status = 'active' and exists (
      select 1 from channel_listings l where l.connection_id = c.id and ${lookDue(reviewCheckMs)})`);
  return rows.map((r) => ({ connectionId: r.connection_id, channel: r.channel }));
}
