// Profiles and permissions through the real server: the permission matrix, strict validation,
// null clearing, Cognito-owned vs user-owned fields, the admin list. PGlite, and PostgreSQL.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DATABASE_KINDS, requires } from "./support/databases.ts";
import type { TestUser } from "../support/issuer.ts";
import { issuerAndServer, type Json } from "./support/server.ts";

for (const kind of DATABASE_KINDS) {
  describe(`users API on ${kind.name}`, requires(kind), () => {
    const { issuer, app } = issuerAndServer(kind, { inject: true, env: { COGNITO_TOKEN_USE: "any", PUBLIC_URL: "https://api.example.org" } });

    /** A signed-in user with a local profile. */
    async function signedIn(groups: string[] = [], extra: Partial<TestUser> = {}): Promise<{ user: TestUser; token: string; uuid: string }> {
      const user = issuer.newUser({ groups, ...extra });
      const token = issuer.mint(user);
      const me = await app.request("GET", "/api/v1/me", { token });
      assert.equal(me.status, 200);
      return { user, token, uuid: me.body.uuid as string };
    }

    describe("permission matrix", () => {
      type Persona = "anonymous" | "member, own record" | "member, another's record" | "administrator" | "deactivated";
      interface Row {
        route: string;
        method: string;
        path: (target: string) => string;
        body?: Json;
        expect: Record<Persona, number>;
      }
      const rows: Row[] = [
        { route: "GET /api/v1/me", method: "GET", path: () => "/api/v1/me",
          expect: { anonymous: 401, "member, own record": 200, "member, another's record": 200, administrator: 200, deactivated: 403 } },
        { route: "PATCH /api/v1/me", method: "PATCH", path: () => "/api/v1/me", body: { first_name: "Pat" },
          expect: { anonymous: 401, "member, own record": 200, "member, another's record": 200, administrator: 200, deactivated: 403 } },
        { route: "PATCH /api/v1/me is_active", method: "PATCH", path: () => "/api/v1/me", body: { is_active: true },
          expect: { anonymous: 401, "member, own record": 400, "member, another's record": 400, administrator: 400, deactivated: 403 } },
        { route: "GET /api/v1/users", method: "GET", path: () => "/api/v1/users",
          expect: { anonymous: 401, "member, own record": 403, "member, another's record": 403, administrator: 200, deactivated: 403 } },
        { route: "GET /api/v1/users/{uuid}", method: "GET", path: (t) => `/api/v1/users/${t}`,
          expect: { anonymous: 401, "member, own record": 200, "member, another's record": 404, administrator: 200, deactivated: 403 } },
        { route: "PATCH /api/v1/users/{uuid}", method: "PATCH", path: (t) => `/api/v1/users/${t}`, body: { last_name: "Quinn" },
          expect: { anonymous: 401, "member, own record": 200, "member, another's record": 404, administrator: 200, deactivated: 403 } },
        // The permissions issue: a field the caller may not change is a 400 naming it, like a read-only one.
        { route: "PATCH /api/v1/users/{uuid} is_active", method: "PATCH", path: (t) => `/api/v1/users/${t}`, body: { is_active: true },
          expect: { anonymous: 401, "member, own record": 400, "member, another's record": 404, administrator: 200, deactivated: 403 } },
        { route: "DELETE /api/v1/users/{uuid}", method: "DELETE", path: (t) => `/api/v1/users/${t}`,
          expect: { anonymous: 401, "member, own record": 403, "member, another's record": 404, administrator: 204, deactivated: 403 } },
      ];

      it("every route × every persona answers as the contract says", async () => {
        const failures: string[] = [];
        for (const row of rows) {
          for (const persona of Object.keys(row.expect) as Persona[]) {
            // Fresh people for every cell: a DELETE or PATCH in one cell never leaks into another.
            const member = await signedIn();
            const other = await signedIn();
            let token: string | undefined;
            let target = member.uuid;
            if (persona === "member, own record") token = member.token;
            if (persona === "member, another's record") {
              token = member.token;
              target = other.uuid;
            }
            if (persona === "administrator") {
              token = (await signedIn(["admin"])).token;
              target = other.uuid;
            }
            if (persona === "deactivated") {
              const admin = await signedIn(["admin"]);
              assert.equal((await app.request("PATCH", `/api/v1/users/${member.uuid}`, { token: admin.token, body: { is_active: false } })).status, 200);
              token = member.token;
            }
            const res = await app.request(row.method, row.path(target), { token, body: row.body });
            if (res.status !== row.expect[persona]) failures.push(`${row.route} as ${persona}: ${res.status} (expected ${row.expect[persona]}) ${JSON.stringify(res.body)}`);
            if (res.status >= 400) {
              assert.equal(typeof res.body.code, "string", `${row.route} as ${persona}: a problem body`);
            }
            if (persona === "deactivated" && res.status === 403) assert.equal(res.body.code, "account_disabled");
          }
        }
        assert.deepEqual(failures, []);
      });

      it("a member asking for the users list gets insufficient_scope", async () => {
        const { token } = await signedIn();
        const res = await app.get("/api/v1/users", token);
        assert.equal(res.status, 403);
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="api", error="insufficient_scope"');
      });

      it("a deleted profile is recreated, fresh, by the user's next valid token", async () => {
        const member = await signedIn();
        await app.request("PATCH", "/api/v1/me", { token: member.token, body: { first_name: "Gone" } });
        const admin = await signedIn(["admin"]);
        assert.equal((await app.request("DELETE", `/api/v1/users/${member.uuid}`, { token: admin.token })).status, 204);
        assert.equal((await app.request("GET", `/api/v1/users/${member.uuid}`, { token: admin.token })).status, 404);
        const again = await app.request("GET", "/api/v1/me", { token: member.token });
        assert.equal(again.status, 200);
        assert.notEqual(again.body.uuid, member.uuid);
        assert.notEqual(again.body.first_name, "Gone");
      });

      it("a deactivated user whose profile is deleted comes back deactivated, not active; reactivated and deleted, active", async () => {
        const member = await signedIn();
        const admin = await signedIn(["admin"]);
        assert.equal((await app.request("PATCH", `/api/v1/users/${member.uuid}`, { token: admin.token, body: { is_active: false } })).status, 200);
        assert.equal((await app.request("DELETE", `/api/v1/users/${member.uuid}`, { token: admin.token })).status, 204);
        const again = await app.request("GET", "/api/v1/me", { token: member.token });
        assert.equal(again.status, 403);
        assert.equal(again.body.code, "account_disabled");
        const listed = await app.request("GET", `/api/v1/users?is_active=false&page_size=100`, { token: admin.token });
        const recreated = (listed.body.results as Json[]).find((u) => u.uuid !== member.uuid && u.username === member.user.username);
        assert.ok(recreated, "the profile was recreated, deactivated");
        assert.equal((await app.request("PATCH", `/api/v1/users/${recreated.uuid}`, { token: admin.token, body: { is_active: true } })).status, 200);
        assert.equal((await app.request("DELETE", `/api/v1/users/${recreated.uuid}`, { token: admin.token })).status, 204);
        assert.equal((await app.request("GET", "/api/v1/me", { token: member.token })).status, 200, "deleted while active: recreated active");
      });

      it("an unknown or malformed uuid is 404", async () => {
        const admin = await signedIn(["admin"]);
        assert.equal((await app.request("GET", "/api/v1/users/00000000-0000-4000-8000-000000000000", { token: admin.token })).status, 404);
        assert.equal((await app.request("GET", "/api/v1/users/not-a-uuid", { token: admin.token })).status, 404);
        assert.equal((await app.request("DELETE", "/api/v1/users/not-a-uuid", { token: admin.token })).status, 404);
      });
    });

    describe("PATCH validation", () => {
      it("reports every offending field, refuses coercion, and changes nothing", async () => {
        const { token } = await signedIn();
        const before = await app.request("GET", "/api/v1/me", { token });
        const res = await app.request("PATCH", "/api/v1/me", { token, body: {
          first_name: "Changed",
          texting_ok: "true",
          phone: "(415) 555-2671",
          time_zone: "Mars/Olympus_Mons",
          email: "me@example.org",
          username: "me",
          is_active: false,
          uuid: "x",
          shoe_size: 44,
          github_handle: "not a handle!",
          preferred_email: "not-an-email",
        } });
        assert.equal(res.status, 400);
        assert.equal(res.body.code, "validation_failed");
        const errors = res.body.errors as { field: string; message: string }[];
        const fields = errors.map((e) => e.field).sort();
        assert.deepEqual(fields, ["email", "github_handle", "is_active", "phone", "preferred_email", "shoe_size", "texting_ok", "time_zone", "username", "uuid"]);
        const message = (field: string) => errors.find((e) => e.field === field)!.message;
        assert.match(message("phone"), /E\.164/);
        assert.match(message("time_zone"), /IANA/);
        assert.match(message("email"), /Cognito/);
        assert.match(message("is_active"), /administrator/);
        assert.match(message("shoe_size"), /not a profile field/);
        const after = await app.request("GET", "/api/v1/me", { token });
        assert.equal(after.body.first_name, before.body.first_name, "nothing changed");
        assert.equal(after.body.updated_at, before.body.updated_at);
      });

      it("refuses is_active on /me for administrators too", async () => {
        const { token } = await signedIn(["admin"]);
        const res = await app.request("PATCH", "/api/v1/me", { token, body: { is_active: false } });
        assert.equal(res.status, 400);
        assert.equal((await app.request("GET", "/api/v1/me", { token })).body.is_active, true);
      });

      it("stores valid values and clears with null (restoring defaults where a field has one)", async () => {
        const { token } = await signedIn();
        const set = await app.request("PATCH", "/api/v1/me", { token, body: {
          first_name: "Grace",
          last_name: "Hopper",
          phone: "+14155552671",
          texting_ok: true,
          time_zone: "Europe/Berlin",
          github_handle: "grace-h",
          slack_member_id: "U012ABCDEF",
          preferred_email: "grace@example.org",
          current_skills: "COBOL, compilers",
        } });
        assert.equal(set.status, 200, JSON.stringify(set.body));
        assert.equal(set.body.phone, "+14155552671");
        assert.equal(set.body.time_zone, "Europe/Berlin");
        const cleared = await app.request("PATCH", "/api/v1/me", { token, body: { first_name: null, phone: null, texting_ok: null, time_zone: null } });
        assert.equal(cleared.status, 200);
        assert.equal(cleared.body.first_name, null);
        assert.equal(cleared.body.phone, null);
        assert.equal(cleared.body.texting_ok, false);
        assert.equal(cleared.body.time_zone, "America/Los_Angeles");
        assert.equal(cleared.body.last_name, "Hopper", "fields not sent are kept");
      });

      it("answers a non-JSON body with 415 and malformed JSON with 400 bad_request", async () => {
        const { token } = await signedIn();
        const text = await app.request("PATCH", "/api/v1/me", { token, headers: { "content-type": "text/plain" }, body: "first_name=x" });
        assert.equal(text.status, 415);
        assert.equal(text.body.code, "unsupported_media_type");
        const bad = await app.request("PATCH", "/api/v1/me", { token, body: "{nope" });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.code, "bad_request");
      });
    });

    describe("Cognito-owned and user-owned fields", () => {
      it("seeds names from Cognito at creation, then follows Cognito only for username and email", async () => {
        const user = issuer.newUser({ givenName: "Ada", familyName: "Lovelace" });
        const created = await app.request("GET", "/api/v1/me", { token: issuer.mint(user, { use: "id" }) });
        assert.equal(created.body.first_name, "Ada");
        assert.equal(created.body.last_name, "Lovelace");
        await app.request("PATCH", "/api/v1/me", { token: issuer.mint(user), body: { first_name: "Augusta" } });
        const renamed = { ...user, email: "countess@example.org", givenName: "Someone", familyName: "Else" };
        const after = await app.request("GET", "/api/v1/me", { token: issuer.mint(renamed, { use: "id" }) });
        assert.equal(after.body.email, "countess@example.org", "email follows Cognito");
        assert.equal(after.body.first_name, "Augusta", "user-owned fields are never overwritten by Cognito");
        assert.equal(after.body.last_name, "Lovelace");
      });

      it("seeds names from GetUser when the first token is an access token", async () => {
        const user = issuer.newUser({ givenName: "Katherine", familyName: "Johnson" });
        const me = await app.request("GET", "/api/v1/me", { token: issuer.mint(user) });
        assert.equal(me.body.first_name, "Katherine");
        assert.equal(me.body.last_name, "Johnson");
      });
    });

    describe("the users list", () => {
      it("pages, filters, searches and orders, with absolute next/previous links from PUBLIC_URL", async () => {
        const admin = await signedIn(["admin"]);
        const tag = `zq${Date.now().toString(36)}`;
        for (let i = 0; i < 5; i++) {
          const member = await signedIn();
          await app.request("PATCH", "/api/v1/me", { token: member.token, body: { last_name: `${tag}-${i}` } });
        }
        const page1 = await app.request("GET", `/api/v1/users?search=${tag}&page_size=2&ordering=last_name`, { token: admin.token });
        assert.equal(page1.status, 200);
        assert.equal(page1.body.count, 5);
        assert.equal(page1.body.count_is_estimate, false);
        assert.deepEqual((page1.body.results as Json[]).map((r) => r.last_name), [`${tag}-0`, `${tag}-1`]);
        assert.equal(page1.body.previous, null);
        const next = new URL(page1.body.next as string);
        assert.equal(next.origin, "https://api.example.org");
        assert.equal(next.searchParams.get("page"), "2");
        assert.equal(next.searchParams.get("search"), tag);
        const page3 = await app.request("GET", `/api/v1/users?search=${tag}&page_size=2&ordering=last_name&page=3`, { token: admin.token });
        assert.deepEqual((page3.body.results as Json[]).map((r) => r.last_name), [`${tag}-4`]);
        assert.equal(page3.body.next, null);
        assert.match(page3.body.previous as string, /page=2/);
        const desc = await app.request("GET", `/api/v1/users?search=${tag}&ordering=-last_name&page_size=1`, { token: admin.token });
        assert.equal((desc.body.results as Json[])[0]!.last_name, `${tag}-4`);
      });

      it("filters by email, username and is_active", async () => {
        const admin = await signedIn(["admin"]);
        const member = await signedIn();
        const byEmail = await app.request("GET", `/api/v1/users?email=${encodeURIComponent(member.user.email.toUpperCase())}`, { token: admin.token });
        assert.deepEqual((byEmail.body.results as Json[]).map((r) => r.uuid), [member.uuid]);
        const byUsername = await app.request("GET", `/api/v1/users?username=${member.user.username}`, { token: admin.token });
        assert.deepEqual((byUsername.body.results as Json[]).map((r) => r.uuid), [member.uuid]);
        await app.request("PATCH", `/api/v1/users/${member.uuid}`, { token: admin.token, body: { is_active: false } });
        const inactive = await app.request("GET", "/api/v1/users?is_active=false&page_size=100", { token: admin.token });
        assert.ok((inactive.body.results as Json[]).some((r) => r.uuid === member.uuid));
        assert.ok((inactive.body.results as Json[]).every((r) => r.is_active === false));
      });

      it("refuses page_size over 100 and bad query values with 400", async () => {
        const admin = await signedIn(["admin"]);
        for (const query of ["page_size=101", "page=0", "ordering=password", "is_active=maybe"]) {
          const res = await app.request("GET", `/api/v1/users?${query}`, { token: admin.token });
          assert.equal(res.status, 400, query);
          assert.equal(res.body.code, "validation_failed");
        }
      });

      it("writes an audit line for administrative changes", async () => {
        const admin = await signedIn(["admin"]);
        const member = await signedIn();
        await app.request("PATCH", `/api/v1/users/${member.uuid}`, { token: admin.token, body: { is_active: false } });
        const line = app.logs().split("\n").find((l) => l.includes('"audit"') && l.includes(member.uuid));
        assert.ok(line, "an audit line names the target");
        const audit = (JSON.parse(line) as { audit: Json }).audit;
        assert.equal(audit.actor, admin.uuid);
        assert.equal(audit.action, "user.update");
        assert.deepEqual(audit.fields, ["is_active"]);
      });
    });

    it("makes one row out of 100 parallel first requests of one new sub", async () => {
      const admin = await signedIn(["admin"]);
      const user = issuer.newUser();
      const token = issuer.mint(user);
      const results = await Promise.all(Array.from({ length: 100 }, () => app.request("GET", "/api/v1/me", { token })));
      assert.ok(results.every((r) => r.status === 200));
      assert.equal(new Set(results.map((r) => r.body.uuid)).size, 1);
      const list = await app.request("GET", `/api/v1/users?username=${user.username}`, { token: admin.token });
      assert.equal(list.body.count, 1);
    });
  });
}
