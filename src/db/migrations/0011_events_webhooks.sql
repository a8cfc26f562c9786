CREATE TABLE "events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"uuid" uuid DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text,
	"subject" text NOT NULL,
	"snapshot" jsonb NOT NULL,
	"changed" text[],
	"traceparent" text,
	CONSTRAINT "events_uuid_unique" UNIQUE("uuid")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"uuid" uuid DEFAULT gen_random_uuid() NOT NULL,
	"subscription_uuid" uuid NOT NULL,
	"event_id" bigint NOT NULL,
	"subject" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"first_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"last_status" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "webhook_deliveries_uuid_unique" UNIQUE("uuid")
);
--> statement-breakpoint
CREATE TABLE "webhook_subscriptions" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner" text NOT NULL,
	"owner_scopes" text[] DEFAULT '{}'::text[] NOT NULL,
	"url" text NOT NULL,
	"event_types" text[] NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"failing_since" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_subscription_fk" FOREIGN KEY ("subscription_uuid") REFERENCES "public"."webhook_subscriptions"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_occurred_at_idx" ON "events" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_subject_idx" ON "webhook_deliveries" USING btree ("subscription_uuid","subject","event_id") WHERE "webhook_deliveries"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_list_idx" ON "webhook_deliveries" USING btree ("subscription_uuid","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_idx" ON "webhook_deliveries" USING btree ("event_id");--> statement-breakpoint
-- The outbox's order. Every statement that may write an event takes one transaction-scoped
-- advisory lock before it changes a row, so events are numbered in the order their transactions
-- commit: a feed reader taking `id > cursor` never skips an event that commits after it read, and
-- each subject's events are numbered in the order its changes committed. Taken before the row
-- locks (a BEFORE STATEMENT trigger), so that it never waits inside one (no deadlock).
CREATE FUNCTION "events_order_lock"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(7301955025);
	RETURN NULL;
END $$;
--> statement-breakpoint
-- One event, and one delivery for every enabled subscription that wants its type, in the change's
-- own transaction. The actor and the request's traceparent are what the API set for the
-- transaction (set_config(..., true)), which a cascade inherits; the system names none.
CREATE FUNCTION "events_emit"(p_type text, p_subject text, p_snapshot jsonb, p_changed text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(7301955025);
	INSERT INTO "events" ("type", "actor", "subject", "snapshot", "changed", "traceparent")
	VALUES (p_type, nullif(current_setting('vrms.actor', true), ''), p_subject, p_snapshot, p_changed, nullif(current_setting('vrms.traceparent', true), ''))
	RETURNING "id" INTO v_id;
	INSERT INTO "webhook_deliveries" ("subscription_uuid", "event_id", "subject")
	SELECT "uuid", v_id, p_subject FROM "webhook_subscriptions"
	WHERE "enabled" AND ('*' = ANY ("event_types") OR p_type = ANY ("event_types"));
END $$;
--> statement-breakpoint
-- The names of the columns whose values differ, but those that change without anyone changing
-- the subject (sign-in times, bookkeeping).
CREATE FUNCTION "events_changed_fields"(p_old jsonb, p_new jsonb, p_ignored text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}')
	FROM jsonb_each(p_new) n JOIN jsonb_each(p_old) o USING (key)
	WHERE n.value IS DISTINCT FROM o.value AND NOT (n.key = ANY (p_ignored))
$$;
--> statement-breakpoint
CREATE FUNCTION "users_events"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	v_changed text[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM "events_emit"('user.created', NEW."uuid"::text, to_jsonb(NEW) - 'cognito_sub' - 'cognito_checked_at', NULL);
		RETURN NULL;
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM "events_emit"('user.deleted', OLD."uuid"::text, to_jsonb(OLD) - 'cognito_sub' - 'cognito_checked_at', NULL);
		RETURN NULL;
	END IF;
	v_changed := "events_changed_fields"(to_jsonb(OLD), to_jsonb(NEW),
		ARRAY['is_active', 'last_login', 'cognito_checked_at', 'updated_at', 'created_at', 'cognito_sub', 'uuid']);
	IF OLD."is_active" AND NOT NEW."is_active" THEN
		PERFORM "events_emit"('user.deactivated', NEW."uuid"::text, to_jsonb(NEW) - 'cognito_sub' - 'cognito_checked_at', NULL);
	ELSIF NEW."is_active" AND NOT OLD."is_active" THEN
		PERFORM "events_emit"('user.reactivated', NEW."uuid"::text, to_jsonb(NEW) - 'cognito_sub' - 'cognito_checked_at', NULL);
	END IF;
	IF cardinality(v_changed) > 0 THEN
		PERFORM "events_emit"('user.updated', NEW."uuid"::text, to_jsonb(NEW) - 'cognito_sub' - 'cognito_checked_at', v_changed);
	END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "projects_events"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	v_changed text[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM "events_emit"('project.created', NEW."uuid"::text, to_jsonb(NEW), NULL);
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM "events_emit"('project.deleted', OLD."uuid"::text, to_jsonb(OLD), NULL);
	ELSE
		v_changed := "events_changed_fields"(to_jsonb(OLD), to_jsonb(NEW), ARRAY['updated_at', 'created_at', 'uuid']);
		IF cardinality(v_changed) > 0 THEN
			PERFORM "events_emit"('project.updated', NEW."uuid"::text, to_jsonb(NEW), v_changed);
		END IF;
	END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "user_permissions_events"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM "events_emit"('permission.granted', NEW."uuid"::text, to_jsonb(NEW) - 'scope', NULL);
	ELSE
		PERFORM "events_emit"('permission.revoked', OLD."uuid"::text, to_jsonb(OLD) - 'scope', NULL);
	END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
-- "Signed out everywhere" is a row of user_revocations keyed by the token's sub: a user's Cognito
-- sub, or a service's client id (never a Cognito sub: those are uuids of the pool's users).
CREATE FUNCTION "user_revocations_events"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	v_user "users";
BEGIN
	SELECT * INTO v_user FROM "users" WHERE "cognito_sub" = NEW."sub";
	IF FOUND THEN
		PERFORM "events_emit"('user.signed_out', v_user."uuid"::text, to_jsonb(v_user) - 'cognito_sub' - 'cognito_checked_at', NULL);
	ELSE
		PERFORM "events_emit"('service.signed_out', NEW."sub", jsonb_build_object('client_id', NEW."sub"), NULL);
	END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
-- Not for the columns that change without an event (last_login, cognito_checked_at): signing in
-- takes no cluster-wide lock.
CREATE TRIGGER "users_events_lock" BEFORE INSERT OR DELETE OR UPDATE OF "username", "email", "email_verified", "first_name", "last_name", "preferred_email", "gmail", "phone", "texting_ok", "time_zone", "linkedin_account", "github_handle", "slack_member_id", "current_job_title", "target_job_title", "current_skills", "target_skills", "is_active" ON "users" FOR EACH STATEMENT EXECUTE FUNCTION "events_order_lock"();
--> statement-breakpoint
CREATE TRIGGER "projects_events_lock" BEFORE INSERT OR UPDATE OR DELETE ON "projects" FOR EACH STATEMENT EXECUTE FUNCTION "events_order_lock"();
--> statement-breakpoint
CREATE TRIGGER "user_permissions_events_lock" BEFORE INSERT OR DELETE ON "user_permissions" FOR EACH STATEMENT EXECUTE FUNCTION "events_order_lock"();
--> statement-breakpoint
CREATE TRIGGER "user_revocations_events_lock" BEFORE INSERT OR UPDATE ON "user_revocations" FOR EACH STATEMENT EXECUTE FUNCTION "events_order_lock"();
--> statement-breakpoint
-- A deleted user's or project's grants (the foreign keys' cascade) are revoked, in events, right
-- after its own deleted event, in the same transaction.
CREATE TRIGGER "users_events" AFTER INSERT OR UPDATE OR DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION "users_events"();
--> statement-breakpoint
CREATE TRIGGER "projects_events" AFTER INSERT OR UPDATE OR DELETE ON "projects" FOR EACH ROW EXECUTE FUNCTION "projects_events"();
--> statement-breakpoint
CREATE TRIGGER "user_permissions_events" AFTER INSERT OR DELETE ON "user_permissions" FOR EACH ROW EXECUTE FUNCTION "user_permissions_events"();
--> statement-breakpoint
CREATE TRIGGER "user_revocations_events" AFTER INSERT OR UPDATE ON "user_revocations" FOR EACH ROW EXECUTE FUNCTION "user_revocations_events"();
