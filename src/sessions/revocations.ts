// Revoked sessions and "signed out everywhere" users, held in memory so that every request can be
// checked without a database read.
//
// One path. A sign-out is a row written to the database (and applied here at once). Every
// instance asks the database every 0.8 s for the newest row version of each table and, when it
// moved, reads the rows whose version is above the last one it read (revocation-rows.ts says why
// none is skipped). So a sign-out is refused everywhere within a second, an idle poll is one
// query of two index lookups, and every query is a plain one on the pool: it works behind a
// transaction pooler (PgBouncer, RDS Proxy). The first poll reads the tables whole. PGlite runs
// the same path, polled less often (PGLITE_POLL_MS).
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
import { newestVersions, PAGE_ROWS, readSessions, readUsers, writeSessionRevocation, writeUserRevocation, type SessionRow, type UserRow } from "./revocation-rows.ts";
import { revokedRefreshTokens, revokedSessions } from "./tables.ts";

/**
 * A sign-out is read everywhere within a second, query included. Each poll of an idle instance
 * costs ~0.3–1 ms of CPU (more on a loaded machine): at 500 ms that was 140–210 ms a minute at
 * 200,000 revocations on 2 shared cores, against the 200 ms allowed; at 800 ms 140–170 ms.
 */
export const POLL_MS = 800;
/**
 * PGlite's directory is one process's alone: every write comes through this store and is applied
 * at once, so its polls find nothing new, and each costs ~2 ms of WASM (300 ms a minute at 500 ms).
 */
export const PGLITE_POLL_MS = 5000;
const PURGE_MS = 10 * 60_000;

export interface RevocationOptions {
  /** How long a signed-out session's tokens could still be valid: see sessions/lifetime.ts. */
  retainSeconds: number;
  /** Between polls: POLL_MS on PostgreSQL, PGLITE_POLL_MS on PGlite unless given (tests). */
  pollMs?: number;
}

// The table holds no refresh token in the clear.
const refreshDigest = (refreshToken: string) => createHash("sha256").update(refreshToken).digest("base64url");

/** What this instance has read from the database since it started (tests). */
export interface ReadCounts {
  /** Rows read, both tables. */
  rows: number;
  /** Reads of the tables whole: at start, and when the database's versions went back. */
  fullReads: number;
  /** Polls that succeeded, the first read included. */
  polls: number;
}

export class RevocationStore {
  /** Revoked sessions, by digest of the session id → when the revocation expires (s). */
  private sessions = new DigestTable();
  /** Signed-out users, by digest of the sub → tokens authenticated before this second are refused. */
  private users = new DigestTable();
  /** The highest row version read from each table. */
  private sessionSeq = 0;
  private userSeq = 0;
  private readAll = true;
  readonly reads: ReadCounts = { rows: 0, fullReads: 0, polls: 0 };
  private hasLoaded = false;
  private failing = false;
  private polling: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly database: Database,
    private readonly log: FastifyBaseLogger,
    private readonly options: RevocationOptions,
  ) {}

  /** "unavailable" until the tables have been read once: until then no token may be accepted. */
  get status(): "ok" | "unavailable" {
    return this.hasLoaded ? "ok" : "unavailable";
  }

  get loaded(): boolean {
    return this.hasLoaded;
  }

  /** Revoked sessions held, and the bytes that holds (tests, the benchmark's notes). */
  get held(): { sessions: number; users: number; bytes: number } {
    return { sessions: this.sessions.size, users: this.users.size, bytes: this.sessions.bytes + this.users.bytes };
  }

  /** The first read (a failed one is retried by the polls), then the polls and the purge. */
  async start(): Promise<void> {
    await this.poll();
    this.every(this.options.pollMs ?? (this.database.kind === "pglite" ? PGLITE_POLL_MS : POLL_MS), () => this.poll());
    this.every(PURGE_MS, () => this.purge());
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.polling;
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
    const row = await this.database.db.transaction((tx) =>
      writeSessionRevocation(tx, {
        sessionId: token.sessionId,
        sub: token.sub,
        expiresAt,
        ...(refreshToken !== undefined ? { refreshDigest: refreshDigest(refreshToken) } : {}),
      }),
    );
    if (row) this.applySession(row);
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
    // The transaction names its actor: the user.signed_out event (migration 0011) says who.
    const row = await this.database.db.transaction(async (tx) => {
      await nameActor(tx, actor);
      return writeUserRevocation(tx, sub, validAfter);
    });
    this.applyUser(row);
  }

  private applySession(row: SessionRow): void {
    // An expired row revokes nothing: reading one must not make it live again.
    if (row.expiresSec * 1000 > Date.now()) this.sessions.set(row.sessionId, row.expiresSec);
  }

  private applyUser(row: UserRow): void {
    this.users.set(row.sub, row.validAfterSec);
  }

  /** One poll at a time: a tick that comes while one runs waits for it instead. */
  private poll(): Promise<void> {
    this.polling ??= this.readChanges().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readChanges(): Promise<void> {
    const startedAt = performance.now();
    try {
      const newest = await newestVersions(this.database.db);
      if (newest.sessions < this.sessionSeq || newest.users < this.userSeq) {
        // A restore or a failover that lost the last commits: the versions this instance read may
        // be handed out again. Read everything again (into what is held: nothing is given back).
        this.log.warn("the database's revocation versions went back; reading every revocation again");
        this.readAll = true;
      }
      if (this.readAll) {
        this.reads.fullReads++;
        this.sessionSeq = 0;
        this.userSeq = 0;
        this.readAll = false;
      }
      while (newest.sessions > this.sessionSeq) {
        const rows = await readSessions(this.database.db, this.sessionSeq);
        for (const row of rows) this.applySession(row);
        this.reads.rows += rows.length;
        if (rows.length > 0) this.sessionSeq = rows[rows.length - 1]!.seq;
        if (rows.length < PAGE_ROWS) break;
      }
      while (newest.users > this.userSeq) {
        const rows = await readUsers(this.database.db, this.userSeq);
        for (const row of rows) this.applyUser(row);
        this.reads.rows += rows.length;
        if (rows.length > 0) this.userSeq = rows[rows.length - 1]!.seq;
        if (rows.length < PAGE_ROWS) break;
      }
      if (!this.hasLoaded) {
        // What start-up waits for (the API answers 503 until then): how long it took, for how many.
        this.log.info({ sessions: this.sessions.size, users: this.users.size, duration_ms: Math.round(performance.now() - startedAt) }, "revocations loaded");
      } else if (this.failing) this.log.info("revocations read again");
      this.hasLoaded = true;
      this.failing = false;
      this.reads.polls++;
    } catch (err) {
      // Once per outage, not at every poll; the logger's serializer keeps a database error's values out.
      if (!this.failing) this.log.warn({ err }, "could not read revocations; retrying");
      this.failing = true;
      // A read cut short is taken up where it stopped: the versions moved only past rows applied.
    }
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
