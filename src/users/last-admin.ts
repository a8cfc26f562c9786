// Nobody locks the organisation out: the last active user holding a stored adminGlobal grant may
// not lose it through the API (revoked, deactivated, deleted, signed out everywhere). Every change
// that could remove such a holder takes one transaction-scoped advisory lock before it counts, so
// two administrators revoking each other at once are serialized and the second sees the first's
// change (READ COMMITTED reads what committed before the lock was granted).
// Group-mapped administrators (COGNITO_GROUP_PERMISSIONS) are not counted: the server learns of them
// from each one's token only, and cannot tell whether anyone is in the group today.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { conflict, type ApiProblem } from "../http/problem.ts";
import { userPermissions } from "../permissions/tables.ts";
import { users } from "./tables.ts";

/** The advisory lock's key ("vrms" in ASCII): one lock for every change that could remove the last admin. */
const LAST_ADMIN_LOCK = 0x76726d73;

export class LastAdminError extends Error {
  constructor() {
    super("the last active adminGlobal");
  }
}

/** Inside a transaction: waits for the lock, then throws LastAdminError when `user` is the only active stored adminGlobal. */
export async function keepAnAdmin(tx: Db, user: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${sql.raw(String(LAST_ADMIN_LOCK))})`);
  const holders = await tx
    .selectDistinct({ user: userPermissions.userUuid })
    .from(userPermissions)
    .innerJoin(users, eq(users.uuid, userPermissions.userUuid))
    .where(and(eq(userPermissions.permissionType, "adminGlobal"), eq(users.isActive, true)))
    .limit(2);
  if (holders.length === 1 && holders[0]!.user === user.toLowerCase()) throw new LastAdminError();
}

/** The 409 a refused change answers, naming what was refused and why. */
export function lastAdminConflict(what: string): ApiProblem {
  return conflict(`${what} would leave no active adminGlobal: this person is the last one (a stored grant). Grant adminGlobal to someone else first.`);
}

/** `work`'s result, or the 409 when it threw LastAdminError. */
export async function refusingLastAdmin<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof LastAdminError) throw lastAdminConflict(what);
    throw err;
  }
}
