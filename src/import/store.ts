// The import's database reads, in bulk (a handful of queries whatever the number of people: a
// second run reads its state at once instead of record by record), and the VRMS ids it links.
import { and, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { userPermissions } from "../permissions/tables.ts";
import { projects } from "../projects/tables.ts";
import { users } from "../users/tables.ts";
import { vrmsProjectIds, vrmsUserIds } from "./tables.ts";
import { grantKey } from "./plan.ts";

/** Values per IN list: far below PostgreSQL's 65,535 parameters a statement. */
const CHUNK = 5_000;

async function inChunks<T, R>(values: readonly T[], query: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(...(await query(values.slice(i, i + CHUNK))));
  return out;
}

export async function readLinkedIds(db: Db, userIds: readonly string[], projectIds: readonly string[]) {
  const [u, p] = await Promise.all([
    inChunks(userIds, (chunk) => db.select({ id: vrmsUserIds.vrmsId, uuid: vrmsUserIds.userUuid }).from(vrmsUserIds).where(inArray(vrmsUserIds.vrmsId, chunk))),
    inChunks(projectIds, (chunk) => db.select({ id: vrmsProjectIds.vrmsId, uuid: vrmsProjectIds.projectUuid }).from(vrmsProjectIds).where(inArray(vrmsProjectIds.vrmsId, chunk))),
  ]);
  return { userIds: new Map(u.map((r) => [r.id, r.uuid])), projectIds: new Map(p.map((r) => [r.id, r.uuid])) };
}

export async function readProjectsByName(db: Db, names: readonly string[]): Promise<Map<string, string>> {
  const rows = await inChunks(names, (chunk) => db.select({ name: projects.name, uuid: projects.uuid }).from(projects).where(inArray(projects.name, chunk)));
  return new Map(rows.map((r) => [r.name, r.uuid]));
}

export async function readProfilesBySub(db: Db, subs: readonly string[]): Promise<Map<string, string>> {
  const rows = await inChunks(subs, (chunk) => db.select({ sub: users.cognitoSub, uuid: users.uuid }).from(users).where(inArray(users.cognitoSub, chunk)));
  return new Map(rows.map((r) => [r.sub, r.uuid]));
}

/** The grants of these users the import could make (none names a practice area), as grantKey()s. */
export async function readGrants(db: Db, userUuids: readonly string[]): Promise<Set<string>> {
  const rows = await inChunks(userUuids, (chunk) =>
    db
      .select({ user: userPermissions.userUuid, type: userPermissions.permissionType, project: userPermissions.projectUuid })
      .from(userPermissions)
      .where(and(inArray(userPermissions.userUuid, chunk), isNull(userPermissions.practiceAreaUuid))),
  );
  return new Set(rows.map((r) => grantKey(r.user, r.type, r.project)));
}

/** Records the ids as this user's; an id already recorded (an interrupted run's) stays as it is. */
export async function linkUserIds(db: Db, vrmsIds: readonly string[], user: string): Promise<void> {
  if (vrmsIds.length === 0) return;
  await db.insert(vrmsUserIds).values(vrmsIds.map((vrmsId) => ({ vrmsId, userUuid: user }))).onConflictDoNothing();
}

export async function linkProjectId(db: Db, vrmsId: string, project: string): Promise<void> {
  await db.insert(vrmsProjectIds).values({ vrmsId, projectUuid: project }).onConflictDoNothing();
}

/** Rows of the tables the import writes: what a dry run must leave as it found (tests, the bench). */
export async function tableCounts(db: Db): Promise<Record<string, number>> {
  const count = async (table: string) => Number(((await db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: { n: number }[] }).rows[0]!.n);
  const names = ["users", "projects", "user_permissions", "permission_history", "vrms_user_ids", "vrms_project_ids"];
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await count(n)] as const)));
}
