ALTER TABLE "order_lines" DROP CONSTRAINT "order_lines_order_id_orders_id_fk";
--> statement-breakpoint
ALTER TABLE "order_lines" DROP CONSTRAINT "order_lines_variant_id_variants_id_fk";
--> statement-breakpoint
ALTER TABLE "order_lines" DROP CONSTRAINT "order_lines_product_id_products_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_connection_id_channel_connections_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_crafter_id_crafters_id_fk";
--> statement-breakpoint
ALTER TABLE "stock_movements" DROP CONSTRAINT "stock_movements_variant_id_variants_id_fk";
--> statement-breakpoint
ALTER TABLE "stock_movements" DROP CONSTRAINT "stock_movements_product_id_products_id_fk";
--> statement-breakpoint
-- The sales tables' references, checked once per statement instead of by foreign keys. A foreign key
-- checks each inserted row with a query of its own: on the ingest's hot path that was 7 checks per
-- order line (its order, variant and product; its order's connection and crafter, the same two
-- values for a whole page; its stock movement's variant and product), ~40 % of the ingest's time in
-- bench/inward. The same rules, per statement over its transition table:
-- - inserting or updating orders, order_lines: every referenced row exists (the stock movements'
--   variant and product are checked by kriya_stock_movements_applied, 0022);
-- - deleting an order deletes its lines (was ON DELETE CASCADE); deleting a variant or product
--   clears it from order lines (was SET NULL) and is refused while stock movements name it; deleting
--   a connection or crafter is refused while orders name it (was NO ACTION).
-- Unlike a foreign key these checks take no lock on the referenced rows; nothing in the application
-- deletes variants, products, connections, crafters or orders (they are retired or disconnected).
CREATE FUNCTION kriya_orders_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.connection_id, n.crafter_id INTO bad
  FROM (SELECT DISTINCT connection_id, crafter_id FROM new_orders) n
  WHERE NOT EXISTS (SELECT 1 FROM channel_connections c WHERE c.id = n.connection_id)
     OR NOT EXISTS (SELECT 1 FROM crafters c WHERE c.id = n.crafter_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'order of connection % / crafter %: no such connection or crafter', bad.connection_id, bad.crafter_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'orders_references';
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER orders_references_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS new_orders
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_orders_references();--> statement-breakpoint
CREATE TRIGGER orders_references_update AFTER UPDATE ON orders REFERENCING NEW TABLE AS new_orders
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_orders_references();--> statement-breakpoint
CREATE FUNCTION kriya_order_lines_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad uuid;
BEGIN
  SELECT n.order_id INTO bad FROM (SELECT DISTINCT order_id FROM new_lines) n
    WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = n.order_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'order line of order %: no such order', bad
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'order_lines_references';
  END IF;
  SELECT n.variant_id INTO bad FROM (SELECT DISTINCT variant_id FROM new_lines WHERE variant_id IS NOT NULL) n
    WHERE NOT EXISTS (SELECT 1 FROM variants v WHERE v.id = n.variant_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'order line of variant %: no such variant', bad
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'order_lines_references';
  END IF;
  SELECT n.product_id INTO bad FROM (SELECT DISTINCT product_id FROM new_lines WHERE product_id IS NOT NULL) n
    WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = n.product_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'order line of product %: no such product', bad
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'order_lines_references';
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER order_lines_references_insert AFTER INSERT ON order_lines REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_order_lines_references();--> statement-breakpoint
CREATE TRIGGER order_lines_references_update AFTER UPDATE ON order_lines REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_order_lines_references();--> statement-breakpoint
CREATE FUNCTION kriya_orders_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM order_lines l USING old_orders o WHERE l.order_id = o.id;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER orders_deleted AFTER DELETE ON orders REFERENCING OLD TABLE AS old_orders
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_orders_deleted();--> statement-breakpoint
CREATE FUNCTION kriya_catalogue_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'variants' THEN
    IF EXISTS (SELECT 1 FROM stock_movements m JOIN old_rows o ON o.id = m.variant_id) THEN
      RAISE EXCEPTION 'a variant with stock movements cannot be deleted'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'stock_movements_references';
    END IF;
    UPDATE order_lines l SET variant_id = NULL FROM old_rows o WHERE l.variant_id = o.id;
  ELSE
    IF EXISTS (SELECT 1 FROM stock_movements m JOIN old_rows o ON o.id = m.product_id) THEN
      RAISE EXCEPTION 'a product with stock movements cannot be deleted'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'stock_movements_references';
    END IF;
    UPDATE order_lines l SET product_id = NULL FROM old_rows o WHERE l.product_id = o.id;
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER variants_sales_references AFTER DELETE ON variants REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_catalogue_deleted();--> statement-breakpoint
CREATE TRIGGER products_sales_references AFTER DELETE ON products REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_catalogue_deleted();--> statement-breakpoint
CREATE FUNCTION kriya_shops_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM orders o JOIN old_rows d
             ON (CASE WHEN TG_TABLE_NAME = 'crafters' THEN o.crafter_id ELSE o.connection_id END) = d.id) THEN
    RAISE EXCEPTION 'a % with orders cannot be deleted', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'orders_references';
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER crafters_sales_references AFTER DELETE ON crafters REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_shops_deleted();--> statement-breakpoint
CREATE TRIGGER channel_connections_sales_references AFTER DELETE ON channel_connections REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_shops_deleted();
