-- The ledger's product and variant updates, per statement instead of per movement (0015 did both per
-- row: every movement updated its product and its variant, each UPDATE a statement of its own that
-- fired the catalogue-change NOTIFY triggers and queued a deferred check; a page of 250 sales made
-- 500 UPDATEs and 500 notifications).
--
-- 1. The BEFORE INSERT row trigger keeps its locks (product, then variant), its dedupe check and its
--    arithmetic, but no longer writes products or variants: it reads the previous on-hand and the
--    product's last stock revision from the movements themselves (the rows an earlier row of the same
--    statement inserted are visible to it), so a statement's movements of one variant still chain.
-- 2. An AFTER INSERT statement trigger then moves each touched variant's stock to its last
--    on_hand_after and each touched product's stock_revision to its highest revision: one UPDATE of
--    products and one of variants per statement, so one notification each and one deferred ledger
--    check per touched variant. Rows skipped as replays are not in the transition table.
-- variants.stock is behind the ledger only inside the inserting statement; the deferred constraint
-- (variants_stock_ledger) still checks every touched variant at commit, and the direct-write guards
-- are unchanged (the statement trigger's UPDATEs run at trigger depth 2, as the row trigger's did).
CREATE OR REPLACE FUNCTION kriya_stock_movement_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  owner uuid;
  revision integer;
  replay boolean;
  last_revision integer;
  last_on_hand integer;
BEGIN
  -- Two queries per row: the product's lock (found through the variant), then the variant's lock
  -- with what the row needs. The second query's snapshot is taken once the product is locked, and
  -- every movement of the product takes that lock first, so a concurrent movement with the same key
  -- has committed by then and is seen.
  SELECT p.id, p.stock_revision INTO owner, revision FROM products p
    WHERE p.id = (SELECT v.product_id FROM variants v WHERE v.id = NEW.variant_id) FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'stock movement for unknown variant %', NEW.variant_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'stock_movements_variant_id_variants_id_fk';
  END IF;
  SELECT EXISTS (SELECT 1 FROM stock_movements m WHERE m.dedupe_key = NEW.dedupe_key),
         (SELECT m.on_hand_after FROM stock_movements m WHERE m.variant_id = NEW.variant_id
           ORDER BY m.stock_revision DESC LIMIT 1),
         (SELECT max(m.stock_revision) FROM stock_movements m WHERE m.product_id = owner)
    INTO replay, last_on_hand, last_revision
    FROM variants v WHERE v.id = NEW.variant_id FOR NO KEY UPDATE OF v;
  IF replay THEN
    RETURN NULL;
  END IF;
  NEW.product_id := owner;
  NEW.on_hand_after := coalesce(last_on_hand, 0) + NEW.delta;
  NEW.stock_revision := greatest(revision, coalesce(last_revision, 0)) + 1;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE FUNCTION kriya_stock_movements_applied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_movements) THEN
    RETURN NULL; -- every row was a replay
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
$$;--> statement-breakpoint
CREATE TRIGGER stock_movements_applied AFTER INSERT ON stock_movements REFERENCING NEW TABLE AS new_movements
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_stock_movements_applied();
