// Revocations read by what changed (issues 18 and 26), on each database: an instance sees another's
// revocation within a second without reading the tables whole; an update is seen as a change; a
// deleted or expired row never hands a session back; a write that drew a lower version but
// committed later is not skipped (PostgreSQL, where two transactions can race); and a row written
// by hand with an old version is given a new one by the database, and read.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../src/db/client.ts";
import { writeSessionRevocation } from "../src/sessions/revocation-rows.ts";
import { revokedSessions } from "../src/sessions/tables.ts";
import { DATABASE_KINDS, requires, type TestDatabase, openTestDatabase } from "./support/databases.ts";
import { nowSec, revocationStores } from "./support/revocation-stores.ts";
import { sleep, until } from "./support/wait.ts";

const SEEDED = 3000;

for (const kind of DATABASE_KINDS) {
  describe(`revocations read by change (${kind.name})`, requires(kind), () => {
    let copy: TestDatabase;
    let database: Database;
    const { reader, writer, token, revoked, stopAll } = revocationStores(() => database);

    before(async () => {
      copy = await kind.create();
      database = await openTestDatabase(copy);
      await database.db.execute(sql`
        insert into revoked_sessions (session_id, sub, expires_at)
        select gen_random_uuid()::text, 'seed-' || i, now() + interval '1 day' from generate_series(1, ${SEEDED}) as i`);
    });
    after(async () => {
      await stopAll();
      await database?.close();
      await copy?.drop();
    });

    it("an instance sees another's sign-out within a second, reading only what changed", async () => {
      const { store } = await reader();
      assert.equal(store.reads.fullReads, 1);
      assert.ok(store.reads.rows >= SEEDED, "the start read the table whole");
      assert.equal(store.held.sessions, store.reads.rows);
      assert.equal(store.status, "ok");
      const rowsBefore = store.reads.rows;

      const sessionId = randomUUID();
      await writer().revokeSession(token(sessionId));
      await writer().revokeUser("signed-out-everywhere");
      const written = Date.now();
      await until(() => revoked(store, sessionId), 1500, "the sign-out");
      await until(() => store.isRevoked({ sub: "signed-out-everywhere", sessionId: "", authTime: nowSec() - 5 }), 1500, "the user's sign-out");
      assert.ok(Date.now() - written < 1000, `read after ${Date.now() - written} ms`);
      assert.equal(store.reads.fullReads, 1, "no full read");
      assert.ok(store.reads.rows - rowsBefore <= 2, `read ${store.reads.rows - rowsBefore} rows for two changes`);
    });

    it("a later sign-out of the same session is read as a change: its longer life holds", async () => {
      const { store } = await reader();
      const sessionId = randomUUID();
      const firstExpires = Date.now() + 4000; // 3 s, rounded up to the second
      await writer(3).revokeSession({ ...token(sessionId), exp: nowSec() });
      await until(() => revoked(store, sessionId), 1500, "the short sign-out");
      await writer(3600).revokeSession(token(sessionId));
      // Once the first revocation has expired, only the second one's row (a new version) keeps it.
      await sleep(firstExpires + 500 - Date.now());
      assert.ok(revoked(store, sessionId), "the second sign-out's life");
      assert.equal(store.reads.fullReads, 1);
    });

    it("a deleted or expired row never hands a session back, and costs no full read", async () => {
      const { store } = await reader();
      const fullReads = store.reads.fullReads;
      const deleted = randomUUID();
      const expired = randomUUID();
      const neverLive = randomUUID();
      await writer().revokeSession(token(deleted));
      await writer().revokeSession(token(expired));
      await until(() => revoked(store, deleted) && revoked(store, expired), 1500, "the sign-outs");

      // In one transaction, so that one poll sees all three.
      const rowsBefore = store.reads.rows;
      await database.db.transaction(async (tx) => {
        await tx.delete(revokedSessions).where(eq(revokedSessions.sessionId, deleted));
        // An expired row, written as a change (a new version): read, it must not shorten anything.
        await tx
          .update(revokedSessions)
          .set({ expiresAt: sql`now() - interval '1 hour'`, seq: sql`default` })
          .where(eq(revokedSessions.sessionId, expired));
        await tx.insert(revokedSessions).values({ sessionId: neverLive, sub: "someone", expiresAt: new Date(Date.now() - 3_600_000) });
      });
      await until(() => store.reads.rows >= rowsBefore + 2, 1500, "the poll to read the expired row and the one never live");
      await sleep(1700); // two more polls
      assert.ok(revoked(store, deleted), "deleted row: still revoked");
      assert.ok(revoked(store, expired), "expired row: still revoked");
      assert.ok(!revoked(store, neverLive), "a row read already expired revokes nothing");
      assert.equal(store.reads.fullReads, fullReads, "no full read");
    });

    it("a row written by hand with a version below what was read is given a new one by the database, and read within a second", async () => {
      const { store } = await reader();
      const sessionId = randomUUID();
      const earlier = randomUUID();
      await writer().revokeSession(token(earlier)); // so that version 1 is below what was read
      await until(() => revoked(store, earlier), 1500, "the earlier sign-out");
      const fullReads = store.reads.fullReads;
      await database.db.insert(revokedSessions).values({ sessionId, sub: "someone", expiresAt: new Date(Date.now() + 3_600_000), seq: 1 });
      const written = Date.now();
      await until(() => revoked(store, sessionId), 1500, "the row written with an old version");
      assert.ok(Date.now() - written < 1000, `read after ${Date.now() - written} ms`);
      assert.equal(store.reads.fullReads, fullReads, "by reading changes");
    });

    // PGlite runs one transaction at a time: the race cannot happen there, so the test exists on PostgreSQL only.
    if (kind.name === "postgres") it(
      "a sign-out that drew a lower version but commits after a higher one was read is not skipped",
      async () => {
        const { store } = await reader();
        const other = await openTestDatabase(copy); // another instance's pool
        try {
          const early = randomUUID();
          const late = randomUUID();
          let drawn = false;
          let release = () => {};
          const gate = new Promise<void>((resolve) => (release = resolve));
          const slow = other.db.transaction(async (tx) => {
            await writeSessionRevocation(tx, { sessionId: early, sub: "someone", expiresAt: new Date(Date.now() + 3_600_000) });
            drawn = true;
            await gate;
          });
          await until(() => drawn, 2000, "the first write to draw its version");
          const fast = writer().revokeSession(token(late));
          // Polls meanwhile: any that reads `late` before `early` commits moves past early's version.
          await sleep(1300);
          release();
          await slow;
          await fast;
          await until(() => revoked(store, early) && revoked(store, late), 2500, "both sign-outs");
          assert.equal(store.reads.fullReads, 1, "by reading changes, not the tables whole");
        } finally {
          await other.close();
        }
      },
    );
  });
}
