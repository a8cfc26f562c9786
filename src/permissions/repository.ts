// Queries on user_permissions; nothing else in the server writes SQL for grants. Writes name
// their actor for the transaction, and the table's triggers write permission_history.
import { and, asc, count, desc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { runPrepared } from "../db/prepared.ts";
import { currentTraceparent } from "../tracing/current.ts";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Grant } from "../authz/grants.ts";
import type { LedScope } from "../authz/relationship.ts";
import { FOREIGN_KEY_VIOLATION, pgErrorCode, UNIQUE_VIOLATION } from "../db/errors.ts";
import { keepAnAdmin } from "../users/last-admin.ts";
import { permissionType, type PermissionTypeName } from "../authz/permission-types.ts";
import { permissionHistory, userPermissions, type UserPermission } from "./tables.ts";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID_RE.test(value);

export interface NewGrant {
  user: string;
  type: PermissionTypeName;
  project: string | null;
  practiceArea: string | null;
  /** The granting user; null when a service granted it. */
  grantedBy: string | null;
  /** Who the history names: a user's uuid or `service:<client_id>`. */
  actor: string;
}

export type GrantOutcome = { ok: true; row: UserPermission } | { ok: false; reason: "duplicate" | "missing_reference" };

export interface GrantFilter {
  user?: string;
  project?: string;
  type?: string;
  /** Who may see what (authz/rules.ts grantVisibility): unless `all`, own grants and those in these scopes. */
  visible: { all: true } | { all: false; user: string; scopes: LedScope[] };
}

/** Rows whose (project, practice area) lies in one of the scopes; none when there are none. */
export function inScopes(project: AnyPgColumn, practiceArea: AnyPgColumn, scopes: readonly LedScope[]): SQL {
  if (scopes.length === 0) return sql`false`;
  return or(...scopes.map((s) => (s.practiceArea === null ? eq(project, s.project) : and(eq(project, s.project), eq(practiceArea, s.practiceArea)))))!;
}

export function toGrant(row: UserPermission): Grant {
  return { uuid: row.uuid, type: row.permissionType as PermissionTypeName, project: row.projectUuid, practiceArea: row.practiceAreaUuid };
}

/**
 * Runs `work` in a transaction whose changes the history and event triggers attribute to `actor`
 * (null: the system), linked to the request's trace.
 */
export async function asActor<T>(db: Db, actor: string | null, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await nameActor(tx, actor);
    return work(tx as unknown as Db);
  });
}

/** Within a transaction: who its changes' history and events name, and the request's trace. */
export async function nameActor(tx: Pick<Db, "execute">, actor: string | null): Promise<void> {
  await tx.execute(sql`select set_config('vrms.actor', ${actor ?? ""}, true), set_config('vrms.traceparent', ${currentTraceparent() ?? ""}, true)`);
}

/** Every active user's grants are read once a second (authz/grant-cache.ts): built once. */
function prepareGrantsOf(db: Db) {
  return db
    .select()
    .from(userPermissions)
    .where(eq(userPermissions.userUuid, sql.placeholder("user")))
    .orderBy(asc(userPermissions.createdAt), asc(userPermissions.uuid))
    .prepare("user_permissions_of_user");
}

export class PermissionRepository {
  private grantsOfUser: ReturnType<typeof prepareGrantsOf> | undefined;

  constructor(private readonly db: Db) {}

  async grantsOf(user: string): Promise<Grant[]> {
    // Prepared at first use (an app built only to be documented has no database).
    const rows = await runPrepared(() => (this.grantsOfUser ??= prepareGrantsOf(this.db)).execute({ user }));
    return rows.map(toGrant);
  }

  /** The grants of many users in one query (a page of the users list). */
  async grantsOfMany(users: string[]): Promise<Map<string, Grant[]>> {
    const byUser = new Map<string, Grant[]>(users.map((u) => [u, []]));
    if (users.length === 0) return byUser;
    const rows = await this.db.select().from(userPermissions).where(inArray(userPermissions.userUuid, users)).orderBy(asc(userPermissions.createdAt), asc(userPermissions.uuid));
    for (const row of rows) byUser.get(row.userUuid)?.push(toGrant(row));
    return byUser;
  }

  /** Every grant in a project, by user (GET /projects/{uuid}/members). */
  async grantsInProject(project: string): Promise<MemberRow[]> {
    const rows = await this.db.select().from(userPermissions).where(eq(userPermissions.projectUuid, project)).orderBy(asc(userPermissions.userUuid), asc(userPermissions.createdAt));
    const byUser = new Map<string, Grant[]>();
    for (const row of rows) {
      const grants = byUser.get(row.userUuid) ?? [];
      grants.push(toGrant(row));
      byUser.set(row.userUuid, grants);
    }
    return [...byUser].map(([user, grants]) => ({ user, grants }));
  }

  async find(uuid: string): Promise<UserPermission | undefined> {
    if (!isUuid(uuid)) return undefined;
    const rows = await this.db.select().from(userPermissions).where(eq(userPermissions.uuid, uuid)).limit(1);
    return rows[0];
  }

  async grant(grant: NewGrant): Promise<GrantOutcome> {
    try {
      const row = await asActor(this.db, grant.actor, async (tx) => {
        const rows = await tx
          .insert(userPermissions)
          .values({
            userUuid: grant.user,
            permissionType: grant.type,
            scope: permissionType(grant.type)!.scope,
            projectUuid: grant.project,
            practiceAreaUuid: grant.practiceArea,
            grantedBy: grant.grantedBy,
          })
          .returning();
        return rows[0]!;
      });
      return { ok: true, row };
    } catch (err) {
      // The user, project or practice area deleted since it was checked, or the same grant made concurrently.
      const code = pgErrorCode(err)?.code;
      if (code === UNIQUE_VIOLATION) return { ok: false, reason: "duplicate" };
      if (code === FOREIGN_KEY_VIOLATION) return { ok: false, reason: "missing_reference" };
      throw err;
    }
  }

  /**
   * Grants that do not exist yet, none twice (ON CONFLICT DO NOTHING: the table's key); the number
   * made. Run inside asActor: the history triggers name its actor. Imports use it (import/apply.ts).
   */
  async grantAbsent(grants: { user: string; type: PermissionTypeName; project: string | null }[]): Promise<number> {
    if (grants.length === 0) return 0;
    const rows = await this.db
      .insert(userPermissions)
      .values(grants.map((g) => ({ userUuid: g.user, permissionType: g.type, scope: permissionType(g.type)!.scope, projectUuid: g.project, practiceAreaUuid: null, grantedBy: null })))
      .onConflictDoNothing()
      .returning({ uuid: userPermissions.uuid });
    return rows.length;
  }

  /**
   * The revoked row, or undefined when it was already gone. Revoking an adminGlobal grant of the last
   * active adminGlobal throws LastAdminError (users/last-admin.ts) and revokes nothing.
   */
  async revoke(uuid: string, actor: string, holder?: { user: string; type: string }): Promise<UserPermission | undefined> {
    if (!isUuid(uuid)) return undefined;
    return asActor(this.db, actor, async (tx) => {
      if (holder?.type === "adminGlobal") await keepAnAdmin(tx, holder.user);
      const rows = await tx.delete(userPermissions).where(eq(userPermissions.uuid, uuid)).returning();
      return rows[0];
    });
  }

  async list(filter: GrantFilter, limit: number, offset: number): Promise<{ count: number; rows: UserPermission[] }> {
    const where = visibleWhere(filter, userPermissions.userUuid, userPermissions.projectUuid, userPermissions.practiceAreaUuid, userPermissions.permissionType);
    const [rows, total] = await Promise.all([
      this.db.select().from(userPermissions).where(where).orderBy(asc(userPermissions.createdAt), asc(userPermissions.uuid)).limit(limit).offset(offset),
      this.db.select({ n: count() }).from(userPermissions).where(where),
    ]);
    return { count: total[0]?.n ?? 0, rows };
  }

  /** Grants and revocations, newest first, under the same visibility as grants. */
  async history(filter: GrantFilter, limit: number, offset: number): Promise<{ count: number; rows: (typeof permissionHistory.$inferSelect)[] }> {
    const where = visibleWhere(filter, permissionHistory.userUuid, permissionHistory.projectUuid, permissionHistory.practiceAreaUuid, permissionHistory.permissionType);
    const [rows, total] = await Promise.all([
      this.db.select().from(permissionHistory).where(where).orderBy(desc(permissionHistory.id)).limit(limit).offset(offset),
      this.db.select({ n: count() }).from(permissionHistory).where(where),
    ]);
    return { count: total[0]?.n ?? 0, rows };
  }
}

/** The filter's rows of a table of grants (or of their history) that the caller may see. */
function visibleWhere(filter: GrantFilter, user: AnyPgColumn, project: AnyPgColumn, practiceArea: AnyPgColumn, type: AnyPgColumn): SQL | undefined {
  const conditions: SQL[] = [];
  if (filter.type !== undefined) conditions.push(eq(type, filter.type));
  if (filter.user !== undefined) conditions.push(eq(user, filter.user));
  if (filter.project !== undefined) conditions.push(eq(project, filter.project));
  if (!filter.visible.all) conditions.push(or(eq(user, filter.visible.user), inScopes(project, practiceArea, filter.visible.scopes))!);
  return and(...conditions);
}

export interface MemberRow {
  user: string;
  grants: Grant[];
}
