import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const users = pgTable(
  "users",
  {
    uuid: uuid("uuid").primaryKey().default(sql`gen_random_uuid()`),
    cognitoSub: text("cognito_sub").notNull().unique(),
    // Not unique: Cognito reuses a username once its user is deleted.
    username: text("username").notNull(),
    email: text("email"),
    emailVerified: boolean("email_verified").notNull().default(false),
    isActive: boolean("is_active").notNull().default(true),
    lastLogin: timestamp("last_login", { withTimezone: true }),
    // Last GetUser attempt for this user: bounds Cognito calls to one per 5 minutes per user.
    cognitoCheckedAt: timestamp("cognito_checked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("users_username_idx").on(t.username)],
);

export type User = typeof users.$inferSelect;
