// Revoked sessions and "signed out everywhere" users, held in memory so that every request can be
// checked without a database read. Writes go to the database and are fanned out to every instance
// with LISTEN/NOTIFY (in process for PGlite); an instance whose notification connection is down
// reads what changed every second until it is back, and says so in /readyz.
//
// What an instance reads follows the changes, not the tables: each row carries a version (seq,
// drawn again by every write to it), and a read asks only for versions after the last one it saw
// (revocation-rows.ts says why none is skipped). Once a minute it also compares a count and a sum
// of versions with the database's; only when they disagree does it read the tables whole.
//
// A revocation is kept for the session's whole possible life, not the presented token's: other
// access tokens of the same sign-in (refreshed later) expire later, and every purge drops what
// has expired, so a shorter life would hand the session back. Nothing read from the database
// ever shortens or removes what an instance holds: a row deleted early is kept until it expires.
import { createHash } from "node:crypto";
import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { FastifyBaseLogger } from "fastify";
import type { VerifiedToken } from "../auth/verifier.ts";
import type { Database } from "../db/client.ts";
import { DigestTable } from "./digest-table.ts";
import { nameActor } from "../permissions/repository.ts";
import { liveRowCounts, PAGE_ROWS, readSessions, readUsers, sessionChecksum, userChecksum, databaseClock, writeSessionRevocation, writeUserRevocation, type Checksum } from "./revocation-rows.ts";
import { revokedRefreshTokens, revokedSessions } from "./schema.ts";

export const REVOCATION_CHANNEL = "vrms_revocations";
const POLL_MS = 1000;
const CHECK_MS = 60_000;
const PURGE_MS = 10 * 60_000;

export interface RevocationOptions {
  /** How long a signed-out session's tokens could still be valid: see sessions/lifetime.ts. */
  retainSeconds: number;
  /** The periodic consistency check (tests shorten it). */
  reloadMs?: number;
}

// The table holds no refresh token in the clear.
const refreshDigest = (refreshToken: string) => createHash("sha256").update(refreshToken).digest("base64url");

type Change = { session: string; expiresSec: number; seq: number } | { sub: string; validAfterSec: number; seq: number };

type ReadMode = "changes" | "check" | "full";
const RANK: Record<ReadMode, number> = { changes: 0, check: 1, full: 2 };

/** What this instance has read from the database since it started (tests and metrics). */
export interface ReadCounts {
  /** Rows read, every table. */
  rows: number;
  /** Reads of the tables whole: at start, and when a check disagreed. */
  fullReads: number;
  checks: number;
}

export class RevocationStore {
  /** Revoked sessions, by digest of the session id → when the revocation expires (s). */
  private sessions = new DigestTable();
  /** Signed-out users, by digest of the sub → tokens authenticated before this second are refused. */
  private users = new DigestTable();
  /** The highest row version read from each table. */
  private sessionSeq = 0;
  private userSeq = 0;
  readonly reads: ReadCounts = { rows: 0, fullReads: 0, checks: 0 };
  private listening = false;
  /** Counts the notification connection's ups and downs, so that a read begun before one is not taken for after. */
  private listenerChanges = 0;
  private reloadFailing = false;
  private hasLoaded = false;
  private timers: NodeJS.Timeout[] = [];
  private poller: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  /** Reads run one at a time (each moves the versions on from where the last one left them). */
  private lastRead: Promise<unknown> = Promise.resolve();
  private queuedRead: { mode: ReadMode; result: Promise<boolean> } | undefined;

  constructor(
    private readonly database: Database,
    private readonly log: FastifyBaseLogger,
    private readonly options: RevocationOptions,
  ) {}

  /**
   * "unavailable" until the tables have been read once (an instance that has not read them cannot
   * tell a signed-out session from a live one); then "ok" while changes arrive by notification (or
   * in process), "polling" while they do not.
   */
  get status(): "ok" | "polling" | "unavailable" {
    if (!this.loaded) return "unavailable";
    return this.database.listen === undefined || (this.listening && !this.poller) ? "ok" : "polling";
  }

  /** Whether the tables have been read at least once: until then no token may be accepted. */
  get loaded(): boolean {
    return this.hasLoaded;
  }

  /** Revoked sessions held, and the bytes that holds (tests, the benchmark's notes). */
  get held(): { sessions: number; users: number; bytes: number } {
    return { sessions: this.sessions.size, users: this.users.size, bytes: this.sessions.bytes + this.users.bytes };
  }

  async start(): Promise<void> {
    await this.read("full");
    if (this.database.listen) {
      this.unlisten = await this.database.listen(
        REVOCATION_CHANNEL,
        (payload) => this.apply(parseChange(payload)),
        (listening) => this.onListenerState(listening),
      );
    }
    // An in-process database (PGlite) is this process's alone, its directory held by one process
    // at a time: every write to it came through this store, and a check has nothing to find.
    if (this.database.listen) this.every(this.options.reloadMs ?? CHECK_MS, () => this.read("check"));
    this.every(PURGE_MS, () => this.purge());
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    if (this.poller) clearInterval(this.poller);
    await this.unlisten?.();
  }

  isRevoked(token: Pick<VerifiedToken, "sub" | "sessionId" | "authTime">): boolean {
    if (token.sessionId !== "") {
      const expiresSec = this.sessions.get(token.sessionId);
      if (expiresSec !== undefined && expiresSec * 1000 > Date.now()) return true;
    }
    const validAfter = this.users.get(token.sub);
    return validAfter !== undefined && token.authTime < validAfter;
  }

  /**
   * This session only: every token of it is refused, and its refresh token (when the client sent
   * it) too, until no token of the session could be valid any more.
   */
  async revokeSession(token: Pick<VerifiedToken, "sub" | "sessionId" | "exp">, refreshToken?: string): Promise<void> {
    const expiresAt = new Date(Math.max(Date.now() + this.options.retainSeconds * 1000, token.exp * 1000));
    const row = await this.database.db.transaction(async (tx) => {
      const row = await writeSessionRevocation(tx, {
        sessionId: token.sessionId,
        sub: token.sub,
        expiresAt,
        ...(refreshToken !== undefined ? { refreshDigest: refreshDigest(refreshToken) } : {}),
      });
      if (row) await tx.execute(sql`select pg_notify(${REVOCATION_CHANNEL}, ${JSON.stringify(sessionChange(row))})`);
      return row;
    });
    if (row) this.apply(sessionChange(row));
  }

  /** Whether this refresh token belongs to a signed-out session: read from the database, so every instance agrees at once. */
  async isRefreshTokenRevoked(refreshToken: string): Promise<boolean> {
    const rows = await this.database.db
      .select({ digest: revokedRefreshTokens.digest })
      .from(revokedRefreshTokens)
      .where(and(eq(revokedRefreshTokens.digest, refreshDigest(refreshToken)), gt(revokedRefreshTokens.expiresAt, sql`now()`)))
      .limit(1);
    return rows.length > 0;
  }

  /** Every session of a user: tokens authenticated before now (rounded up to the second) are refused. */
  /** `actor`: who the signed_out event names (a user's uuid or `service:<client_id>`). */
  async revokeUser(sub: string, actor: string | null = null): Promise<void> {
    const validAfter = new Date(Math.ceil(Date.now() / 1000) * 1000);
    const row = await this.database.db.transaction(async (tx) => {
      await nameActor(tx, actor);
      const row = await writeUserRevocation(tx, sub, validAfter);
      await tx.execute(sql`select pg_notify(${REVOCATION_CHANNEL}, ${JSON.stringify(userChange(row))})`);
      return row;
    });
    this.apply(userChange(row));
  }

  private apply(change: Change): void {
    if ("session" in change) {
      if (change.expiresSec * 1000 > Date.now()) this.sessions.set(change.session, change.expiresSec, change.seq);
    } else {
      this.users.set(change.sub, change.validAfterSec, change.seq);
    }
  }

  private onListenerState(listening: boolean): void {
    this.listening = listening;
    this.listenerChanges++;
    if (listening) {
      this.log.info("revocation notifications connected");
      // Whatever was missed while the connection was down. Polling stops only once that has been
      // read: a failed read would otherwise leave this instance blind until the next check.
      void this.catchUp();
    } else if (!this.poller) {
      this.log.warn("revocation notifications lost; reading revocation changes every second");
      this.startPolling();
    }
  }

  private startPolling(): void {
    if (this.poller) return;
    this.poller = setInterval(() => void this.catchUp(), POLL_MS);
    this.poller.unref();
  }

  /** A read that began while notifications were up, with no loss since, ends the polling. */
  private async catchUp(): Promise<void> {
    const changes = this.listenerChanges;
    const listening = this.listening;
    const notified = listening || this.database.listen === undefined;
    if ((await this.read("changes")) && notified && changes === this.listenerChanges && this.poller) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  /**
   * True when the tables were read. A read asked for while another runs waits for it; asks that
   * arrive meanwhile share one read, of the most thorough mode any of them asked for.
   */
  private read(mode: ReadMode): Promise<boolean> {
    const queued = this.queuedRead;
    if (queued) {
      if (RANK[mode] > RANK[queued.mode]) queued.mode = mode;
      return queued.result;
    }
    const entry: { mode: ReadMode; result: Promise<boolean> } = { mode, result: Promise.resolve(false) };
    entry.result = this.lastRead.then(() => {
      this.queuedRead = undefined;
      return this.readNow(entry.mode);
    });
    this.queuedRead = entry;
    this.lastRead = entry.result;
    return entry.result;
  }

  private async readNow(mode: ReadMode): Promise<boolean> {
    const startedAt = performance.now();
    try {
      if (mode === "full" || !this.hasLoaded) await this.readWhole();
      else {
        await this.readChanges();
        if (mode === "check" && !(await this.agrees())) {
          // Once more: a write between the read and the checksums is not a loss.
          await this.readChanges();
          if (!(await this.agrees())) {
            this.log.warn("revocations held here disagree with the database's; reading them whole");
            await this.readWhole();
          }
        }
      }
      if (!this.hasLoaded) {
        // What start-up waits for (the API answers 503 until then): how long it took, for how many.
        this.log.info({ sessions: this.sessions.size, users: this.users.size, duration_ms: Math.round(performance.now() - startedAt) }, "revocations loaded");
      } else if (this.reloadFailing) this.log.info("revocations reloaded");
      this.reloadFailing = false;
      this.hasLoaded = true;
      return true;
    } catch (err) {
      // Once per outage, not once a second; the logger's serializer keeps a database error's values out.
      if (!this.reloadFailing) this.log.warn({ err }, "could not reload revocations");
      this.reloadFailing = true;
      // Whatever the notifications' state, a failed read is retried every second until one succeeds.
      this.startPolling();
      return false;
    }
  }

  /** Every row version after the last one read, page by page. */
  private async readChanges(): Promise<void> {
    for (;;) {
      const rows = await readSessions(this.database.db, this.sessionSeq);
      this.reads.rows += rows.length;
      for (const row of rows) this.apply(sessionChange(row));
      if (rows.length > 0) this.sessionSeq = rows[rows.length - 1]!.seq;
      if (rows.length < PAGE_ROWS) break;
    }
    for (;;) {
      const rows = await readUsers(this.database.db, this.userSeq);
      this.reads.rows += rows.length;
      for (const row of rows) this.apply(userChange(row));
      if (rows.length > 0) this.userSeq = rows[rows.length - 1]!.seq;
      if (rows.length < PAGE_ROWS) break;
    }
  }

  /**
   * The tables whole, into what is held (a union: what was applied meanwhile, or whose row was
   * deleted early, stays). Entries the database no longer holds keep version 0, out of the checks.
   */
  private async readWhole(): Promise<void> {
    this.reads.fullReads++;
    const counts = await liveRowCounts(this.database.db);
    this.sessions.reserve(this.sessions.size + counts.sessions);
    this.users.reserve(this.users.size + counts.users);
    this.sessions.forgetVersions();
    this.users.forgetVersions();
    this.sessionSeq = 0;
    this.userSeq = 0;
    await this.readChanges();
  }

  /** Whether the database's count and sum of versions up to the last one read match ours. */
  private async agrees(): Promise<boolean> {
    this.reads.checks++;
    const { now } = await databaseClock(this.database.db);
    // Sessions expiring in the next few seconds are left out on both sides: they may expire
    // between the database's count and ours. By the later of the two clocks: the reads and the
    // database's purge go by its clock, our purge by ours; by ours alone, a database clock ahead
    // made most checks disagree and read everything (attacker review).
    const afterSec = Math.ceil(Math.max(now, Date.now() / 1000)) + 5;
    const [sessions, users] = await Promise.all([
      sessionChecksum(this.database.db, this.sessionSeq, afterSec),
      userChecksum(this.database.db, this.userSeq),
    ]);
    return same(sessions, this.sessions.checksum(this.sessionSeq, afterSec)) && same(users, this.users.checksum(this.userSeq, 0));
  }

  private async purge(): Promise<void> {
    this.sessions.deleteExpired(Math.floor(Date.now() / 1000));
    // Only what can no longer matter: no token of these sessions can be valid any more.
    await this.database.db
      .delete(revokedSessions)
      .where(lt(revokedSessions.expiresAt, sql`now()`))
      .catch(() => {});
    await this.database.db
      .delete(revokedRefreshTokens)
      .where(lt(revokedRefreshTokens.expiresAt, sql`now()`))
      .catch(() => {});
  }

  private every(ms: number, fn: () => Promise<unknown>): void {
    const timer = setInterval(() => void fn(), ms);
    timer.unref();
    this.timers.push(timer);
  }
}

const sessionChange = (row: { sessionId: string; expiresSec: number; seq: number }): Change => ({
  session: row.sessionId,
  expiresSec: row.expiresSec,
  seq: row.seq,
});
const userChange = (row: { sub: string; validAfterSec: number; seq: number }): Change => ({ sub: row.sub, validAfterSec: row.validAfterSec, seq: row.seq });
/** Instances of the version before row versions send milliseconds and no seq: read as version 0 until a read brings the row's. */
function parseChange(payload: string): Change {
  const change = JSON.parse(payload) as Partial<{ session: string; sub: string; expiresSec: number; expiresAt: number; validAfterSec: number; validAfter: number; seq: number }>;
  const seq = change.seq ?? 0;
  if (change.session !== undefined) return { session: change.session, expiresSec: change.expiresSec ?? Math.ceil((change.expiresAt ?? 0) / 1000), seq };
  return { sub: change.sub ?? "", validAfterSec: change.validAfterSec ?? change.validAfter ?? 0, seq };
}
const same = (a: Checksum, b: Checksum) => a.count === b.count && a.sum === b.sum;
