import {
  bigserial,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const stockMovementKind = pgEnum('stock_movement_kind', [
  'sale',
  'cancellation',
  'return',
  'count',
  'adjustment',
  'import',
]);

/**
 * The stock ledger: every change of a variant's on-hand is one row here, append-only. A trigger
 * (drizzle/0015_stock_ledger_triggers.sql) fills `product_id`, `on_hand_after` and `stock_revision` under the product's and
 * the variant's row locks, skips a row whose `dedupe_key` is recorded already, and moves
 * `variants.stock` to `on_hand_after`; nothing else may change `variants.stock`.
 */
export const stockMovements = pgTable(
  'stock_movements',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /**
     * The variant and its product: checked per statement by the ledger's trigger instead of foreign
     * keys (drizzle/0023_sales_references_per_statement.sql); set by the row trigger when inserted as 0.
     */
    variantId: uuid('variant_id').notNull(),
    productId: uuid('product_id').notNull(),
    /** Signed change in units: a sale of 2 is -2. */
    delta: integer('delta').notNull(),
    /** The variant's on-hand after this movement (set by the trigger; may be negative: oversold). */
    onHandAfter: integer('on_hand_after').notNull(),
    /** The product's stock revision this movement made (set by the trigger; orders the ledger). */
    stockRevision: integer('stock_revision').notNull(),
    kind: stockMovementKind('kind').notNull(),
    /** Makes recording idempotent: a replayed sale, a retried request. */
    dedupeKey: text('dedupe_key').notNull(),
    /** The order line a sale, cancellation or return comes from (orders are stored by the inward sync). */
    orderLineId: uuid('order_line_id'),
    /** Who made it through the API (like the audit log's actor: informational, no foreign key). */
    actorUserId: uuid('actor_user_id'),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('stock_movements_dedupe_idx').on(t.dedupeKey),
    uniqueIndex('stock_movements_product_revision_idx').on(t.productId, t.stockRevision),
    index('stock_movements_variant_revision_idx').on(t.variantId, t.stockRevision),
  ],
);
