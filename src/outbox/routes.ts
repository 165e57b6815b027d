/**
 * Where each outbox topic goes: a topic maps to a list of routes, each turning a row into jobs for
 * one queue. A list rather than one queue so that the outward sync can route one topic to several
 * queues (one per channel) and expand one row into one job per listing, without changing the relay.
 *
 * A route throws when the row cannot become a job (its payload does not parse): the relay then
 * dead-letters the row with that reason. A topic with no route is dead-lettered as well, so nothing
 * is ever marked relayed and silently dropped. Only topics listed here may be written
 * (`OutboxTopic`); a topic is added together with its route.
 */
import type { JobsOptions } from 'bullmq';
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { perDatabase } from '../db/prepared.js';
import { channelConnections, channelListings } from '../db/schema/index.js';
import {
  type AlertWebhookJob,
  alertWebhookJobOptions,
  EDIT_JOB,
  PULL_JOB,
  PUSH_QUEUE,
  type PullOrdersJob,
  pullJobOptions,
  pushJobOptions,
  QUEUE,
  type QueueName,
} from '../queues/definitions.js';

/** An outbox row as the relay claimed it. */
export interface ClaimedOutboxRow {
  id: number;
  topic: string;
  aggregateId: string;
  payload: unknown;
}

export interface RoutedJob {
  queue: QueueName;
  name: string;
  data: unknown;
  /**
   * Must make adding the same job twice harmless (a deduplication id or a deterministic job id): a
   * relay that dies after adding the job and before marking the row adds it again.
   */
  opts: JobsOptions & ({ deduplication: { id: string } } | { jobId: string });
}

/**
 * Turns a row into jobs. Gets the database so that a route can expand a row into one job per
 * listing (outward sync); it must only read, and it runs outside any transaction.
 */
export type OutboxRoute = (
  row: ClaimedOutboxRow,
  ctx: { db: Database },
) => RoutedJob[] | Promise<RoutedJob[]>;

const productPayload = z.object({ productId: z.uuid() });
const listingPayload = z.object({ listingId: z.uuid() });

/**
 * One push job per listing of the product that is not delisted, on its channel's queue: a product
 * sold in two shops becomes two independent jobs, so one platform's failure never re-pushes to the
 * other. Deletion and archiving go the same way: the processor sees the product gone and delists.
 */
const productListings = perDatabase((db) =>
  db
    .select({ id: channelListings.id, channel: channelConnections.channel })
    .from(channelListings)
    .innerJoin(channelConnections, eq(channelConnections.id, channelListings.connectionId))
    .where(
      and(
        eq(channelListings.productId, sql.placeholder('productId')),
        ne(channelListings.state, 'delisted'),
        ne(channelConnections.status, 'disconnected'),
      ),
    )
    .prepare('route_product_listings'),
);

const productListingsPush: OutboxRoute = async (row, { db }) => {
  const { productId } = productPayload.parse(row.payload);
  const listings = await productListings(db).execute({ productId });
  return listings.map((l) => ({
    queue: PUSH_QUEUE[l.channel],
    name: EDIT_JOB,
    data: { listingId: l.id },
    opts: pushJobOptions(l.id),
  }));
};

/** A publish, resync or unpublish of one listing: that listing's push job (the processor reads what to do). */
const listingChannel = perDatabase((db) =>
  db
    .select({ channel: channelConnections.channel })
    .from(channelListings)
    .innerJoin(channelConnections, eq(channelConnections.id, channelListings.connectionId))
    .where(eq(channelListings.id, sql.placeholder('listingId')))
    .prepare('route_listing_channel'),
);

const listingPush: OutboxRoute = async (row, { db }) => {
  const { listingId } = listingPayload.parse(row.payload);
  const [listing] = await listingChannel(db).execute({ listingId });
  if (!listing) return [];
  return [
    {
      queue: PUSH_QUEUE[listing.channel],
      name: 'push',
      data: { listingId },
      opts: pushJobOptions(listingId),
    },
  ];
};

const connectionPayload = z.object({ connectionId: z.uuid() });

/** A connection made active (connected, reconnected, enrolled): pull its orders now. */
const connectionPull: OutboxRoute = (row) => {
  const { connectionId } = connectionPayload.parse(row.payload);
  const data: PullOrdersJob = { connectionId, reason: 'manual' };
  return [{ queue: QUEUE.pullOrders, name: PULL_JOB, data, opts: pullJobOptions(data) }];
};
const alertPayload = z.object({ alertId: z.number().int().min(1) });

/**
 * An alert opened or resolved: one delivery job for the outbound webhook (the processor does nothing
 * when none is configured). The job id makes a relay that adds it twice harmless.
 */
function alertWebhook(event: AlertWebhookJob['event']): OutboxRoute {
  return (row) => {
    const { alertId } = alertPayload.parse(row.payload);
    const data: AlertWebhookJob = { alertId, event };
    return [
      {
        queue: QUEUE.alertWebhooks,
        name: `alert.${event}`,
        data,
        opts: { jobId: `alert:${alertId}:${event}`, ...alertWebhookJobOptions },
      },
    ];
  };
}

/**
 * Crafter changes write no outbox row: nothing consumes them yet. When a crafter change has to reach
 * channels (the outward sync delisting a suspended crafter's products, for example), the service
 * writes `product.changed` rows for the products it affects, in the same transaction, so listings
 * keep one kind of work per product.
 */
export const OUTBOX_ROUTES = {
  'product.changed': [productListingsPush],
  'product.deleted': [productListingsPush],
  /**
   * Written by the stock ledger with each product's movements (payload `{ productId, stockRevision }`):
   * a stock-only push of every listing, coalesced with edits (same job per listing).
   */
  'product.stock_changed': [productListingsPush],
  /** Written by publish and resync (payload `{ listingId }`). */
  'listing.push_requested': [listingPush],
  /** Written by unpublish (payload `{ listingId }`); the listing row says it is to be delisted. */
  'listing.delist_requested': [listingPush],
  /** Written when a connection becomes active (payload `{ connectionId }`): its first pull. */
  'connection.pull_requested': [connectionPull],
  /** Written by raiseAlert when it opens an alert, and by resolveAlert (payload `{ alertId }`). */
  'alert.opened': [alertWebhook('opened')],
  'alert.resolved': [alertWebhook('resolved')],
} satisfies Record<string, readonly OutboxRoute[]>;

export type OutboxTopic = keyof typeof OUTBOX_ROUTES;

export function routesOf(topic: string): readonly OutboxRoute[] {
  return Object.hasOwn(OUTBOX_ROUTES, topic) ? OUTBOX_ROUTES[topic as OutboxTopic] : [];
}
