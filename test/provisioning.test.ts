// The first request of a new sub creates the local user: once, whatever the concurrency, with the
// email from the id token or Cognito's GetUser. On PGlite, and on PostgreSQL when configured.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { DATABASE_KINDS, requires } from "./support/databases.ts";
import { TestIssuer } from "./support/issuer.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

for (const kind of DATABASE_KINDS) {
  describe(`user provisioning on ${kind.name}`, requires(kind), () => {
    const issuer = new TestIssuer();
    let app: TestServer;

    before(async () => {
      await issuer.start();
      // "any": access and id tokens both reach this server, as with an app that sends either.
      app = await startTestServer(issuer, kind, { COGNITO_TOKEN_USE: "any" });
    });
    after(async () => {
      await app?.close();
      await issuer.stop();
    });

    async function me(token: string): Promise<Record<string, unknown>> {
      const res = await app.get("/api/v1/me", token);
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as Record<string, unknown>;
    }

    it("creates the user on the first request, with the email from GetUser", async () => {
      const user = issuer.newUser();
      const calls = issuer.getUserCalls;
      const profile = await me(issuer.mint(user));
      assert.equal(profile.username, user.username);
      assert.equal(profile.email, user.email);
      assert.equal(profile.email_verified, true);
      assert.equal(profile.is_active, true);
      assert.match(String(profile.uuid), /^[0-9a-f-]{36}$/);
      assert.equal(issuer.getUserCalls - calls, 1);
      // Later requests neither create another user nor call Cognito again.
      const again = await me(issuer.mint(user));
      assert.equal(again.uuid, profile.uuid);
      assert.equal(issuer.getUserCalls - calls, 1);
    });

    it("makes one row and one GetUser call out of 50 concurrent first requests of one sub", async () => {
      const user = issuer.newUser();
      const token = issuer.mint(user);
      const calls = issuer.getUserCalls;
      const profiles = await Promise.all(Array.from({ length: 50 }, () => me(token)));
      assert.equal(new Set(profiles.map((p) => p.uuid)).size, 1);
      assert.equal(issuer.getUserCalls - calls, 1, "only the request that inserted the row asks Cognito");
    });

    it("still creates the profile when GetUser fails, and retries at most once per 5 minutes", async () => {
      issuer.getUserFails = true;
      try {
        const user = issuer.newUser();
        const calls = issuer.getUserCalls;
        const profile = await me(issuer.mint(user));
        assert.equal(profile.email, null);
        await me(issuer.mint(user));
        await me(issuer.mint(user));
        assert.equal(issuer.getUserCalls - calls, 1, "one GetUser attempt, not one per request");
      } finally {
        issuer.getUserFails = false;
      }
    });

    it("follows Cognito-owned fields from later id tokens", async () => {
      const user = issuer.newUser();
      const created = await me(issuer.mint(user));
      const changed = { ...user, username: "renamed-user", email: "renamed@example.org" };
      const profile = await me(issuer.mint(changed, { use: "id" }));
      assert.equal(profile.uuid, created.uuid);
      assert.equal(profile.email, "renamed@example.org");
      assert.equal(profile.username, "renamed-user");
    });

    if (kind.name === "postgres") {
      it("shows a PATCH made on one instance on the other within one second (profile cache)", async () => {
        const second = await startTestServer(issuer, kind, {}, databaseUrlOf(app));
        try {
          const token = issuer.mint(issuer.newUser());
          assert.equal((await second.get("/api/v1/me", token)).status, 200);
          await second.get("/api/v1/me", token); // now cached on the second instance
          const patched = await fetch(`${app.url}/api/v1/me`, {
            method: "PATCH",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ first_name: "Seen-Everywhere" }),
          });
          assert.equal(patched.status, 200);
          const started = Date.now();
          let seen = false;
          while (!seen && Date.now() - started < 1500) {
            seen = ((await (await second.get("/api/v1/me", token)).json()) as { first_name: string }).first_name === "Seen-Everywhere";
            if (!seen) await new Promise((r) => setTimeout(r, 50));
          }
          assert.ok(seen, "the other instance shows the change");
          assert.ok(Date.now() - started <= 1100, `seen after ${Date.now() - started} ms`);
        } finally {
          await second.close();
        }
      });

      it("makes one row of 100 parallel first requests spread over two instances on one database", async () => {
        const second = await startTestServer(issuer, kind, {}, databaseUrlOf(app));
        try {
          const user = issuer.newUser();
          const token = issuer.mint(user);
          const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? app : second).get("/api/v1/me", token)));
          const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as { uuid: string }).uuid)));
          assert.equal(ids.size, 1);
          const client = new pg.Client({ connectionString: databaseUrlOf(app) });
          await client.connect();
          const { rows } = await client.query("select count(*)::int as n from users where cognito_sub = $1", [user.sub]);
          await client.end();
          assert.equal(rows[0].n, 1);
        } finally {
          await second.close();
        }
      });
    }
  });
}

function databaseUrlOf(app: TestServer): string {
  const url = app.databaseUrl;
  if (!url) throw new Error("not a PostgreSQL test server");
  return url;
}
