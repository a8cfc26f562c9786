CREATE TABLE "server_secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
-- 244 random bits from the server's cryptographic generator (gen_random_uuid), made once.
INSERT INTO "server_secrets" ("name", "value") VALUES ('throttle', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')) ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- Counters keyed by the old, unkeyed digests name nobody any more.
DELETE FROM "login_failures";
