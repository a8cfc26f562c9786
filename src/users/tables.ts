import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const DEFAULT_TIME_ZONE = "America/Los_Angeles";

export const users = pgTable(
  "users",
  {
    uuid: uuid("uuid").primaryKey().default(sql`gen_random_uuid()`),
    cognitoSub: text("cognito_sub").notNull().unique(),
    // Cognito-owned: follow Cognito, never edited through the API.
    // username is not unique: Cognito reuses a username once its user is deleted.
    username: text("username").notNull(),
    email: text("email"),
    emailVerified: boolean("email_verified").notNull().default(false),
    // User-owned.
    firstName: text("first_name"),
    lastName: text("last_name"),
    preferredEmail: text("preferred_email"),
    gmail: text("gmail"),
    phone: text("phone"),
    textingOk: boolean("texting_ok").notNull().default(false),
    timeZone: text("time_zone").notNull().default(DEFAULT_TIME_ZONE),
    linkedinAccount: text("linkedin_account"),
    githubHandle: text("github_handle"),
    slackMemberId: text("slack_member_id"),
    currentJobTitle: text("current_job_title"),
    targetJobTitle: text("target_job_title"),
    currentSkills: text("current_skills"),
    targetSkills: text("target_skills"),
    // Administrators only.
    isActive: boolean("is_active").notNull().default(true),
    lastLogin: timestamp("last_login", { withTimezone: true }),
    // Last GetUser attempt for this user: bounds Cognito calls to one per 5 minutes per user.
    cognitoCheckedAt: timestamp("cognito_checked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // One index per list ordering (repository.ts list(): column, then uuid, in the direction and
  // null placement the query asks for), one per exact filter, and trigram indexes for the
  // substring search (pg_trgm, created by migration 0006). is_active has none: it keeps nine rows
  // in ten or one in ten, and the ordering's index with a filter serves both.
  (t) => [
    index("users_username_idx").on(t.username),
    index("users_email_lower_idx").on(sql`lower(${t.email})`),
    index("users_created_at_uuid_idx").on(t.createdAt, t.uuid),
    index("users_email_uuid_idx").on(t.email.asc().nullsLast(), t.uuid.asc()),
    index("users_email_desc_uuid_idx").on(t.email.desc().nullsLast(), t.uuid.desc()),
    index("users_last_name_uuid_idx").on(t.lastName.asc().nullsLast(), t.uuid.asc()),
    index("users_last_name_desc_uuid_idx").on(t.lastName.desc().nullsLast(), t.uuid.desc()),
    index("users_email_trgm_idx").using("gin", t.email.op("gin_trgm_ops")),
    index("users_username_trgm_idx").using("gin", t.username.op("gin_trgm_ops")),
    index("users_first_name_trgm_idx").using("gin", t.firstName.op("gin_trgm_ops")),
    index("users_last_name_trgm_idx").using("gin", t.lastName.op("gin_trgm_ops")),
  ],
);

export type User = typeof users.$inferSelect;

/**
 * Deactivated users whose profile an administrator deleted: their next token recreates the
 * profile deactivated, so that nobody comes back active by themselves.
 */
export const userTombstones = pgTable("user_tombstones", {
  cognitoSub: text("cognito_sub").primaryKey(),
  deletedAt: timestamp("deleted_at", { withTimezone: true }).notNull().defaultNow(),
});
