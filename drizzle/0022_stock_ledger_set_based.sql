-- Movements computed per statement instead of per row (0015 and 0021 computed every movement in a
-- plpgsql BEFORE INSERT row trigger: two queries a row, ~50 µs each, most of a page's ingest time).
--
-- 1. A movement inserted with its figures already computed (stock_revision <> 0) skips the row
--    trigger: recordStockMovements (src/services/stock-ledger.ts) locks the products and then the
--    variants in id order, leaves out recorded dedupe keys, and computes on_hand_after and
--    stock_revision for all its rows in one INSERT … SELECT with window functions. A movement
--    inserted with the placeholders (stock_revision = 0: 0015's opening movements, any raw INSERT)
--    is still computed by the row trigger, unchanged.
-- 2. Computed or not, the statement trigger now checks every new movement before it moves stock, so
--    no write path can record a ledger that does not add up: its product is its variant's product;
--    a product's new revisions all lie above the revision it had (history is appended to, never
--    rewritten); each variant's movements chain (on_hand_after = the previous movement's + delta).
--    Two writers that computed from the same state collide on the unique (product_id,
--    stock_revision) index, so one of them fails instead of both applying.
-- The deferred check of variants.stock against the ledger (variants_stock_ledger) and the guards
-- against direct writes are unchanged.
DROP TRIGGER stock_movements_apply ON stock_movements;--> statement-breakpoint
CREATE TRIGGER stock_movements_apply BEFORE INSERT ON stock_movements
  FOR EACH ROW WHEN (NEW.stock_revision = 0) EXECUTE FUNCTION kriya_stock_movement_apply();--> statement-breakpoint
CREATE OR REPLACE FUNCTION kriya_stock_movements_applied() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_movements) THEN
    RETURN NULL; -- every row was a replay
  END IF;
  SELECT n.variant_id, n.product_id INTO bad FROM new_movements n
    LEFT JOIN variants v ON v.id = n.variant_id
    WHERE v.product_id IS DISTINCT FROM n.product_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'stock movement of variant % names product %, not the variant''s', bad.variant_id, bad.product_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'variants_stock_ledger';
  END IF;
  SELECT n.product_id INTO bad FROM new_movements n JOIN products p ON p.id = n.product_id
    GROUP BY n.product_id, p.stock_revision HAVING min(n.stock_revision) <= p.stock_revision LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'stock movements of product % do not follow its stock revision', bad.product_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'variants_stock_ledger';
  END IF;
  SELECT c.variant_id INTO bad FROM (
    SELECT n.variant_id, n.delta, n.on_hand_after, n.stock_revision,
           lag(n.on_hand_after) OVER (PARTITION BY n.variant_id ORDER BY n.stock_revision) AS previous
    FROM new_movements n) c
  WHERE c.on_hand_after IS DISTINCT FROM c.delta + coalesce(c.previous,
    (SELECT m.on_hand_after FROM stock_movements m
      WHERE m.variant_id = c.variant_id AND m.stock_revision < c.stock_revision
      ORDER BY m.stock_revision DESC LIMIT 1), 0)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'stock movements of variant % do not add up to their on-hand', bad.variant_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'variants_stock_ledger';
  END IF;
  UPDATE products p SET stock_revision = n.revision
  FROM (SELECT product_id, max(stock_revision) AS revision FROM new_movements GROUP BY product_id) n
  WHERE p.id = n.product_id AND p.stock_revision < n.revision;
  UPDATE variants v SET stock = n.on_hand
  FROM (SELECT DISTINCT ON (variant_id) variant_id, on_hand_after AS on_hand
        FROM new_movements ORDER BY variant_id, stock_revision DESC) n
  WHERE v.id = n.variant_id AND v.stock IS DISTINCT FROM n.on_hand;
  RETURN NULL;
END;
$$;
