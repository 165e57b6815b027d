-- Keys are now written only together with the outcome of the write they protect (in its transaction).
-- Rows still pending under the previous design (a request in flight, or one whose process died) have
-- no outcome to replay: forgetting them lets their retry run afresh, as their lapsed lock would have.
DELETE FROM "idempotency_keys" WHERE "state" = 'pending' OR "response_status" IS NULL;
