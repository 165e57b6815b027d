-- Every committed change to what catalogue lists show (products, variants, crafters: a crafter's
-- kelurahan decides which admins see it) sends one notification per statement. NOTIFY is
-- transactional: it is delivered only after commit, and never for a rolled-back change. API
-- processes LISTEN on it to drop cached list pages; no write path can forget to tell them.
CREATE FUNCTION kriya_notify_catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kriya_catalogue_changed', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER products_catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_catalogue_changed();--> statement-breakpoint
CREATE TRIGGER variants_catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON variants
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_catalogue_changed();--> statement-breakpoint
CREATE TRIGGER crafters_catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crafters
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_catalogue_changed();
