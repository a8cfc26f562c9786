// Brute-force limits for sign-in, counted in the database so that every instance shares them:
// 5 failures per (username, address) and 50 per address in 15 minutes. There is deliberately no
// per-username limit across addresses: that would let anyone lock anyone out.
import { createHash } from "node:crypto";
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { loginFailures } from "./schema.ts";

export const WINDOW_SECONDS = 15 * 60;
const PER_USER_AND_ADDRESS = 5;
const PER_ADDRESS = 50;

// The table holds no usernames or addresses in the clear.
const digest = (text: string) => createHash("sha256").update(text).digest("base64url");
const userKey = (username: string, address: string) => `u:${digest(`${username.trim().toLowerCase()}\n${address}`)}`;
const addressKey = (address: string) => `a:${digest(address)}`;

export class LoginThrottle {
  constructor(private readonly db: Db) {}

  /** Seconds until this (username, address) may try again; 0 when it may now. */
  async blockedFor(username: string, address: string): Promise<number> {
    const keys = { user: userKey(username, address), address: addressKey(address) };
    const rows = await this.db
      .select({ key: loginFailures.key, failures: loginFailures.failures, windowStart: loginFailures.windowStart })
      .from(loginFailures)
      .where(inArray(loginFailures.key, [keys.user, keys.address]));
    let wait = 0;
    for (const row of rows) {
      const limit = row.key === keys.user ? PER_USER_AND_ADDRESS : PER_ADDRESS;
      const endsIn = Math.ceil((row.windowStart.getTime() + WINDOW_SECONDS * 1000 - Date.now()) / 1000);
      if (row.failures >= limit && endsIn > 0) wait = Math.max(wait, endsIn);
    }
    return wait;
  }

  async recordFailure(username: string, address: string): Promise<void> {
    for (const key of [userKey(username, address), addressKey(address)]) {
      // A window that has run out starts again at this failure.
      await this.db
        .insert(loginFailures)
        .values({ key, windowStart: sql`now()`, failures: 1 })
        .onConflictDoUpdate({
          target: loginFailures.key,
          set: {
            failures: sql`case when ${loginFailures.windowStart} < now() - make_interval(secs => ${WINDOW_SECONDS}) then 1 else ${loginFailures.failures} + 1 end`,
            windowStart: sql`case when ${loginFailures.windowStart} < now() - make_interval(secs => ${WINDOW_SECONDS}) then now() else ${loginFailures.windowStart} end`,
          },
        });
    }
  }

  /** A successful sign-in clears its (username, address) count, not the address's. */
  async recordSuccess(username: string, address: string): Promise<void> {
    await this.db.delete(loginFailures).where(inArray(loginFailures.key, [userKey(username, address)]));
  }

  async purge(): Promise<void> {
    await this.db.delete(loginFailures).where(sql`${loginFailures.windowStart} < now() - make_interval(secs => ${WINDOW_SECONDS})`);
  }
}
