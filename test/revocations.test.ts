// The revocation store on a real database: how long a revocation lives, and what an instance does
// when its reads fail (the database is down) and then succeed again.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { eq } from "drizzle-orm";
import { openDatabase, type Database } from "../src/db/client.ts";
import { POLL_MS, RevocationStore } from "../src/sessions/revocations.ts";
import { revokedSessions } from "../src/sessions/tables.ts";
import { sessionLifetime } from "../src/sessions/lifetime.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import { pglite, type TestDatabase } from "./support/databases.ts";
import { issuerForDescribe } from "./support/server.ts";
import { silentLogger as silent } from "./support/revocation-stores.ts";
import { until } from "./support/wait.ts";

/** `database` as a store sees it: every query fails while `failing` is set (the server is down). */
function flaky(database: Database) {
  const control = { failing: false };
  const db = new Proxy(database.db, {
    get(target, property, receiver) {
      if ((property === "select" || property === "execute" || property === "transaction") && control.failing) {
        return () => {
          throw new Error("Connection terminated");
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { database: { ...database, db, close: async () => {} } satisfies Database, control };
}

/**
 * The store's setInterval mocked, so a test moves its polling clock instead of waiting a real
 * poll. Safe here: the store runs alone in this process (no server), and PGlite and `until` use
 * no setInterval. Reset when the test ends.
 */
function mockPolling(t: TestContext): () => void {
  t.mock.timers.enable({ apis: ["setInterval"] });
  return () => t.mock.timers.tick(POLL_MS);
}

describe("revocation store", () => {
  let copy: TestDatabase;
  let database: Database;

  before(async () => {
    // A copy of the migrated template, not initdb and every migration (seconds).
    copy = await pglite.create();
    database = await openDatabase({ kind: "pglite", dir: path.join(copy.env.DATA_DIR!, "db") });
  });
  after(async () => {
    await database?.close();
    await copy?.drop();
  });

  const expiresAt = async (sessionId: string) =>
    (await database.db.select().from(revokedSessions).where(eq(revokedSessions.sessionId, sessionId)))[0]!.expiresAt.getTime();

  it("keeps a revocation for the session's whole life, and a later sign-out never shortens it", async () => {
    const now = Date.now();
    const long = new RevocationStore(database, silent, { retainSeconds: 3600 });
    const short = new RevocationStore(database, silent, { retainSeconds: 10 });
    await short.revokeSession({ sub: "u1", sessionId: "s1", exp: Math.floor(now / 1000) + 5 });
    assert.ok(Math.abs((await expiresAt("s1")) - (now + 10_000)) < 2000);
    await long.revokeSession({ sub: "u1", sessionId: "s1", exp: Math.floor(now / 1000) + 5 });
    assert.ok(Math.abs((await expiresAt("s1")) - (now + 3_600_000)) < 2000, "the longer life wins");
    await short.revokeSession({ sub: "u1", sessionId: "s1", exp: Math.floor(now / 1000) + 5 });
    assert.ok(Math.abs((await expiresAt("s1")) - (now + 3_600_000)) < 2000, "and stays");
  });

  it("a poll that fails is retried by the next: a revocation written meanwhile is read once reads succeed", async (t) => {
    const nextPoll = mockPolling(t);
    const { database: view, control } = flaky(database);
    const store = new RevocationStore(view, silent, { retainSeconds: 3600, pollMs: POLL_MS });
    await store.start();
    try {
      assert.equal(store.status, "ok");
      control.failing = true;
      // Written by another instance while this one can read nothing.
      await database.db.insert(revokedSessions).values({ sessionId: "missed", sub: "u2", expiresAt: new Date(Date.now() + 3_600_000) });
      const polls = store.reads.polls;
      nextPoll(); // fails at its first query
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(store.reads.polls, polls, "the poll failed");
      control.failing = false;
      assert.equal(store.isRevoked({ sub: "u2", sessionId: "missed", authTime: 0 }), false, "not read yet");
      assert.equal(store.status, "ok", "still ready: what it holds is still refused");
      nextPoll(); // the next poll reads it
      await until(() => store.isRevoked({ sub: "u2", sessionId: "missed", authTime: 0 }), 2500, "the missed revocation");
    } finally {
      await store.stop();
    }
  });

  it("an instance whose first reads fail polls until a read succeeds, and is not loaded until then", async (t) => {
    const nextPoll = mockPolling(t);
    const { database: view, control } = flaky(database);
    control.failing = true;
    await database.db.insert(revokedSessions).values({ sessionId: "before-start", sub: "u3", expiresAt: new Date(Date.now() + 3_600_000) });
    const store = new RevocationStore(view, silent, { retainSeconds: 3600, pollMs: POLL_MS });
    try {
      await store.start();
      assert.equal(store.loaded, false);
      assert.equal(store.status, "unavailable");
      control.failing = false;
      nextPoll();
      await until(() => store.isRevoked({ sub: "u3", sessionId: "before-start", authTime: 0 }), 2500, "the existing revocation");
      assert.equal(store.loaded, true);
      assert.equal(store.status, "ok");
    } finally {
      await store.stop();
    }
  });
});

describe("session lifetime", () => {
  const issuer = issuerForDescribe();
  const source = () => ({
    cognito: createCognitoClient({ region: "us-west-2", endpoint: issuer.endpoint, useDummyCredentials: true }, { maxAttempts: 1 }),
    userPoolId: issuer.poolId,
    clientIds: [issuer.clientId],
  });

  it("is the app client's refresh-token validity plus its access-token validity plus the skew", async () => {
    issuer.appClientDescription = {
      RefreshTokenValidity: 2,
      AccessTokenValidity: 5,
      TokenValidityUnits: { RefreshToken: "hours", AccessToken: "minutes" },
    };
    try {
      assert.deepEqual(await sessionLifetime(undefined, 60, source()), { retainSeconds: 7200 + 300 + 60, source: "DescribeUserPoolClient" });
    } finally {
      issuer.appClientDescription = undefined;
    }
  });

  it("is 30 days (plus a day, the longest access token) when the client cannot be read, and SESSION_MAX_SECONDS when set", async () => {
    assert.deepEqual(await sessionLifetime(undefined, 60, source()), { retainSeconds: 30 * 86400 + 86400 + 60, source: "default" });
    assert.deepEqual(await sessionLifetime(7200, 0, source()), { retainSeconds: 7200 + 86400, source: "SESSION_MAX_SECONDS" });
  });

  it("SESSION_MAX_SECONDS never shortens what the app client allows", async () => {
    issuer.appClientDescription = { RefreshTokenValidity: 30, AccessTokenValidity: 1 };
    try {
      const { retainSeconds } = await sessionLifetime(3600, 0, source());
      assert.equal(retainSeconds, 30 * 86400 + 3600);
      assert.equal((await sessionLifetime(60 * 86400, 0, source())).retainSeconds, 60 * 86400 + 3600, "a longer setting wins");
    } finally {
      issuer.appClientDescription = undefined;
    }
  });
});
