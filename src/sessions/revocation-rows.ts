// The SQL of revocations: writes that give each changed row a new version (seq), reads of what
// changed after a version, and the checksums that tell an instance whether its copy is whole.
//
// A reader that takes `seq > last` can skip a row forever when a write that drew a lower seq
// commits after one that drew a higher seq was read. Writes therefore take one transaction-scoped
// advisory lock before drawing a seq: they commit in the order of their seqs, and whatever a read
// does not see yet has a seq above everything it saw. Sign-outs are rare and their transactions
// a few milliseconds long, so the cluster-wide order costs nothing that shows.
import { and, gt, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { revokedRefreshTokens, revokedSessions, userRevocations } from "./schema.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

// Any constant will do: every instance must use the same one (unlike the migration lock's).
const WRITE_LOCK_KEY = 7_301_955_018;
/** Rows per read: bounds the memory a full read of a large table takes at once. */
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

export interface Checksum {
  count: number;
  sum: number;
}

const epochSeconds = (column: typeof revokedSessions.expiresAt | typeof userRevocations.tokensValidAfter) =>
  sql<number>`ceil(extract(epoch from ${column}))::int`;

async function lockWrites(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${WRITE_LOCK_KEY})`);
}

/** Within `tx`: the session revoked until `expiresAt` at least; the row as it now stands. */
export async function writeSessionRevocation(
  tx: Tx,
  revocation: { sessionId: string; sub: string; expiresAt: Date; refreshDigest?: string },
): Promise<SessionRow | undefined> {
  await lockWrites(tx);
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
    // A second sign-out never shortens the first one's life; the new seq makes readers see it.
    .onConflictDoUpdate({
      target: revokedSessions.sessionId,
      set: { expiresAt: sql`greatest(${revokedSessions.expiresAt}, excluded.expires_at)`, seq: sql`default` },
    })
    .returning({ sessionId: revokedSessions.sessionId, expiresSec: epochSeconds(revokedSessions.expiresAt), seq: revokedSessions.seq });
  return rows[0];
}

/** Within `tx`: the user's tokens authenticated before `validAfter` refused; the row as it now stands. */
export async function writeUserRevocation(tx: Tx, sub: string, validAfter: Date): Promise<UserRow> {
  await lockWrites(tx);
  const rows = await tx
    .insert(userRevocations)
    .values({ sub, tokensValidAfter: validAfter })
    .onConflictDoUpdate({
      target: userRevocations.sub,
      set: { tokensValidAfter: sql`greatest(${userRevocations.tokensValidAfter}, excluded.tokens_valid_after)`, seq: sql`default` },
    })
    .returning({ sub: userRevocations.sub, validAfterSec: epochSeconds(userRevocations.tokensValidAfter), seq: userRevocations.seq });
  return rows[0]!;
}

/** Live revoked sessions written after version `afterSeq`, oldest first, one page. */
export async function readSessions(db: Db, afterSeq: number): Promise<SessionRow[]> {
  // Plain rows, not the query builder's: at start a full read maps 200,000 of them, and the
  // builder's mapping was a tenth of the start-up's CPU. seq as float8 arrives as a number.
  const result = await db.execute(sql`
    select session_id as "sessionId", ceil(extract(epoch from expires_at))::int as "expiresSec", seq::float8 as seq
    from ${revokedSessions}
    -- An expired row is never read back: it cannot revoke anything any more.
    where seq > ${afterSeq} and expires_at > now()
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

/** How many rows a full read will bring (so that the table is sized once). */
export async function liveRowCounts(db: Db): Promise<{ sessions: number; users: number }> {
  const rows = await db
    .select({
      sessions: sql<number>`(select count(*)::int from ${revokedSessions} where ${revokedSessions.expiresAt} > now())`,
      users: sql<number>`(select count(*)::int from ${userRevocations})`,
    })
    .from(sql`(select 1) as one`);
  return rows[0]!;
}

// node-postgres and PGlite both answer execute() with { rows }.
const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

// Each seq mod 2^32, so that a sum over millions of rows stays exact in a double.
const checksumColumns = (seq: typeof revokedSessions.seq | typeof userRevocations.seq) => ({
  count: sql<number>`count(*)::int`,
  sum: sql<number>`coalesce(sum(${seq} % 4294967296), 0)::float8`,
});

/** Over the sessions an instance that has read up to `maxSeq` holds, live after `afterSec`. */
export async function sessionChecksum(db: Db, maxSeq: number, afterSec: number): Promise<Checksum> {
  const rows = await db
    .select(checksumColumns(revokedSessions.seq))
    .from(revokedSessions)
    .where(and(lte(revokedSessions.seq, maxSeq), gt(revokedSessions.expiresAt, sql`to_timestamp(${afterSec})`)));
  return rows[0]!;
}

export async function userChecksum(db: Db, maxSeq: number): Promise<Checksum> {
  const rows = await db.select(checksumColumns(userRevocations.seq)).from(userRevocations).where(lte(userRevocations.seq, maxSeq));
  return rows[0]!;
}

/** The database's clock, in seconds: the one its reads and its purge go by. */
export async function databaseClock(db: Db): Promise<{ now: number }> {
  return rowsOf<{ now: number }>(await db.execute(sql`select extract(epoch from now())::float8 as now`))[0]!;
}
