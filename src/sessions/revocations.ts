// Revoked sessions and "signed out everywhere" users, held in memory so that every request can be
// checked without a database read. Writes go to the database and are fanned out to every instance
// with LISTEN/NOTIFY (in process for PGlite); an instance whose notification connection is down
// re-reads the tables every second until it is back, and says so in /readyz.
import { gt, lt, sql } from "drizzle-orm";
import type { FastifyBaseLogger } from "fastify";
import type { VerifiedToken } from "../auth/verifier.ts";
import type { Database } from "../db/client.ts";
import { revokedSessions, userRevocations } from "./schema.ts";

export const REVOCATION_CHANNEL = "vrms_revocations";
const POLL_MS = 1000;
const SAFETY_RELOAD_MS = 60_000;
const PURGE_MS = 10 * 60_000;

type Change = { session: string; expiresAt: number } | { sub: string; validAfter: number };

export class RevocationStore {
  /** session id → when its tokens expire (ms). */
  private sessions = new Map<string, number>();
  /** sub → tokens authenticated before this second are refused. */
  private users = new Map<string, number>();
  private listening = false;
  private reloadFailing = false;
  private timers: NodeJS.Timeout[] = [];
  private poller: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly database: Database,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** "ok" while changes arrive by notification (or in process); "polling" while they do not. */
  get status(): "ok" | "polling" {
    return this.database.listen === undefined || this.listening ? "ok" : "polling";
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
    this.every(SAFETY_RELOAD_MS, () => this.reload());
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

  /** This session only: its tokens are refused until they would have expired anyway. */
  async revokeSession(token: VerifiedToken, skewSeconds: number): Promise<void> {
    if (token.sessionId === "") return;
    const expiresAt = (token.exp + skewSeconds) * 1000;
    await this.database.db.transaction(async (tx) => {
      await tx
        .insert(revokedSessions)
        .values({ sessionId: token.sessionId, sub: token.sub, expiresAt: new Date(expiresAt) })
        .onConflictDoNothing();
      await tx.execute(sql`select pg_notify(${REVOCATION_CHANNEL}, ${JSON.stringify({ session: token.sessionId, expiresAt })})`);
    });
    this.apply({ session: token.sessionId, expiresAt });
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
      if (change.expiresAt > Date.now()) this.sessions.set(change.session, change.expiresAt);
    } else {
      this.users.set(change.sub, Math.max(change.validAfter, this.users.get(change.sub) ?? 0));
    }
  }

  private onListenerState(listening: boolean): void {
    this.listening = listening;
    if (listening) {
      if (this.poller) clearInterval(this.poller);
      this.poller = undefined;
      // Whatever was missed while the connection was down.
      void this.reload();
      this.log.info("revocation notifications connected");
    } else if (!this.poller) {
      this.log.warn("revocation notifications lost; re-reading revocations every second");
      this.poller = setInterval(() => void this.reload(), POLL_MS);
      this.poller.unref();
    }
  }

  private async reload(): Promise<void> {
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
    } catch (err) {
      // Once per outage, not once a second.
      if (!this.reloadFailing) this.log.warn({ err }, "could not reload revocations");
      this.reloadFailing = true;
    }
  }

  private async purge(): Promise<void> {
    const now = Date.now();
    for (const [id, expiresAt] of this.sessions) if (expiresAt <= now) this.sessions.delete(id);
    await this.database.db
      .delete(revokedSessions)
      .where(lt(revokedSessions.expiresAt, sql`now()`))
      .catch(() => {});
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const timer = setInterval(() => void fn(), ms);
    timer.unref();
    this.timers.push(timer);
  }
}
