// The first request of a new sub creates the local user: once, whatever the concurrency, with the
// email from the id token or Cognito's GetUser. On PGlite, and on PostgreSQL when configured.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { DATABASE_KINDS, requires } from "./support/databases.ts";
import { issuerAndServer, serverForDescribe, type Json } from "./support/server.ts";
import { until } from "./support/wait.ts";

for (const kind of DATABASE_KINDS) {
  describe(`user provisioning on ${kind.name}`, requires(kind), () => {
    // "any": access and id tokens both reach this server, as with an app that sends either.
    const { issuer, app } = issuerAndServer(kind, { inject: true, env: { COGNITO_TOKEN_USE: "any" } });

    async function me(token: string): Promise<Json> {
      const res = await app.get("/api/v1/me", token);
      assert.equal(res.status, 200, res.text);
      return res.body;
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
      describe("with a second instance on the same database", () => {
        const second = serverForDescribe(issuer, kind, { inject: true, shareDatabaseOf: () => app });

        it("shows a PATCH made on one instance on the other within one second (profile cache)", async () => {
          const token = issuer.mint(issuer.newUser());
          assert.equal((await second.get("/api/v1/me", token)).status, 200);
          await second.get("/api/v1/me", token); // now cached on the second instance
          assert.equal((await app.request("PATCH", "/api/v1/me", { token, body: { first_name: "Seen-Everywhere" } })).status, 200);
          const started = Date.now();
          await until(async () => (await second.get("/api/v1/me", token)).body.first_name === "Seen-Everywhere", 1500, "the other instance to show the change");
          assert.ok(Date.now() - started <= 1100, `seen after ${Date.now() - started} ms`);
        });

        it("makes one row of 100 parallel first requests spread over two instances on one database", async () => {
          const user = issuer.newUser();
          const token = issuer.mint(user);
          const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? app : second).get("/api/v1/me", token)));
          assert.deepEqual([...new Set(responses.map((r) => r.status))], [200]);
          assert.equal(new Set(responses.map((r) => r.body.uuid)).size, 1);
          const client = new pg.Client({ connectionString: databaseUrlOf(app) });
          await client.connect();
          const { rows } = await client.query("select count(*)::int as n from users where cognito_sub = $1", [user.sub]);
          await client.end();
          assert.equal(rows[0].n, 1);
        });
      });
    }
  });
}

function databaseUrlOf(app: { databaseUrl: string | undefined }): string {
  const url = app.databaseUrl;
  if (!url) throw new Error("not a PostgreSQL test server");
  return url;
}
