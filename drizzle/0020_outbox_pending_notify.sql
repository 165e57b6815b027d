-- Every statement that writes outbox rows sends one notification on commit (NOTIFY is transactional:
-- never for a rolled-back write; identical notifications of one transaction are folded into one).
-- Worker relays LISTEN on it and relay at once instead of waiting for their next poll; the poll stays
-- as the fallback while the LISTEN connection is down.
CREATE FUNCTION kriya_notify_outbox_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kriya_outbox_pending', '');
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER outbox_pending_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION kriya_notify_outbox_pending();
