import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { crafters } from './crafters.js';

export const productStatus = pgEnum('product_status', ['draft', 'active', 'archived']);

/**
 * The canonical product. `version` increases by one on every change; listings on channels compare
 * the version they pushed with this one. Deleting sets `deleted_at` (kept so channels can be delisted).
 */
export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    crafterId: uuid('crafter_id')
      .notNull()
      .references(() => crafters.id),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    category: text('category').notNull(),
    attributes: jsonb('attributes').$type<Record<string, string>>().notNull().default({}),
    imageUrls: jsonb('image_urls').$type<string[]>().notNull().default([]),
    status: productStatus('status').notNull().default('draft'),
    version: integer('version').notNull().default(1),
    /**
     * Bumped by every stock movement of the product's variants (drizzle trigger, never by hand): the
     * push pipeline compares it with what each listing pushed, and a stock count names the revision
     * it was based on. Separate from `version`, so a sale never makes a crafter's ETag stale.
     */
    stockRevision: integer('stock_revision').notNull().default(0),
    /**
     * `stock_revision` when the current `version` was written (after that write's own stock). A
     * writer's If-Match proves it read the product since then; a write that sets stock without naming
     * the stock revision it read is exact only while nothing has moved stock since, and is refused
     * (`stock_changed`) otherwise rather than undoing a sale it never saw.
     */
    versionStockRevision: integer('version_stock_revision').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    index('products_crafter_idx').on(t.crafterId, t.createdAt, t.id),
    index('products_listing_idx').on(t.createdAt, t.id),
  ],
);

/**
 * A sellable variant (SKU). Prices are integer rupiah; weight in grams. `stock` is the on-hand
 * materialised from the stock ledger (stock_movements): only a movement changes it, and a deferred
 * constraint trigger refuses any commit where it differs from the ledger. It may be negative (oversold).
 */
export const variants = pgTable(
  'variants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    /** Copied from the product so the SKU can be unique per crafter. */
    crafterId: uuid('crafter_id')
      .notNull()
      .references(() => crafters.id),
    sku: text('sku').notNull(),
    options: jsonb('options').$type<Record<string, string>>().notNull().default({}),
    priceIdr: bigint('price_idr', { mode: 'number' }).notNull(),
    stock: integer('stock').notNull(),
    weightGrams: integer('weight_grams').notNull(),
    position: integer('position').notNull().default(0),
    /** Set when the product is deleted, which frees the SKU for reuse. */
    retiredAt: timestamp('retired_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('variants_crafter_sku_idx').on(t.crafterId, t.sku).where(sql`${t.retiredAt} is null`),
    index('variants_product_idx').on(t.productId, t.position),
    check('variants_price_nonneg', sql`${t.priceIdr} >= 0`),
    check('variants_weight_nonneg', sql`${t.weightGrams} >= 0`),
  ],
);
