-- Indexes no query reads (checked in src/): orders by (crafter_id, sale_day) — the figures come from the
-- rollups and orders are found by (connection_id, external_order_id) or sale_day; movements by
-- order_line_id — movements are read by product, variant and dedupe key. Each cost an entry per
-- ingested order or sale.
DROP INDEX "orders_crafter_day_idx";--> statement-breakpoint
DROP INDEX "stock_movements_order_line_idx";