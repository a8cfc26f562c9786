ALTER TABLE "users" ADD COLUMN "first_name" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "last_name" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "preferred_email" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "gmail" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "phone" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "texting_ok" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "time_zone" text DEFAULT 'America/Los_Angeles' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "linkedin_account" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "github_handle" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "slack_member_id" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "current_job_title" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "target_job_title" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "current_skills" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "target_skills" text;--> statement-breakpoint
CREATE INDEX "users_email_idx" ON "users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "users_created_at_idx" ON "users" USING btree ("created_at");