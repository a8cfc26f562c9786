import { sql } from "drizzle-orm";
import { bigint, check, foreignKey, index, integer, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { projects } from "../projects/tables.ts";
import { users } from "../users/tables.ts";

/** Seeded by the migration from authz/permission-types.ts; read-only through the API. */
export const permissionTypes = pgTable(
  "permission_types",
  {
    name: text("name").primaryKey(),
    rank: integer("rank").notNull().unique(),
    scope: text("scope").notNull(),
    description: text("description").notNull(),
  },
  (t) => [
    check("permission_types_scope_check", sql`${t.scope} in ('global', 'project')`),
    // The target of user_permissions' (type, scope) foreign key.
    unique("permission_types_name_scope_key").on(t.name, t.scope),
  ],
);

export const practiceAreas = pgTable("practice_areas", {
  uuid: uuid("uuid").primaryKey().default(sql`gen_random_uuid()`),
  name: text("name").notNull().unique(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Who holds which type where. The type's scope is copied into the row so that the database itself
 * refuses a project-scoped grant without a project, or a global one with one (a check cannot
 * read another table; a foreign key on (type, scope) can). Rows are never updated: a change is a
 * revocation and a grant, and triggers write both to permission_history.
 */
export const userPermissions = pgTable(
  "user_permissions",
  {
    uuid: uuid("uuid").primaryKey().default(sql`gen_random_uuid()`),
    userUuid: uuid("user_uuid").notNull().references(() => users.uuid, { onDelete: "cascade" }),
    permissionType: text("permission_type").notNull(),
    scope: text("scope").notNull(),
    projectUuid: uuid("project_uuid").references(() => projects.uuid, { onDelete: "cascade" }),
    practiceAreaUuid: uuid("practice_area_uuid").references(() => practiceAreas.uuid, { onDelete: "cascade" }),
    // Not a foreign key: the grantor's profile may be deleted; the grant and its history stay.
    grantedBy: uuid("granted_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ name: "user_permissions_type_scope_fk", columns: [t.permissionType, t.scope], foreignColumns: [permissionTypes.name, permissionTypes.scope] }),
    check("user_permissions_scope_check", sql`(${t.scope} = 'project') = (${t.projectUuid} is not null)`),
    check("user_permissions_practice_area_check", sql`${t.practiceAreaUuid} is null or ${t.projectUuid} is not null`),
    unique("user_permissions_grant_key").on(t.userUuid, t.permissionType, t.projectUuid, t.practiceAreaUuid).nullsNotDistinct(),
    // Members of a project (GET /projects/{uuid}/members, the users list's project filter).
    index("user_permissions_project_idx").on(t.projectUuid, t.userUuid),
    // GET /api/v1/user-permissions in its order, for those who see every grant.
    index("user_permissions_created_idx").on(t.createdAt, t.uuid),
  ],
);

/** Append-only (a trigger refuses UPDATE and DELETE): one row per grant and per revocation. */
export const permissionHistory = pgTable(
  "permission_history",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    action: text("action").notNull(),
    permissionUuid: uuid("permission_uuid").notNull(),
    userUuid: uuid("user_uuid").notNull(),
    permissionType: text("permission_type").notNull(),
    projectUuid: uuid("project_uuid"),
    practiceAreaUuid: uuid("practice_area_uuid"),
    /** Who made the change: a user's uuid; null when the database did it (a user or project deleted). */
    actor: text("actor"),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("permission_history_action_check", sql`${t.action} in ('grant', 'revoke')`),
    index("permission_history_user_idx").on(t.userUuid, t.id),
    index("permission_history_project_idx").on(t.projectUuid, t.id),
  ],
);

export type PracticeArea = typeof practiceAreas.$inferSelect;
export type UserPermission = typeof userPermissions.$inferSelect;
