// The SQL of revocations: writes, and reads of what changed after a version.
//
// Each row carries a version (seq). The database draws it on every insert and update (migration
// 0011's trigger), after taking one transaction-scoped advisory lock: writers commit one at a time
// in the order of their versions, so whatever a read does not see yet has a version above
// everything it saw, and `seq > last` never skips a row. The lock is the database's, not the
// writer's: a hand-written row or an older instance's write is ordered too. Sign-outs are rare and
// their transactions a few milliseconds long, so the cluster-wide order costs nothing that shows.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { revokedRefreshTokens, revokedSessions, userRevocations } from "./tables.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Rows per read: bounds the memory a first read of a large table takes at once. */
export const PAGE_ROWS = 20_000;

export interface SessionRow {
  sessionId: string;
  /** Seconds, rounded up: a revocation is never held shorter than written. */
  expiresSec: number;
  seq: number;
}

export interface UserRow {
  sub: string;
  validAfterSec: number;
  seq: number;
}

const epochSeconds = (column: typeof revokedSessions.expiresAt | typeof userRevocations.tokensValidAfter) =>
  sql<number>`ceil(extract(epoch from ${column}))::int`;

/** Within `tx`: the session revoked until `expiresAt` at least; the row as it now stands. */
export async function writeSessionRevocation(
  tx: Tx,
  revocation: { sessionId: string; sub: string; expiresAt: Date; refreshDigest?: string },
): Promise<SessionRow | undefined> {
  if (revocation.refreshDigest !== undefined) {
    await tx
      .insert(revokedRefreshTokens)
      .values({ digest: revocation.refreshDigest, expiresAt: revocation.expiresAt })
      .onConflictDoUpdate({
        target: revokedRefreshTokens.digest,
        set: { expiresAt: sql`greatest(${revokedRefreshTokens.expiresAt}, excluded.expires_at)` },
      });
  }
  if (revocation.sessionId === "") return undefined;
  const rows = await tx
    .insert(revokedSessions)
    .values({ sessionId: revocation.sessionId, sub: revocation.sub, expiresAt: revocation.expiresAt })
    // A second sign-out never shortens the first one's life; its new version makes readers see it.
    .onConflictDoUpdate({
      target: revokedSessions.sessionId,
      set: { expiresAt: sql`greatest(${revokedSessions.expiresAt}, excluded.expires_at)` },
    })
    .returning({ sessionId: revokedSessions.sessionId, expiresSec: epochSeconds(revokedSessions.expiresAt), seq: revokedSessions.seq });
  return rows[0];
}

/** Within `tx`: the user's tokens authenticated before `validAfter` refused; the row as it now stands. */
export async function writeUserRevocation(tx: Tx, sub: string, validAfter: Date): Promise<UserRow> {
  const rows = await tx
    .insert(userRevocations)
    .values({ sub, tokensValidAfter: validAfter })
    .onConflictDoUpdate({
      target: userRevocations.sub,
      set: { tokensValidAfter: sql`greatest(${userRevocations.tokensValidAfter}, excluded.tokens_valid_after)` },
    })
    .returning({ sub: userRevocations.sub, validAfterSec: epochSeconds(userRevocations.tokensValidAfter), seq: userRevocations.seq });
  return rows[0]!;
}

/**
 * The highest version in each table (two index lookups): the whole of an idle second's work.
 * Lower than what an instance has read means the database went back (a restore, a failover that
 * lost the last commits) or the newest row was deleted.
 */
export async function newestVersions(db: Db): Promise<{ sessions: number; users: number }> {
  const result = await db.execute(sql`
    select coalesce((select max(seq) from ${revokedSessions}), 0)::float8 as sessions,
           coalesce((select max(seq) from ${userRevocations}), 0)::float8 as users`);
  return rowsOf<{ sessions: number; users: number }>(result)[0]!;
}

/**
 * Revoked sessions written after version `afterSeq`, oldest first, one page. Expired rows too (the
 * store drops them): the version read must reach the newest row, or every poll would read again.
 */
export async function readSessions(db: Db, afterSeq: number): Promise<SessionRow[]> {
  // Plain rows, not the query builder's: at start a full read maps 200,000 of them, and the
  // builder's mapping was a tenth of the start-up's CPU. seq as float8 arrives as a number.
  const result = await db.execute(sql`
    select session_id as "sessionId", ceil(extract(epoch from expires_at))::int as "expiresSec", seq::float8 as seq
    from ${revokedSessions}
    where seq > ${afterSeq}
    -- The column, not the float8 of the same name in the select list: the index's order.
    order by ${revokedSessions}.seq
    limit ${PAGE_ROWS}`);
  return rowsOf<SessionRow>(result);
}

export async function readUsers(db: Db, afterSeq: number): Promise<UserRow[]> {
  const result = await db.execute(sql`
    select sub, ceil(extract(epoch from tokens_valid_after))::int as "validAfterSec", seq::float8 as seq
    from ${userRevocations}
    where seq > ${afterSeq}
    order by ${userRevocations}.seq
    limit ${PAGE_ROWS}`);
  return rowsOf<UserRow>(result);
}

// node-postgres and PGlite both answer execute() with { rows }.
const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;
