CREATE TABLE "permission_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "permission_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"action" text NOT NULL,
	"permission_uuid" uuid NOT NULL,
	"user_uuid" uuid NOT NULL,
	"permission_type" text NOT NULL,
	"project_uuid" uuid,
	"practice_area_uuid" uuid,
	"actor" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "permission_history_action_check" CHECK ("permission_history"."action" in ('grant', 'revoke'))
);
--> statement-breakpoint
CREATE TABLE "permission_types" (
	"name" text PRIMARY KEY NOT NULL,
	"rank" integer NOT NULL,
	"scope" text NOT NULL,
	"description" text NOT NULL,
	CONSTRAINT "permission_types_rank_unique" UNIQUE("rank"),
	CONSTRAINT "permission_types_name_scope_key" UNIQUE("name","scope"),
	CONSTRAINT "permission_types_scope_check" CHECK ("permission_types"."scope" in ('global', 'project'))
);
--> statement-breakpoint
CREATE TABLE "practice_areas" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "practice_areas_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "user_permissions" (
	"uuid" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_uuid" uuid NOT NULL,
	"permission_type" text NOT NULL,
	"scope" text NOT NULL,
	"project_uuid" uuid,
	"practice_area_uuid" uuid,
	"granted_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_permissions_grant_key" UNIQUE NULLS NOT DISTINCT("user_uuid","permission_type","project_uuid","practice_area_uuid"),
	CONSTRAINT "user_permissions_scope_check" CHECK (("user_permissions"."scope" = 'project') = ("user_permissions"."project_uuid" is not null)),
	CONSTRAINT "user_permissions_practice_area_check" CHECK ("user_permissions"."practice_area_uuid" is null or "user_permissions"."project_uuid" is not null)
);
--> statement-breakpoint
ALTER TABLE "user_permissions" ADD CONSTRAINT "user_permissions_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_permissions" ADD CONSTRAINT "user_permissions_project_uuid_projects_uuid_fk" FOREIGN KEY ("project_uuid") REFERENCES "public"."projects"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_permissions" ADD CONSTRAINT "user_permissions_practice_area_uuid_practice_areas_uuid_fk" FOREIGN KEY ("practice_area_uuid") REFERENCES "public"."practice_areas"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_permissions" ADD CONSTRAINT "user_permissions_type_scope_fk" FOREIGN KEY ("permission_type","scope") REFERENCES "public"."permission_types"("name","scope") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "permission_history_user_idx" ON "permission_history" USING btree ("user_uuid","id");--> statement-breakpoint
CREATE INDEX "permission_history_project_idx" ON "permission_history" USING btree ("project_uuid","id");--> statement-breakpoint
CREATE INDEX "user_permissions_project_idx" ON "user_permissions" USING btree ("project_uuid","user_uuid");--> statement-breakpoint
-- The types of src/permissions/types.ts (PeopleDepot's, lower rank = more power).
INSERT INTO "permission_types" ("name", "rank", "scope", "description") VALUES
	('adminGlobal', 1, 'global', 'People Depot administrators: may do anything.'),
	('adminVrms', 2, 'global', 'Granted to VRMS the application: reads everything, grants up to adminBrigade.'),
	('adminBrigade', 3, 'global', 'Brigade leads: manage users and projects of the brigade (here, the whole pool).'),
	('adminProject', 4, 'project', 'Product managers: read and update anything of their project.'),
	('practiceLeadProject', 5, 'project', 'Practice area lead of a project: reads and updates the people of their practice area.'),
	('practiceLeadJrProject', 6, 'project', 'Junior practice area lead of a project.'),
	('memberProject', 7, 'project', 'Project team member: reads what the project shows its members.'),
	('memberGeneral', 8, 'global', 'Onboarded volunteer: may express interest in a project''s open roles.');
--> statement-breakpoint
-- PeopleDepot's practice areas (app/data/migrations/0002_practicearea_seed.py).
INSERT INTO "practice_areas" ("name") VALUES ('Development'), ('Design'), ('Professional Development'), ('Project Management');
--> statement-breakpoint
-- Every grant and every revocation leaves one history row, whoever makes it: the API (which names
-- itself in vrms.actor for the transaction) or a cascade from a deleted user or project.
CREATE FUNCTION "permission_history_record"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO "permission_history" ("action", "permission_uuid", "user_uuid", "permission_type", "project_uuid", "practice_area_uuid", "actor")
		VALUES ('grant', NEW."uuid", NEW."user_uuid", NEW."permission_type", NEW."project_uuid", NEW."practice_area_uuid", nullif(current_setting('vrms.actor', true), ''));
		RETURN NEW;
	END IF;
	INSERT INTO "permission_history" ("action", "permission_uuid", "user_uuid", "permission_type", "project_uuid", "practice_area_uuid", "actor")
	VALUES ('revoke', OLD."uuid", OLD."user_uuid", OLD."permission_type", OLD."project_uuid", OLD."practice_area_uuid", nullif(current_setting('vrms.actor', true), ''));
	RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER "user_permissions_history" AFTER INSERT OR DELETE ON "user_permissions" FOR EACH ROW EXECUTE FUNCTION "permission_history_record"();
--> statement-breakpoint
CREATE FUNCTION "refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
-- History is never rewritten; a grant is never edited in place (a change is a revocation and a grant).
CREATE TRIGGER "permission_history_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "permission_history" FOR EACH STATEMENT EXECUTE FUNCTION "refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "user_permissions_no_update" BEFORE UPDATE ON "user_permissions" FOR EACH STATEMENT EXECUTE FUNCTION "refuse_change"();
