-- The stock ledger's rules live in the database, so that no write path can skip them
-- (0014 made the table). Stock moves only by rows in stock_movements:
--
-- 1. A movement is applied by its BEFORE INSERT trigger under the product's and then the variant's
--    row lock (the order every catalogue write takes them in, so they never deadlock). A dedupe key
--    already recorded skips the row: replays change nothing. Otherwise the trigger sets product_id,
--    on_hand_after (the variant's previous on_hand_after + delta) and stock_revision (the product's,
--    bumped by one), and moves variants.stock to on_hand_after.
-- 2. variants.stock and products.stock_revision change only through (1): a direct UPDATE is refused
--    at once, and a deferred constraint trigger (variants_stock_ledger) checks at commit that every
--    variant touched has the stock its ledger says.
-- 3. Movements are append-only: a mistake is corrected by another movement.
-- 4. A variant inserted with stock (a raw INSERT such as the benches') gets an opening `import`
--    movement; the services insert variants with 0 and record the stock themselves.
-- 5. Stock that existed before the ledger gets its opening `import` movement here.
CREATE FUNCTION kriya_stock_movement_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  owner uuid;
  current_stock integer;
  last_on_hand integer;
BEGIN
  SELECT product_id INTO owner FROM variants WHERE id = NEW.variant_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'stock movement for unknown variant %', NEW.variant_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'stock_movements_variant_id_variants_id_fk';
  END IF;
  PERFORM 1 FROM products WHERE id = owner FOR NO KEY UPDATE;
  SELECT stock INTO current_stock FROM variants WHERE id = NEW.variant_id FOR NO KEY UPDATE;
  -- Under the locks: a concurrent movement of this variant with the same key has committed by now.
  IF EXISTS (SELECT 1 FROM stock_movements WHERE dedupe_key = NEW.dedupe_key) THEN
    RETURN NULL;
  END IF;
  SELECT on_hand_after INTO last_on_hand FROM stock_movements
    WHERE variant_id = NEW.variant_id ORDER BY stock_revision DESC LIMIT 1;
  NEW.product_id := owner;
  NEW.on_hand_after := coalesce(last_on_hand, 0) + NEW.delta;
  UPDATE products SET stock_revision = stock_revision + 1 WHERE id = owner
    RETURNING stock_revision INTO NEW.stock_revision;
  IF current_stock IS DISTINCT FROM NEW.on_hand_after THEN
    UPDATE variants SET stock = NEW.on_hand_after WHERE id = NEW.variant_id;
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER stock_movements_apply BEFORE INSERT ON stock_movements
  FOR EACH ROW EXECUTE FUNCTION kriya_stock_movement_apply();--> statement-breakpoint
CREATE FUNCTION kriya_stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stock movements are append-only: record a correcting movement instead'
    USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_movements_append_only';
END;
$$;--> statement-breakpoint
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
  FOR EACH ROW EXECUTE FUNCTION kriya_stock_movements_append_only();--> statement-breakpoint
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON stock_movements
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_stock_movements_append_only();--> statement-breakpoint
-- pg_trigger_depth() is 1 for a statement's own trigger and 2 inside kriya_stock_movement_apply.
CREATE FUNCTION kriya_stock_guard_variants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 AND NEW.stock IS DISTINCT FROM OLD.stock THEN
    RAISE EXCEPTION 'variants.stock moves only by stock movements: insert a row into stock_movements'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'variants_stock_ledger';
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER variants_stock_guard BEFORE UPDATE OF stock ON variants
  FOR EACH ROW EXECUTE FUNCTION kriya_stock_guard_variants();--> statement-breakpoint
CREATE FUNCTION kriya_stock_guard_products() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 AND NEW.stock_revision IS DISTINCT FROM OLD.stock_revision THEN
    RAISE EXCEPTION 'products.stock_revision moves only by stock movements: insert a row into stock_movements'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'variants_stock_ledger';
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER products_stock_revision_guard BEFORE UPDATE OF stock_revision ON products
  FOR EACH ROW EXECUTE FUNCTION kriya_stock_guard_products();--> statement-breakpoint
CREATE FUNCTION kriya_stock_check_variant() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  current_stock integer;
  ledger integer;
BEGIN
  SELECT stock INTO current_stock FROM variants WHERE id = NEW.id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT on_hand_after INTO ledger FROM stock_movements
    WHERE variant_id = NEW.id ORDER BY stock_revision DESC LIMIT 1;
  IF current_stock IS DISTINCT FROM coalesce(ledger, 0) THEN
    RAISE EXCEPTION 'variant % has stock % but its stock ledger says %', NEW.id, current_stock, coalesce(ledger, 0)
      USING ERRCODE = 'check_violation', CONSTRAINT = 'variants_stock_ledger';
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE CONSTRAINT TRIGGER variants_stock_ledger AFTER INSERT OR UPDATE OF stock ON variants
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kriya_stock_check_variant();--> statement-breakpoint
CREATE FUNCTION kriya_stock_opening() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- product_id, on_hand_after and stock_revision are set by kriya_stock_movement_apply.
  INSERT INTO stock_movements (variant_id, product_id, delta, on_hand_after, stock_revision, kind, dedupe_key, note)
  VALUES (NEW.id, NEW.product_id, NEW.stock, 0, 0, 'import', 'opening:' || NEW.id, 'stock the variant was created with');
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER variants_stock_opening AFTER INSERT ON variants
  FOR EACH ROW WHEN (NEW.stock <> 0) EXECUTE FUNCTION kriya_stock_opening();--> statement-breakpoint
INSERT INTO stock_movements (variant_id, product_id, delta, on_hand_after, stock_revision, kind, dedupe_key, note)
SELECT id, product_id, stock, 0, 0, 'import', 'opening:' || id, 'stock before the ledger'
FROM variants WHERE stock <> 0 ORDER BY product_id, position, id;--> statement-breakpoint
UPDATE products SET version_stock_revision = stock_revision WHERE stock_revision <> 0;
