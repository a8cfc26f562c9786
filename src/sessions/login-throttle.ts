// Brute-force limits for sign-in and refresh, counted in the database so that every instance
// shares them: 5 failed sign-ins per (username, address) and 50 per address in 15 minutes; 60
// failed refreshes per address and 10 refreshes per refresh token a minute (refresh spends the
// pool's AdminInitiateAuth quota that sign-in shares). There is deliberately no per-username limit
// across addresses: that would let anyone lock anyone out. Addresses are counted as limitKey()
// says (an IPv6 client by its /64).
//
// An attempt is reserved before Cognito is called, key by key, each in one statement that counts
// it only while under that key's limit: a read-then-write would let every request of a burst read
// "4" and go through. The address is reserved first, so that once it is over its limit a refused
// attempt writes nothing (a burst of new usernames from one address added a row per username).
// Only the attempt's own reservation is ever given back: a success never clears a count, since the
// same count may hold another account's failures (usernames are compared without case).
import { createHmac } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { limitKey } from "../http/client-address.ts";
import { loginFailures, serverSecrets } from "./tables.ts";

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
    const byAddress = addressKey(digest, client);
    const user = userKey(digest, username, client);
    return this.reserve([[byAddress, PER_ADDRESS], [user, PER_USER_AND_ADDRESS]], WINDOW_SECONDS, [byAddress, user]);
  }

  /** Reserves a refresh: failures count per address, every refresh per refresh token. */
  async reserveRefresh(refreshToken: string, address: string): Promise<Attempt | Refused> {
    const digest = await this.keyed();
    const byAddress = refreshAddressKey(digest, limitKey(address));
    const token = refreshTokenKey(digest, refreshToken);
    return this.reserve([[byAddress, REFRESH_FAILURES_PER_ADDRESS], [token, REFRESHES_PER_TOKEN]], REFRESH_WINDOW_SECONDS, [byAddress]);
  }

  /**
   * Counts one attempt under each key in turn (the widest first); the first key at its limit
   * refuses it, and what the keys before it counted is given back. `failuresOnly` are the keys a
   * success gives back.
   */
  private async reserve(limits: [key: string, limit: number][], windowSeconds: number, failuresOnly: string[]): Promise<Attempt | Refused> {
    const counted: string[] = [];
    for (const [key, limit] of limits) {
      if (!(await this.count(key, limit, windowSeconds))) {
        await this.uncount(counted);
        return { retryAfter: await this.retryAfter(key, windowSeconds) };
      }
      counted.push(key);
    }
    return {
      failed: async () => {},
      succeeded: () => this.uncount(failuresOnly),
      release: () => this.uncount(counted),
    };
  }

  async purge(): Promise<void> {
    await this.db.delete(loginFailures).where(sql`${loginFailures.windowStart} < now() - make_interval(secs => ${WINDOW_SECONDS})`);
  }

  /**
   * Adds one to `key` unless it is at `limit` within its window (a window that has run out starts
   * again here), in one statement: whether it counted. At the limit nothing is written.
   */
  private async count(key: string, limit: number, windowSeconds: number): Promise<boolean> {
    const expired = sql`${loginFailures.windowStart} < now() - make_interval(secs => ${windowSeconds})`;
    const rows = await this.db
      .insert(loginFailures)
      .values({ key, windowStart: sql`now()`, failures: 1 })
      .onConflictDoUpdate({
        target: loginFailures.key,
        set: {
          failures: sql`case when ${expired} then 1 else ${loginFailures.failures} + 1 end`,
          windowStart: sql`case when ${expired} then now() else ${loginFailures.windowStart} end`,
        },
        setWhere: sql`${expired} or ${loginFailures.failures} < ${limit}`,
      })
      .returning({ key: loginFailures.key });
    return rows.length > 0;
  }

  /** Seconds until `key`'s window runs out (at least one): read only when an attempt is refused. */
  private async retryAfter(key: string, windowSeconds: number): Promise<number> {
    const [row] = await this.db.select({ windowStart: loginFailures.windowStart }).from(loginFailures).where(eq(loginFailures.key, key));
    const endsIn = row ? Math.ceil((row.windowStart.getTime() + windowSeconds * 1000 - Date.now()) / 1000) : 1;
    return Math.max(endsIn, 1);
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
