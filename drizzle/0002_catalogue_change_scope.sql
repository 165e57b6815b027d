-- Catalogue change notifications name what changed, so API processes drop only the cached list
-- pages that can show it: the crafters whose rows changed and their kelurahan (a page of a region
-- scope contains it when the kelurahan lies in the region). Payload: {"c":[crafter ids],"k":[kelurahan
-- codes]}; "*" (anything may have changed) for TRUNCATE or when the list would not fit a notification.
-- Transition tables need one trigger per event; the statement-level triggers of 0001 are replaced.
DROP TRIGGER products_catalogue_changed ON products;--> statement-breakpoint
DROP TRIGGER variants_catalogue_changed ON variants;--> statement-breakpoint
DROP TRIGGER crafters_catalogue_changed ON crafters;--> statement-breakpoint
CREATE FUNCTION kriya_notify_catalogue_scope(crafter_ids uuid[], kelurahan_codes text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  payload text;
BEGIN
  IF crafter_ids IS NULL OR cardinality(crafter_ids) = 0 THEN
    RETURN; -- the statement changed no row
  END IF;
  payload := json_build_object('c', crafter_ids, 'k', coalesce(kelurahan_codes, '{}'))::text;
  IF octet_length(payload) > 7000 THEN
    payload := '*';
  END IF;
  PERFORM pg_notify('kriya_catalogue_changed', payload);
END;
$$;--> statement-breakpoint
-- products and variants carry crafter_id; the kelurahan comes from the crafter.
CREATE FUNCTION kriya_notify_owned_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT crafter_id) INTO ids FROM new_rows;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(DISTINCT x) INTO ids FROM (SELECT crafter_id AS x FROM new_rows UNION SELECT crafter_id FROM old_rows) s;
  ELSE
    SELECT array_agg(DISTINCT crafter_id) INTO ids FROM old_rows;
  END IF;
  PERFORM kriya_notify_catalogue_scope(
    ids, (SELECT array_agg(DISTINCT kelurahan_code) FROM crafters WHERE id = ANY (ids)));
  RETURN NULL;
END;
$$;--> statement-breakpoint
-- crafters: the row's own id, and both its old and new kelurahan (a move changes both regions' pages).
CREATE FUNCTION kriya_notify_crafters_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
  codes text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT id), array_agg(DISTINCT kelurahan_code) INTO ids, codes FROM new_rows;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(DISTINCT id), array_agg(DISTINCT kelurahan_code) INTO ids, codes
    FROM (SELECT id, kelurahan_code FROM new_rows UNION ALL SELECT id, kelurahan_code FROM old_rows) s;
  ELSE
    SELECT array_agg(DISTINCT id), array_agg(DISTINCT kelurahan_code) INTO ids, codes FROM old_rows;
  END IF;
  PERFORM kriya_notify_catalogue_scope(ids, codes);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER products_changed_insert AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_owned_rows_changed();--> statement-breakpoint
CREATE TRIGGER products_changed_update AFTER UPDATE ON products REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_owned_rows_changed();--> statement-breakpoint
CREATE TRIGGER products_changed_delete AFTER DELETE ON products REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_owned_rows_changed();--> statement-breakpoint
CREATE TRIGGER products_changed_truncate AFTER TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_catalogue_changed();--> statement-breakpoint
CREATE TRIGGER variants_changed_insert AFTER INSERT ON variants REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_owned_rows_changed();--> statement-breakpoint
CREATE TRIGGER variants_changed_update AFTER UPDATE ON variants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_owned_rows_changed();--> statement-breakpoint
CREATE TRIGGER variants_changed_delete AFTER DELETE ON variants REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_owned_rows_changed();--> statement-breakpoint
CREATE TRIGGER variants_changed_truncate AFTER TRUNCATE ON variants
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_catalogue_changed();--> statement-breakpoint
CREATE TRIGGER crafters_changed_insert AFTER INSERT ON crafters REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_crafters_changed();--> statement-breakpoint
CREATE TRIGGER crafters_changed_update AFTER UPDATE ON crafters REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_crafters_changed();--> statement-breakpoint
CREATE TRIGGER crafters_changed_delete AFTER DELETE ON crafters REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_crafters_changed();--> statement-breakpoint
CREATE TRIGGER crafters_changed_truncate AFTER TRUNCATE ON crafters
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_catalogue_changed();
