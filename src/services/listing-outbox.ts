/**
 * The outbox rows that ask the push pipeline for work on listings (`listing.push_requested`,
 * payload `{ listingId }`). Separate from listings.ts so that connections and category mappings can
 * ask for pushes without importing the listing use cases.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { channelConnections, channelListings, products } from '../db/schema/index.js';
import { enqueueOutbox } from '../outbox/enqueue.js';

export async function requestPush(tx: DbOrTx, listingId: string): Promise<void> {
  await enqueueOutbox(tx, {
    topic: 'listing.push_requested',
    aggregateType: 'listing',
    aggregateId: listingId,
    payload: { listingId },
  });
}

/**
 * Asks for a push of every listing (not ended) matching `where`, in one statement: used when a
 * connection's price rule or a category mapping changes. Runs in the caller's transaction.
 */
export async function requestPushesWhere(tx: DbOrTx, where: SQL): Promise<number> {
  const rows = await tx.execute<{ id: string }>(sql`
    insert into outbox (topic, aggregate_type, aggregate_id, payload)
    select 'listing.push_requested', 'listing', l.id::text, jsonb_build_object('listingId', l.id)
    from ${channelListings} l
    join ${products} p on p.id = l.product_id
    join ${channelConnections} c on c.id = l.connection_id
    where l.state <> 'delisted' and p.deleted_at is null and (${where})
    returning aggregate_id as id`);
  return rows.length;
}
