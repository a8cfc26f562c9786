// Brute-force limits for sign-in and refresh, counted in the database so that every instance
// shares them: 5 failures per (username, address) and 50 per address in 15 minutes, and 30
// refreshes per address a minute (they spend the pool's AdminInitiateAuth quota that sign-in
// shares). There is deliberately no per-username limit across addresses: that would let anyone
// lock anyone out.
//
// An attempt is reserved before Cognito is called, in one statement that counts it and returns
// the count: a read-then-write would let every request of a burst read "4" and go through.
import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { loginFailures } from "./schema.ts";

export const WINDOW_SECONDS = 15 * 60;
const PER_USER_AND_ADDRESS = 5;
const PER_ADDRESS = 50;
const REFRESH_WINDOW_SECONDS = 60;
const REFRESHES_PER_ADDRESS = 30;

// The table holds no usernames or addresses in the clear.
const digest = (text: string) => createHash("sha256").update(text).digest("base64url");
const userKey = (username: string, address: string) => `u:${digest(`${username.trim().toLowerCase()}\n${address}`)}`;
const addressKey = (address: string) => `a:${digest(address)}`;
const refreshKey = (address: string) => `r:${digest(address)}`;

/** A counted attempt: settle it with the outcome once Cognito has answered. */
export interface Attempt {
  /** Wrong password or code: the attempt stays counted. */
  failed(): Promise<void>;
  /** Right password: the (username, address) count starts again; the address keeps its count. */
  succeeded(): Promise<void>;
  /** Cognito never judged the password (unavailable, or a challenge follows): uncounted. */
  release(): Promise<void>;
}

/** The attempt was not reserved: this many seconds until one may be. */
export interface Refused {
  retryAfter: number;
}

export class LoginThrottle {
  constructor(private readonly db: Db) {}

  /** Reserves a sign-in attempt for (username, address), or says how long to wait. */
  async reserveLogin(username: string, address: string): Promise<Attempt | Refused> {
    const user = userKey(username, address);
    const byAddress = addressKey(address);
    const counts = await this.count([user, byAddress], WINDOW_SECONDS);
    const refused = this.refusal(counts, { [user]: PER_USER_AND_ADDRESS, [byAddress]: PER_ADDRESS }, WINDOW_SECONDS);
    if (refused) {
      await this.uncount([user, byAddress]);
      return refused;
    }
    return {
      failed: async () => {},
      succeeded: async () => {
        await this.db.delete(loginFailures).where(eq(loginFailures.key, user));
        await this.uncount([byAddress]);
      },
      release: () => this.uncount([user, byAddress]),
    };
  }

  /** Counts a refresh from this address, or says how long to wait. Every refresh counts. */
  async reserveRefresh(address: string): Promise<Refused | undefined> {
    const key = refreshKey(address);
    const counts = await this.count([key], REFRESH_WINDOW_SECONDS);
    const refused = this.refusal(counts, { [key]: REFRESHES_PER_ADDRESS }, REFRESH_WINDOW_SECONDS);
    if (refused) await this.uncount([key]);
    return refused;
  }

  async purge(): Promise<void> {
    await this.db.delete(loginFailures).where(sql`${loginFailures.windowStart} < now() - make_interval(secs => ${WINDOW_SECONDS})`);
  }

  /** Adds one to each key (a window that has run out starts again here) and returns the new counts. */
  private async count(keys: string[], windowSeconds: number): Promise<{ key: string; failures: number; windowStart: Date }[]> {
    const expired = sql`${loginFailures.windowStart} < now() - make_interval(secs => ${windowSeconds})`;
    return this.db
      .insert(loginFailures)
      .values(keys.map((key) => ({ key, windowStart: sql`now()`, failures: 1 })))
      .onConflictDoUpdate({
        target: loginFailures.key,
        set: {
          failures: sql`case when ${expired} then 1 else ${loginFailures.failures} + 1 end`,
          windowStart: sql`case when ${expired} then now() else ${loginFailures.windowStart} end`,
        },
      })
      .returning({ key: loginFailures.key, failures: loginFailures.failures, windowStart: loginFailures.windowStart });
  }

  private refusal(counts: { key: string; failures: number; windowStart: Date }[], limits: Record<string, number>, windowSeconds: number): Refused | undefined {
    let retryAfter = 0;
    for (const row of counts) {
      if (row.failures <= (limits[row.key] ?? Infinity)) continue;
      const endsIn = Math.ceil((row.windowStart.getTime() + windowSeconds * 1000 - Date.now()) / 1000);
      retryAfter = Math.max(retryAfter, endsIn, 1);
    }
    return retryAfter > 0 ? { retryAfter } : undefined;
  }

  private async uncount(keys: string[]): Promise<void> {
    // One row per statement: a statement that held one row while waiting for another could
    // deadlock with a concurrent count() that holds them in the other order.
    for (const key of keys) {
      await this.db
        .update(loginFailures)
        .set({ failures: sql`greatest(${loginFailures.failures} - 1, 0)` })
        .where(eq(loginFailures.key, key));
    }
  }
}
