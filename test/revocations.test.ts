// The revocation store on a real database: how long a revocation lives, and what an instance does
// when its notifications come back before the database answers again.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import type { FastifyBaseLogger } from "fastify";
import { pino } from "pino";
import { openDatabase, type Database } from "../src/db/client.ts";
import { RevocationStore } from "../src/sessions/revocations.ts";
import { revokedSessions } from "../src/sessions/schema.ts";
import { sessionLifetime } from "../src/sessions/lifetime.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import { TestIssuer } from "./support/issuer.ts";
import { sleep, until } from "./support/wait.ts";

const silent = pino({ level: process.env.DEBUG_TEST ? "debug" : "silent" }) as unknown as FastifyBaseLogger;

describe("revocation store", () => {
  let dir: string;
  let database: Database;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vrms-revocations-"));
    database = await openDatabase({ kind: "pglite", dir });
  });
  after(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
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

  it("keeps polling after notifications come back until a reload has succeeded", async () => {
    let failing = false;
    let setListening: (listening: boolean) => void = () => {};
    // The database as the store sees it: reads fail while `failing` (the server is still down).
    const db = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property === "select" && failing) {
          return () => {
            throw new Error("Connection terminated");
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const flaky: Database = {
      kind: database.kind,
      db,
      migrated: true,
      ping: () => database.ping(),
      close: async () => {},
      listen: async (_channel, _onMessage, onState) => {
        setListening = onState;
        onState(true);
        return async () => {};
      },
    };
    const store = new RevocationStore(flaky, silent, { retainSeconds: 3600 });
    await store.start();
    try {
      setListening(false);
      assert.equal(store.status, "polling");
      failing = true;
      setListening(true);
      await sleep(100);
      // Written by another instance while this one could read nothing, and notified to nobody.
      await database.db.insert(revokedSessions).values({ sessionId: "missed", sub: "u2", expiresAt: new Date(Date.now() + 3_600_000) });
      failing = false;
      await until(() => store.isRevoked({ sub: "u2", sessionId: "missed", authTime: 0 }), 2500, "the missed revocation");
    } finally {
      await store.stop();
    }
  });

  it("an instance whose first reads fail while its notifications connect polls until a read succeeds, and is not loaded until then", async () => {
    let failing = true;
    const db = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property === "select" && failing) {
          return () => {
            throw new Error("Connection terminated");
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const flaky: Database = {
      kind: database.kind,
      db,
      migrated: true,
      ping: () => database.ping(),
      close: async () => {},
      // The dedicated LISTEN connection gets through while the pool's reads fail.
      listen: async (_channel, _onMessage, onState) => {
        onState(true);
        return async () => {};
      },
    };
    await database.db.insert(revokedSessions).values({ sessionId: "before-start", sub: "u3", expiresAt: new Date(Date.now() + 3_600_000) });
    const store = new RevocationStore(flaky, silent, { retainSeconds: 3600 });
    try {
      await store.start();
      assert.equal(store.loaded, false);
      assert.equal(store.status, "unavailable");
      failing = false;
      await until(() => store.isRevoked({ sub: "u3", sessionId: "before-start", authTime: 0 }), 2500, "the existing revocation");
      assert.equal(store.loaded, true);
      await until(() => store.status === "ok", 2500, "polling to stop");
    } finally {
      await store.stop();
    }
  });
});

describe("session lifetime", () => {
  const issuer = new TestIssuer();
  before(() => issuer.start());
  after(() => issuer.stop());
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
