-- Bearer tokens carry users.token_version (claim `tv`); the API refuses a token whose version is not
-- the current one. Bumped here, in the database, so every way of changing a user revokes its tokens:
-- the services, a CLI, or an operator's SQL. An explicit change of token_version itself is kept
-- (that is how to log a user out everywhere).
CREATE FUNCTION users_bump_token_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.token_version IS NOT DISTINCT FROM OLD.token_version AND (
       NEW.password_hash IS DISTINCT FROM OLD.password_hash
    OR NEW.disabled IS DISTINCT FROM OLD.disabled
    OR NEW.role IS DISTINCT FROM OLD.role
    OR NEW.crafter_id IS DISTINCT FROM OLD.crafter_id
    OR NEW.region_code IS DISTINCT FROM OLD.region_code
  ) THEN
    NEW.token_version := OLD.token_version + 1;
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER users_token_version BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION users_bump_token_version();
