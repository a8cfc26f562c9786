// Brute-force limits for sign-in and refresh, counted in the database so that every instance
// shares them: 5 failed sign-ins per (username, address) and 50 per address in 15 minutes; 60
// failed refreshes per address and 10 refreshes per refresh token a minute (refresh spends the
// pool's AdminInitiateAuth quota that sign-in shares). There is deliberately no per-username limit
// across addresses: that would let anyone lock anyone out. Addresses are counted as limitKey()
// says (an IPv6 client by its /64).
//
// An attempt is reserved before Cognito is called, in one statement that counts it and returns
// the count: a read-then-write would let every request of a burst read "4" and go through. Only
// the attempt's own reservation is ever given back: a success never clears a count, since the
// same count may hold another account's failures (usernames are compared without case).
import { createHmac } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { limitKey } from "../http/client-address.ts";
import { loginFailures, serverSecrets } from "./schema.ts";

export const WINDOW_SECONDS = 15 * 60;
const PER_USER_AND_ADDRESS = 5;
const PER_ADDRESS = 50;
const REFRESH_WINDOW_SECONDS = 60;
const REFRESH_FAILURES_PER_ADDRESS = 60;
const REFRESHES_PER_TOKEN = 10;

// The table holds no usernames, addresses or refresh tokens, nor digests that a search over all
// IPv4 addresses would give back: its keys are HMACs under a secret made once per deployment.
type Digest = (text: string) => string;
const userKey = (digest: Digest, username: string, client: string) => `u:${digest(`${username.trim().toLowerCase()}\n${client}`)}`;
const addressKey = (digest: Digest, client: string) => `a:${digest(client)}`;
const refreshAddressKey = (digest: Digest, client: string) => `r:${digest(client)}`;
const refreshTokenKey = (digest: Digest, refreshToken: string) => `t:${digest(refreshToken)}`;

/** A counted attempt: settle it with the outcome once Cognito has answered. */
export interface Attempt {
  /** Wrong password, code or refresh token: the attempt stays counted. */
  failed(): Promise<void>;
  /** It worked: given back where only failures count. */
  succeeded(): Promise<void>;
  /** Cognito never judged it (unavailable, or a challenge follows): given back everywhere. */
  release(): Promise<void>;
}

/** The attempt was not reserved: this many seconds until one may be. */
export interface Refused {
  retryAfter: number;
}

type Count = { key: string; failures: number; windowStart: Date };

export class LoginThrottle {
  private digest: Promise<Digest> | undefined;

  constructor(private readonly db: Db) {}

  /** The HMAC under the deployment's throttle secret (read once; migration 0004 made it). */
  private keyed(): Promise<Digest> {
    this.digest ??= this.db
      .select({ value: serverSecrets.value })
      .from(serverSecrets)
      .where(eq(serverSecrets.name, "throttle"))
      .then(([row]) => {
        if (!row) throw new Error("server_secrets has no throttle secret");
        return (text: string) => createHmac("sha256", row.value).update(text).digest("base64url");
      })
      .catch((err: unknown) => {
        this.digest = undefined;
        throw err;
      });
    return this.digest;
  }

  /** Reserves a sign-in attempt for (username, address), or says how long to wait. */
  async reserveLogin(username: string, address: string): Promise<Attempt | Refused> {
    const digest = await this.keyed();
    const client = limitKey(address);
    const user = userKey(digest, username, client);
    const byAddress = addressKey(digest, client);
    return this.reserve({ [user]: PER_USER_AND_ADDRESS, [byAddress]: PER_ADDRESS }, WINDOW_SECONDS, [user, byAddress]);
  }

  /** Reserves a refresh: failures count per address, every refresh per refresh token. */
  async reserveRefresh(refreshToken: string, address: string): Promise<Attempt | Refused> {
    const digest = await this.keyed();
    const byAddress = refreshAddressKey(digest, limitKey(address));
    const token = refreshTokenKey(digest, refreshToken);
    return this.reserve({ [byAddress]: REFRESH_FAILURES_PER_ADDRESS, [token]: REFRESHES_PER_TOKEN }, REFRESH_WINDOW_SECONDS, [byAddress]);
  }

  /** Counts one attempt under every key; `failuresOnly` are the keys a success gives back. */
  private async reserve(limits: Record<string, number>, windowSeconds: number, failuresOnly: string[]): Promise<Attempt | Refused> {
    const keys = Object.keys(limits);
    const counts = await this.count(keys, windowSeconds);
    const refused = this.refusal(counts, limits, windowSeconds);
    if (refused) {
      await this.uncount(keys);
      return refused;
    }
    return {
      failed: async () => {},
      succeeded: () => this.uncount(failuresOnly),
      release: () => this.uncount(keys),
    };
  }

  async purge(): Promise<void> {
    await this.db.delete(loginFailures).where(sql`${loginFailures.windowStart} < now() - make_interval(secs => ${WINDOW_SECONDS})`);
  }

  /** Adds one to each key (a window that has run out starts again here) and returns the new counts. */
  private async count(keys: string[], windowSeconds: number): Promise<Count[]> {
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

  private refusal(counts: Count[], limits: Record<string, number>, windowSeconds: number): Refused | undefined {
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
