-- Every insert or update of a revocation row, whoever writes it, takes one transaction-scoped
-- advisory lock and then draws the row's version. Writers therefore commit in the order of their
-- versions (the lock is released only once the commit is visible), so an instance that reads
-- `seq > last` never skips a version that commits later (sessions/revocation-rows.ts). A version
-- given in the insert itself (a hand-written row, a restore's old value) is replaced.
CREATE OR REPLACE FUNCTION "revocation_next_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(7301955018);
	NEW."seq" := nextval(pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), 'seq'));
	RETURN NEW;
END $$;
--> statement-breakpoint
DROP TRIGGER "revoked_sessions_next_version" ON "revoked_sessions";
--> statement-breakpoint
DROP TRIGGER "user_revocations_next_version" ON "user_revocations";
--> statement-breakpoint
CREATE TRIGGER "revoked_sessions_next_version" BEFORE INSERT OR UPDATE ON "revoked_sessions" FOR EACH ROW EXECUTE FUNCTION "revocation_next_version"();
--> statement-breakpoint
CREATE TRIGGER "user_revocations_next_version" BEFORE INSERT OR UPDATE ON "user_revocations" FOR EACH ROW EXECUTE FUNCTION "revocation_next_version"();
