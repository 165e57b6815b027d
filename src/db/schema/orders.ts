import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { ORDER_STATUSES } from '../../channels/types.js';
import { channel } from './channels.js';

export const orderStatus = pgEnum('order_status', ORDER_STATUSES);

/**
 * One order of one connected shop, stored once (unique on connection and the platform's order id)
 * and updated in place as its status moves forward (src/services/order-ingest.ts).
 *
 * `sale_day`, `kelurahan_code` and `kecamatan_code` are fixed when the order is first seen: the day
 * the sale counts on (Jakarta day of the platform's creation time) and where the crafter was then,
 * so a crafter who moves later does not rewrite history.
 */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // References channel_connections and crafters, checked per statement rather than by foreign keys
    // (drizzle/0023_sales_references_per_statement.sql).
    connectionId: uuid('connection_id').notNull(),
    channel: channel('channel').notNull(),
    crafterId: uuid('crafter_id').notNull(),
    externalOrderId: text('external_order_id').notNull(),
    status: orderStatus('status').notNull(),
    /** The platform's times: placed (decides the day), paid, last changed. */
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    platformUpdatedAt: timestamp('platform_updated_at', { withTimezone: true }).notNull(),
    /** Jakarta day of `placed_at`. */
    saleDay: date('sale_day', { mode: 'string' }).notNull(),
    /** Whether the order counts in the figures (paid); once true it stays true. */
    counted: boolean('counted').notNull(),
    kelurahanCode: text('kelurahan_code').notNull(),
    kecamatanCode: text('kecamatan_code').notNull(),
    /** A sale of this order took a variant's stock below zero (an alert was raised). */
    oversold: boolean('oversold').notNull().default(false),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    /** Our last change of the row (status, lines, figures). */
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_connection_external_idx').on(t.connectionId, t.externalOrderId),
    index('orders_day_idx').on(t.saleDay),
  ],
);

/**
 * One line of an order (unique on the order and the platform's line key). Besides what the platform
 * said, each line carries:
 * - the match to our catalogue (variant, product, and the product's category at the time of sale),
 *   null while its seller SKU matches none of the crafter's variants (kept and listed, never dropped);
 * - copies of its order's day, channel, crafter and region, so the figures can be grouped from the
 *   lines alone (the nightly rebuild, and the check that rollups equal the lines);
 * - its contribution to the figures (`gross_idr`, `net_idr`, `units`: zero while the order does
 *   not count), per the definition above `CanonicalOrder` (src/channels/types.ts);
 * - how much stock its movements have taken and given back so far, so a replay or a status
 *   flip-flop never moves stock twice.
 */
export const orderLines = pgTable(
  'order_lines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // References orders (deleted with it), variants and products (set null when they go), checked per
    // statement rather than by foreign keys (drizzle/0023_sales_references_per_statement.sql).
    orderId: uuid('order_id').notNull(),
    lineKey: text('line_key').notNull(),
    sellerSku: text('seller_sku').notNull(),
    remoteItemId: text('remote_item_id'),
    remoteVariantId: text('remote_variant_id'),
    title: text('title'),
    variantId: uuid('variant_id'),
    productId: uuid('product_id'),
    category: text('category'),
    quantity: integer('quantity').notNull(),
    unitPriceIdr: bigint('unit_price_idr', { mode: 'number' }).notNull(),
    cancelledQuantity: integer('cancelled_quantity').notNull().default(0),
    returnedQuantity: integer('returned_quantity').notNull().default(0),
    connectionId: uuid('connection_id').notNull(),
    channel: channel('channel').notNull(),
    crafterId: uuid('crafter_id').notNull(),
    saleDay: date('sale_day', { mode: 'string' }).notNull(),
    kelurahanCode: text('kelurahan_code').notNull(),
    kecamatanCode: text('kecamatan_code').notNull(),
    counted: boolean('counted').notNull(),
    grossIdr: bigint('gross_idr', { mode: 'number' }).notNull(),
    netIdr: bigint('net_idr', { mode: 'number' }).notNull(),
    units: integer('units').notNull(),
    /** Units taken from stock by sale movements, and given back by cancellation and return ones. */
    stockSold: integer('stock_sold').notNull().default(0),
    stockCancelled: integer('stock_cancelled').notNull().default(0),
    stockReturned: integer('stock_returned').notNull().default(0),
    /** Movements written for this line so far (numbers the dedupe keys of later adjustments). */
    stockMoves: integer('stock_moves').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('order_lines_order_line_idx').on(t.orderId, t.lineKey),
    index('order_lines_day_idx').on(t.saleDay, t.connectionId),
    index('order_lines_unmatched_idx').on(t.crafterId, t.createdAt, t.id).where(sql`${t.variantId} is null`),
    check('order_lines_quantity_nonneg', sql`${t.quantity} >= 0`),
    check('order_lines_price_nonneg', sql`${t.unitPriceIdr} >= 0`),
    check(
      'order_lines_taken_back',
      sql`${t.cancelledQuantity} >= 0 and ${t.returnedQuantity} >= 0 and ${t.cancelledQuantity} + ${t.returnedQuantity} <= ${t.quantity}`,
    ),
  ],
);

/**
 * Which rows of `sales_daily_rollups` a figure comes from. Gross, net and units are the same sums at
 * every grain; only the order count needs its own: an order with two products counts once in its
 * day, shop and region (`order`), once per category it touches (`category`) and once per product
 * (`product`), so every grouping the summary offers reads exact order counts from one grain
 * instead of adding up product rows (which would count such an order twice).
 */
export const SALES_ROLLUP_GRAINS = ['order', 'category', 'product'] as const;
export type SalesRollupGrain = (typeof SALES_ROLLUP_GRAINS)[number];
export const salesRollupGrain = pgEnum('sales_rollup_grain', SALES_ROLLUP_GRAINS);

/**
 * Daily sales by Jakarta day, kept current by the ingest in its own transaction (deltas of each
 * changed order) and recomputable from `order_lines` (`rebuildSalesRollups`). Only counted orders
 * contribute. `category` and `product_id` are null at the `order` grain, `product_id` is null at
 * the `category` grain, and both are null for unmatched lines at the finer grains.
 */
export const salesDailyRollups = pgTable(
  'sales_daily_rollups',
  {
    grain: salesRollupGrain('grain').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    connectionId: uuid('connection_id').notNull(),
    channel: channel('channel').notNull(),
    crafterId: uuid('crafter_id').notNull(),
    kecamatanCode: text('kecamatan_code').notNull(),
    kelurahanCode: text('kelurahan_code').notNull(),
    category: text('category'),
    productId: uuid('product_id'),
    grossIdr: bigint('gross_idr', { mode: 'number' }).notNull(),
    netIdr: bigint('net_idr', { mode: 'number' }).notNull(),
    units: bigint('units', { mode: 'number' }).notNull(),
    orders: bigint('orders', { mode: 'number' }).notNull(),
  },
  (t) => [
    unique('sales_daily_rollups_key')
      .on(t.grain, t.day, t.connectionId, t.crafterId, t.kelurahanCode, t.category, t.productId)
      .nullsNotDistinct(),
    // Also `sales_daily_rollups_day_cover_idx` (grain, day) INCLUDE (dimensions, figures), for
    // index-only summary scans: custom SQL in drizzle/0017_sales_rollups_covering_index.sql.
    index('sales_daily_rollups_kecamatan_idx').on(t.grain, t.kecamatanCode, t.day),
    index('sales_daily_rollups_crafter_idx').on(t.grain, t.crafterId, t.day),
  ],
);
