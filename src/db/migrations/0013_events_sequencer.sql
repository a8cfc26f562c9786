-- Writers no longer take one cluster-wide lock (migration events_webhooks' events_order_lock):
-- every change to an evented table waited for every other one's commit. What that lock gave, kept:
--  * per subject, commit order: an event's id is drawn in an AFTER ROW trigger, once the change
--    holds its subject's row lock, which it keeps to commit; a later change of that subject draws
--    its id only after the earlier one committed (and is visible: row locks go after the commit).
--    Deliveries go by id within a subject, so they follow commit order without any shared lock.
--  * the feed never skips: events get a `position` after they commit, from the sequencer below,
--    one sequencer transaction at a time, each numbering the committed events it sees above every
--    position already given. A reader of `position > cursor` can only meet later positions later.
-- Ordering the feed by id instead loses events (a higher id commits while a lower one is still in
-- flight; the cursor passes it), and by (xid, id) breaks a subject's order (an xid is assigned
-- before the row-lock wait, so the lower xid can commit its change after the higher one).
ALTER TABLE "events" ADD COLUMN "position" bigint;--> statement-breakpoint
-- Events already written were numbered in commit order under the old lock: their ids are their positions.
UPDATE "events" SET "position" = "id";--> statement-breakpoint
-- The highest position ever given (only the sequencer draws from it): positions never go back,
-- even when the retention purges the newest events.
CREATE SEQUENCE "events_position_seq" AS bigint MINVALUE 1 CACHE 1;--> statement-breakpoint
SELECT setval('events_position_seq', coalesce((SELECT max("position") FROM "events"), 0) + 1, false);--> statement-breakpoint
CREATE UNIQUE INDEX "events_position_idx" ON "events" USING btree ("position");--> statement-breakpoint
CREATE INDEX "events_unpositioned_idx" ON "events" USING btree ("id") WHERE "events"."position" is null;--> statement-breakpoint
DROP TRIGGER "users_events_lock" ON "users";--> statement-breakpoint
DROP TRIGGER "projects_events_lock" ON "projects";--> statement-breakpoint
DROP TRIGGER "user_permissions_events_lock" ON "user_permissions";--> statement-breakpoint
DROP TRIGGER "user_revocations_events_lock" ON "user_revocations";--> statement-breakpoint
DROP FUNCTION "events_order_lock"();--> statement-breakpoint
CREATE OR REPLACE FUNCTION "events_emit"(p_type text, p_subject text, p_snapshot jsonb, p_changed text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO "events" ("type", "actor", "subject", "snapshot", "changed", "traceparent")
	VALUES (p_type, nullif(current_setting('vrms.actor', true), ''), p_subject, p_snapshot, p_changed, nullif(current_setting('vrms.traceparent', true), ''))
	RETURNING "id" INTO v_id;
	INSERT INTO "webhook_deliveries" ("subscription_uuid", "event_id", "subject")
	SELECT "uuid", v_id, p_subject FROM "webhook_subscriptions"
	WHERE "enabled" AND ('*' = ANY ("event_types") OR p_type = ANY ("event_types"));
END $$;
--> statement-breakpoint
-- A sign-out's subject is the user, whose row it does not change: it locks the row (FOR SHARE) so
-- that its id, like any change of the user, is drawn after the user's earlier changes committed,
-- and its snapshot is the user as they left it. A sub with no user that is a uuid (a Cognito sub:
-- the user was deleted meanwhile) emits nothing; user.deleted said it, and a payload never
-- carries a Cognito sub. Services' client ids are never uuids.
CREATE OR REPLACE FUNCTION "user_revocations_events"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	v_user "users";
BEGIN
	SELECT * INTO v_user FROM "users" WHERE "cognito_sub" = NEW."sub" FOR SHARE;
	IF FOUND THEN
		PERFORM "events_emit"('user.signed_out', v_user."uuid"::text, to_jsonb(v_user) - 'cognito_sub' - 'cognito_checked_at', NULL);
	ELSIF NEW."sub" !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
		PERFORM "events_emit"('service.signed_out', NEW."sub", jsonb_build_object('client_id', NEW."sub"), NULL);
	END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
-- The sequencer: gives the committed events it sees, lowest id first, the positions after the
-- highest one ever given. One at a time (its own advisory lock, which no writer takes); each statement
-- reads a fresh snapshot, so the UPDATE sees every position the previous holder committed. Call it
-- alone, in a read-committed transaction of its own (the API does: the dispatcher's poll without
-- waiting, the feed waiting). p_limit null: every such event.
CREATE FUNCTION "events_sequence"(p_limit integer, p_wait boolean) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_count integer;
	v_first bigint;
BEGIN
	IF current_setting('transaction_isolation') <> 'read committed' THEN
		RAISE EXCEPTION 'events_sequence needs a read committed transaction of its own';
	END IF;
	IF p_wait THEN
		PERFORM pg_advisory_xact_lock(7301955026);
	ELSIF NOT pg_try_advisory_xact_lock(7301955026) THEN
		RETURN 0;
	END IF;
	SELECT count(*) INTO v_count FROM (SELECT 1 FROM "events" WHERE "position" IS NULL LIMIT p_limit) todo;
	IF v_count = 0 THEN
		RETURN 0;
	END IF;
	-- v_count positions from v_first on; more events may have committed since the count: they wait for the next run.
	v_first := nextval('events_position_seq');
	PERFORM setval('events_position_seq', v_first + v_count - 1);
	UPDATE "events" e SET "position" = v_first + todo."n" - 1
	FROM (SELECT "id", row_number() OVER (ORDER BY "id") AS "n" FROM "events" WHERE "position" IS NULL ORDER BY "id" LIMIT v_count) todo
	WHERE e."id" = todo."id";
	RETURN v_count;
END $$;
