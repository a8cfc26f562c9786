CREATE TABLE "vrms_project_ids" (
	"vrms_id" text PRIMARY KEY NOT NULL,
	"project_uuid" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vrms_project_ids_object_id_check" CHECK ("vrms_project_ids"."vrms_id" ~ '^[0-9a-f]{24}$')
);
--> statement-breakpoint
CREATE TABLE "vrms_user_ids" (
	"vrms_id" text PRIMARY KEY NOT NULL,
	"user_uuid" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vrms_user_ids_object_id_check" CHECK ("vrms_user_ids"."vrms_id" ~ '^[0-9a-f]{24}$')
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "github_url" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "slack_url" text;--> statement-breakpoint
ALTER TABLE "vrms_project_ids" ADD CONSTRAINT "vrms_project_ids_project_uuid_projects_uuid_fk" FOREIGN KEY ("project_uuid") REFERENCES "public"."projects"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vrms_user_ids" ADD CONSTRAINT "vrms_user_ids_user_uuid_users_uuid_fk" FOREIGN KEY ("user_uuid") REFERENCES "public"."users"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "vrms_project_ids_project_idx" ON "vrms_project_ids" USING btree ("project_uuid");--> statement-breakpoint
CREATE INDEX "vrms_user_ids_user_idx" ON "vrms_user_ids" USING btree ("user_uuid");