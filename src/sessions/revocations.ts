// Revoked sessions and "signed out everywhere" users, held in memory so that every request can be
// checked without a database read. Writes go to the database and are fanned out to every instance
// with LISTEN/NOTIFY (in process for PGlite); an instance whose notification connection is down
// re-reads the tables every second until it is back, and says so in /readyz.
//
// A revocation is kept for the session's whole possible life, not the presented token's: other
// access tokens of the same sign-in (refreshed later) expire later, and every reload drops what
// has expired, so a shorter life would hand the session back.
import { createHash } from "node:crypto";
import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { FastifyBaseLogger } from "fastify";
import type { VerifiedToken } from "../auth/verifier.ts";
import type { Database } from "../db/client.ts";
import { revokedRefreshTokens, revokedSessions, userRevocations } from "./schema.ts";

export const REVOCATION_CHANNEL = "vrms_revocations";
const POLL_MS = 1000;
const SAFETY_RELOAD_MS = 60_000;
const PURGE_MS = 10 * 60_000;

export interface RevocationOptions {
  /** How long a signed-out session's tokens could still be valid: see sessions/lifetime.ts. */
  retainSeconds: number;
  /** The periodic full reload (tests shorten it to outlive a token within a test). */
  reloadMs?: number;
}

// The table holds no refresh token in the clear.
const refreshDigest = (refreshToken: string) => createHash("sha256").update(refreshToken).digest("base64url");

type Change = { session: string; expiresAt: number } | { sub: string; validAfter: number };

export class RevocationStore {
  /** session id → when its tokens expire (ms). */
  private sessions = new Map<string, number>();
  /** sub → tokens authenticated before this second are refused. */
  private users = new Map<string, number>();
  private listening = false;
  /** Counts the notification connection's ups and downs, so that a read begun before one is not taken for after. */
  private listenerChanges = 0;
  private reloadFailing = false;
  private hasLoaded = false;
  private timers: NodeJS.Timeout[] = [];
  private poller: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;

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

  async start(): Promise<void> {
    await this.reload();
    if (this.database.listen) {
      this.unlisten = await this.database.listen(
        REVOCATION_CHANNEL,
        (payload) => this.apply(JSON.parse(payload) as Change),
        (listening) => this.onListenerState(listening),
      );
    }
    this.every(this.options.reloadMs ?? SAFETY_RELOAD_MS, () => this.reload());
    this.every(PURGE_MS, () => this.purge());
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    if (this.poller) clearInterval(this.poller);
    await this.unlisten?.();
  }

  isRevoked(token: Pick<VerifiedToken, "sub" | "sessionId" | "authTime">): boolean {
    if (token.sessionId !== "" && this.sessions.has(token.sessionId)) return true;
    const validAfter = this.users.get(token.sub);
    return validAfter !== undefined && token.authTime < validAfter;
  }

  /**
   * This session only: every token of it is refused, and its refresh token (when the client sent
   * it) too, until no token of the session could be valid any more.
   */
  async revokeSession(token: Pick<VerifiedToken, "sub" | "sessionId" | "exp">, refreshToken?: string): Promise<void> {
    const expiresAt = Math.max(Date.now() + this.options.retainSeconds * 1000, token.exp * 1000);
    await this.database.db.transaction(async (tx) => {
      if (refreshToken !== undefined) {
        await tx
          .insert(revokedRefreshTokens)
          .values({ digest: refreshDigest(refreshToken), expiresAt: new Date(expiresAt) })
          .onConflictDoUpdate({
            target: revokedRefreshTokens.digest,
            set: { expiresAt: sql`greatest(${revokedRefreshTokens.expiresAt}, excluded.expires_at)` },
          });
      }
      if (token.sessionId === "") return;
      await tx
        .insert(revokedSessions)
        .values({ sessionId: token.sessionId, sub: token.sub, expiresAt: new Date(expiresAt) })
        // A second sign-out never shortens the first one's life.
        .onConflictDoUpdate({
          target: revokedSessions.sessionId,
          set: { expiresAt: sql`greatest(${revokedSessions.expiresAt}, excluded.expires_at)` },
        });
      await tx.execute(sql`select pg_notify(${REVOCATION_CHANNEL}, ${JSON.stringify({ session: token.sessionId, expiresAt })})`);
    });
    if (token.sessionId !== "") this.apply({ session: token.sessionId, expiresAt });
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
  async revokeUser(sub: string): Promise<void> {
    const validAfter = Math.ceil(Date.now() / 1000);
    await this.database.db.transaction(async (tx) => {
      await tx
        .insert(userRevocations)
        .values({ sub, tokensValidAfter: new Date(validAfter * 1000) })
        .onConflictDoUpdate({
          target: userRevocations.sub,
          set: { tokensValidAfter: sql`greatest(${userRevocations.tokensValidAfter}, excluded.tokens_valid_after)` },
        });
      await tx.execute(sql`select pg_notify(${REVOCATION_CHANNEL}, ${JSON.stringify({ sub, validAfter })})`);
    });
    this.apply({ sub, validAfter });
  }

  private apply(change: Change): void {
    if ("session" in change) {
      const expiresAt = Math.max(change.expiresAt, this.sessions.get(change.session) ?? 0);
      if (expiresAt > Date.now()) this.sessions.set(change.session, expiresAt);
    } else {
      this.users.set(change.sub, Math.max(change.validAfter, this.users.get(change.sub) ?? 0));
    }
  }

  private onListenerState(listening: boolean): void {
    this.listening = listening;
    this.listenerChanges++;
    if (listening) {
      this.log.info("revocation notifications connected");
      // Whatever was missed while the connection was down. Polling stops only once that has been
      // read: a failed read would otherwise leave this instance blind until the next full reload.
      void this.catchUp();
    } else if (!this.poller) {
      this.log.warn("revocation notifications lost; re-reading revocations every second");
      this.startPolling();
    }
  }

  private startPolling(): void {
    if (this.poller) return;
    this.poller = setInterval(() => void this.catchUp(), POLL_MS);
    this.poller.unref();
  }

  /** A reload that began while notifications were up, with no loss since, ends the polling. */
  private async catchUp(): Promise<void> {
    const changes = this.listenerChanges;
    const listening = this.listening;
    const notified = listening || this.database.listen === undefined;
    if ((await this.reload()) && notified && changes === this.listenerChanges && this.poller) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  /** True when the tables were read. */
  private async reload(): Promise<boolean> {
    try {
      const [sessions, users] = await Promise.all([
        this.database.db.select().from(revokedSessions).where(gt(revokedSessions.expiresAt, sql`now()`)),
        this.database.db.select().from(userRevocations),
      ]);
      // Revocations are never undone: a union keeps what was applied while this read was in flight.
      const now = Date.now();
      const freshSessions = new Map(sessions.map((s) => [s.sessionId, s.expiresAt.getTime()]));
      for (const [id, expiresAt] of this.sessions) if (expiresAt > now && !freshSessions.has(id)) freshSessions.set(id, expiresAt);
      this.sessions = freshSessions;
      const fresh = new Map(users.map((u) => [u.sub, Math.floor(u.tokensValidAfter.getTime() / 1000)]));
      for (const [sub, after] of this.users) if ((fresh.get(sub) ?? 0) < after) fresh.set(sub, after);
      this.users = fresh;
      if (this.reloadFailing) this.log.info("revocations reloaded");
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

  private async purge(): Promise<void> {
    const now = Date.now();
    for (const [id, expiresAt] of this.sessions) if (expiresAt <= now) this.sessions.delete(id);
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
