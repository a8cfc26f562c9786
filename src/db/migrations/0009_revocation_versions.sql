-- Every update of a revocation draws a new version, whoever writes it: an instance of an older
-- version updating a row (a second sign-out) without drawing one would be read by nobody whose
-- notifications are down (attacker review).
CREATE FUNCTION "revocation_next_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW."seq" := nextval(pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), 'seq'));
	RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "revoked_sessions_next_version" BEFORE UPDATE ON "revoked_sessions" FOR EACH ROW EXECUTE FUNCTION "revocation_next_version"();
--> statement-breakpoint
CREATE TRIGGER "user_revocations_next_version" BEFORE UPDATE ON "user_revocations" FOR EACH ROW EXECUTE FUNCTION "revocation_next_version"();
