import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { projects } from "../projects/tables.ts";
import { users } from "../users/tables.ts";

/**
 * VRMS's MongoDB `_id`s of the people and projects imported from it (npm run cli -- import vrms),
 * so that VRMS can re-point its check-ins (GET /api/v1/users?vrms_id=…). A merged person keeps every
 * id of its records. An id is an ObjectId: 24 lower-case hex digits.
 */
export const vrmsUserIds = pgTable(
  "vrms_user_ids",
  {
    vrmsId: text("vrms_id").primaryKey(),
    userUuid: uuid("user_uuid").notNull().references(() => users.uuid, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("vrms_user_ids_object_id_check", sql`${t.vrmsId} ~ '^[0-9a-f]{24}$'`), index("vrms_user_ids_user_idx").on(t.userUuid)],
);

export const vrmsProjectIds = pgTable(
  "vrms_project_ids",
  {
    vrmsId: text("vrms_id").primaryKey(),
    projectUuid: uuid("project_uuid").notNull().references(() => projects.uuid, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("vrms_project_ids_object_id_check", sql`${t.vrmsId} ~ '^[0-9a-f]{24}$'`), index("vrms_project_ids_project_idx").on(t.projectUuid)],
);
