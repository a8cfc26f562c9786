// Apps calling as themselves (issue 15): Cognito-shaped client-credentials tokens from the test
// issuer, through the real server on PGlite and PostgreSQL. Every route × (a service with each
// scope, with none, an unlisted client, people), the tokens that must not pass, revocation on one
// and two instances, /permissions/check, and what audit lines and metrics say.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DATABASE_KINDS, requires } from "./support/databases.ts";
import { issuerAndServer, serverForDescribe, type Json, type TestServer } from "./support/server.ts";

const SCOPES = ["users.read", "users.write", "permissions.read", "permissions.write"] as const;
type Scope = (typeof SCOPES)[number];
const CALLERS = [...SCOPES.map((s) => `service with ${s}` as const), "service with no scope", "unlisted client", "administrator", "member"] as const;
type Caller = (typeof CALLERS)[number];

const METRICS_TOKEN = "metrics-secret-for-services-test";

interface World {
  admin: { token: string; uuid: string };
  member: { token: string; uuid: string };
  P: string;
  /** The member's memberProject grant in P. */
  grant: string;
  newcomer: string;
}

let unique = 0;
const name = (prefix: string) => `${prefix} ${process.pid}-${++unique}`;

for (const kind of DATABASE_KINDS) {
  describe(`services on ${kind.name}`, requires(kind), () => {
    const env = (issuerId: string) => ({ COGNITO_TOKEN_USE: "any", COGNITO_SERVICE_CLIENT_IDS: issuerId, METRICS_TOKEN });
    // A second listed service, for the matrix's sign-out row: signing out the first would refuse the
    // tokens every later cell mints within the same second.
    const OTHER_SERVICE = "otherservice000000000000";
    const { issuer, app } = issuerAndServer(kind, { inject: true, env: env(`testservice1234567890abcd,${OTHER_SERVICE}`) });
    const service = (...scopes: Scope[]) => issuer.mintService({ scopes: scopes.map((s) => `vrms-backend/${s}`) });

    async function signedIn(groups: string[] = [], on: TestServer = app): Promise<{ token: string; uuid: string }> {
      const token = issuer.mint(issuer.newUser({ groups }));
      const me = await on.request("GET", "/api/v1/me", { token });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      return { token, uuid: me.body.uuid as string };
    }

    async function world(): Promise<World> {
      const [admin, member, newcomer] = await Promise.all([signedIn(["admin"]), signedIn(), signedIn()]);
      const P = (await app.request("POST", "/api/v1/projects", { token: admin.token, body: { name: name("Project") } })).body.uuid as string;
      const made = await app.request("POST", "/api/v1/user-permissions", { token: admin.token, body: { user: member.uuid, permission_type: "memberProject", project: P } });
      assert.equal(made.status, 201);
      return { admin, member, P, grant: made.body.uuid as string, newcomer: newcomer.uuid };
    }

    function tokenOf(caller: Caller, w: World): string {
      if (caller === "administrator") return w.admin.token;
      if (caller === "member") return w.member.token;
      if (caller === "service with no scope") return service();
      if (caller === "unlisted client") return issuer.mintService({ clientId: "unlistedclient0000000000", scopes: SCOPES.map((s) => `vrms-backend/${s}`) });
      return service(caller.replace("service with ", "") as Scope);
    }

    describe("route × caller matrix", () => {
      interface Row {
        route: string;
        method: string;
        path: (w: World) => string;
        body?: (w: World) => Json;
        /** The scope a service needs; absent: people only. */
        scope?: Scope;
        /** What success is, and what the member gets (their rights as a person). */
        ok: number;
        member: number;
        fresh?: true;
      }
      const rows: Row[] = [
        { route: "GET /api/v1/me", method: "GET", path: () => "/api/v1/me", ok: 200, member: 200 },
        { route: "PATCH /api/v1/me", method: "PATCH", path: () => "/api/v1/me", body: () => ({ first_name: "Ada" }), ok: 200, member: 200 },
        { route: "GET /api/v1/users", method: "GET", path: () => "/api/v1/users", scope: "users.read", ok: 200, member: 403 },
        { route: "GET /api/v1/users/{member}", method: "GET", path: (w) => `/api/v1/users/${w.member.uuid}`, scope: "users.read", ok: 200, member: 200 },
        { route: "PATCH /api/v1/users/{member}", method: "PATCH", path: (w) => `/api/v1/users/${w.member.uuid}`, body: () => ({ last_name: "Quinn" }), scope: "users.write", ok: 200, member: 200 },
        { route: "DELETE /api/v1/users/{member}", method: "DELETE", path: (w) => `/api/v1/users/${w.member.uuid}`, ok: 204, member: 403, fresh: true },
        { route: "POST /api/v1/users/{member}/sign-out", method: "POST", path: (w) => `/api/v1/users/${w.member.uuid}/sign-out`, ok: 204, member: 403, fresh: true },
        { route: "POST /api/v1/services/{id}/sign-out", method: "POST", path: () => `/api/v1/services/${OTHER_SERVICE}/sign-out`, ok: 204, member: 403, fresh: true },
        { route: "GET /api/v1/permission-types", method: "GET", path: () => "/api/v1/permission-types", scope: "permissions.read", ok: 200, member: 200 },
        { route: "GET /api/v1/field-permissions", method: "GET", path: () => "/api/v1/field-permissions", scope: "permissions.read", ok: 200, member: 200 },
        { route: "GET /api/v1/projects", method: "GET", path: () => "/api/v1/projects", scope: "permissions.read", ok: 200, member: 200 },
        { route: "POST /api/v1/projects", method: "POST", path: () => "/api/v1/projects", body: () => ({ name: name("New") }), scope: "permissions.write", ok: 201, member: 403 },
        { route: "GET /api/v1/projects/{P}", method: "GET", path: (w) => `/api/v1/projects/${w.P}`, scope: "permissions.read", ok: 200, member: 200 },
        { route: "PATCH /api/v1/projects/{P}", method: "PATCH", path: (w) => `/api/v1/projects/${w.P}`, body: () => ({ description: "x" }), scope: "permissions.write", ok: 200, member: 403 },
        { route: "DELETE /api/v1/projects/{P}", method: "DELETE", path: (w) => `/api/v1/projects/${w.P}`, scope: "permissions.write", ok: 204, member: 403, fresh: true },
        { route: "GET /api/v1/projects/{P}/members", method: "GET", path: (w) => `/api/v1/projects/${w.P}/members`, scope: "permissions.read", ok: 200, member: 200 },
        { route: "GET /api/v1/practice-areas", method: "GET", path: () => "/api/v1/practice-areas", scope: "permissions.read", ok: 200, member: 200 },
        { route: "POST /api/v1/practice-areas", method: "POST", path: () => "/api/v1/practice-areas", body: () => ({ name: name("Area") }), scope: "permissions.write", ok: 201, member: 403 },
        { route: "GET /api/v1/user-permissions", method: "GET", path: () => "/api/v1/user-permissions", scope: "permissions.read", ok: 200, member: 200 },
        { route: "POST /api/v1/user-permissions", method: "POST", path: () => "/api/v1/user-permissions", body: (w) => ({ user: w.newcomer, permission_type: "memberProject", project: w.P }),
          scope: "permissions.write", ok: 201, member: 403, fresh: true },
        { route: "DELETE /api/v1/user-permissions/{grant}", method: "DELETE", path: (w) => `/api/v1/user-permissions/${w.grant}`, scope: "permissions.write", ok: 204, member: 403, fresh: true },
        { route: "GET /api/v1/permission-history", method: "GET", path: () => "/api/v1/permission-history", scope: "permissions.read", ok: 200, member: 200 },
        { route: "POST /api/v1/permissions/check (about the member)", method: "POST", path: () => "/api/v1/permissions/check",
          body: (w) => ({ user: w.member.uuid, permission_type: "memberProject", project: w.P }), scope: "permissions.read", ok: 200, member: 200 },
        { route: "POST /api/v1/auth/logout", method: "POST", path: () => "/api/v1/auth/logout", ok: 204, member: 204, fresh: true },
      ];

      function expected(row: Row, caller: Caller): { status: number; code?: string } {
        if (caller === "unlisted client") return { status: 401, code: "token_wrong_audience" };
        if (caller === "administrator") return { status: row.route === "POST /api/v1/permissions/check (about the member)" ? 403 : row.ok };
        if (caller === "member") return { status: row.member };
        if (!row.scope) return { status: 403, code: "not_a_user" };
        return caller === `service with ${row.scope}` ? { status: row.ok } : { status: 403, code: "forbidden" };
      }

      it("answers every route × caller as the services issue says", async () => {
        const failures: string[] = [];
        for (const row of rows) {
          let shared: World | undefined;
          for (const caller of CALLERS) {
            const w = row.fresh ? await world() : (shared ??= await world());
            const res = await app.request(row.method, row.path(w), { token: tokenOf(caller, w), ...(row.body ? { body: row.body(w) } : {}) });
            const want = expected(row, caller);
            const where = `${row.route} as ${caller}`;
            if (res.status !== want.status) failures.push(`${where}: ${res.status} (expected ${want.status}) ${JSON.stringify(res.body)}`);
            else if (want.code && res.body.code !== want.code) failures.push(`${where}: code ${String(res.body.code)} (expected ${want.code})`);
            else if (want.code === "forbidden" && caller.startsWith("service")) {
              const challenge = res.headers.get("www-authenticate") ?? "";
              if (!challenge.includes(`error="insufficient_scope", scope="vrms-backend/${row.scope!}"`)) failures.push(`${where}: challenge ${challenge}`);
            }
          }
        }
        assert.deepEqual(failures, []);
      });
    });

    describe("tokens that must not pass as a service", () => {
      it("a service token with a username injected, a user token from the service client, an id token of it, a service-shaped token of the users' client", async () => {
        const cases: [string, string, string][] = [
          ["username injected", issuer.mintService({ scopes: ["vrms-backend/users.read"], claims: { username: "admin" } }), "token_invalid"],
          ["a user's token from the service client", issuer.mint(issuer.newUser(), { claims: { client_id: issuer.serviceClientId } }), "token_invalid"],
          ["an id token of the service client", issuer.mint(issuer.newUser(), { use: "id", claims: { aud: issuer.serviceClientId } }), "token_wrong_use"],
          ["a client-credentials token of the users' client", issuer.mintService({ clientId: issuer.clientId, scopes: ["vrms-backend/users.read"] }), "token_wrong_audience"],
          ["sub other than the client", issuer.mintService({ scopes: ["vrms-backend/users.read"], claims: { sub: "someone-else" } }), "token_invalid"],
          ["expired", issuer.mintService({ scopes: ["vrms-backend/users.read"], claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }), "token_expired"],
        ];
        for (const [what, token, code] of cases) {
          const res = await app.request("GET", "/api/v1/users", { token });
          assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.code, code, what);
        }
      });

      it("a service is never a user: /me creates no profile for it", async () => {
        const res = await app.request("GET", "/api/v1/me", { token: service(...SCOPES) });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, "not_a_user");
        const w = await world();
        const found = await app.request("GET", `/api/v1/users?cognito_sub=${issuer.serviceClientId}`, { token: w.admin.token });
        assert.equal(found.body.count, 0);
      });
    });

    describe("what a service may do", () => {
      it("looks users up by exact email (any case) and Cognito sub", async () => {
        const user = issuer.newUser();
        const token = issuer.mint(user, { use: "id" });
        const me = await app.request("GET", "/api/v1/me", { token });
        const reader = service("users.read");
        const byEmail = await app.request("GET", `/api/v1/users?email=${encodeURIComponent(user.email.toUpperCase())}`, { token: reader });
        assert.deepEqual((byEmail.body.results as Json[]).map((u) => u.uuid), [me.body.uuid]);
        const bySub = await app.request("GET", `/api/v1/users?cognito_sub=${user.sub}`, { token: reader });
        assert.deepEqual((bySub.body.results as Json[]).map((u) => u.uuid), [me.body.uuid]);
        assert.equal((bySub.body.results as Json[])[0]!.email, user.email, "users.read reads every field");
      });

      it("grants as adminVrms does: adminBrigade yes, adminVrms and adminGlobal no; audit and history name the service", async () => {
        const w = await world();
        const writer = service("permissions.write");
        for (const type of ["adminGlobal", "adminVrms"]) {
          const res = await app.request("POST", "/api/v1/user-permissions", { token: writer, body: { user: w.newcomer, permission_type: type } });
          assert.equal(res.status, 403, type);
        }
        const made = await app.request("POST", "/api/v1/user-permissions", { token: writer, body: { user: w.newcomer, permission_type: "adminBrigade" } });
        assert.equal(made.status, 201);
        assert.equal(made.body.granted_by, null);
        const history = await app.request("GET", `/api/v1/permission-history?user=${w.newcomer}`, { token: w.admin.token });
        assert.equal((history.body.results as Json[])[0]!.actor, `service:${issuer.serviceClientId}`);
        const line = app.logs().split("\n").find((l) => l.includes('"permission.grant"') && l.includes(w.newcomer));
        assert.equal((JSON.parse(line!) as { audit: Json }).audit.actor, `service:${issuer.serviceClientId}`);
        const metrics = await app.request("GET", "/metrics", { token: METRICS_TOKEN });
        assert.match(metrics.text, new RegExp(`^vrms_service_requests_total\\{client_id="${issuer.serviceClientId}",route="/api/v1/user-permissions",status="201"\\} [1-9]`, "m"));
      });

      it("/permissions/check: a service asks about anyone, a person about themself (group permissions included)", async () => {
        const w = await world();
        const asker = service("permissions.read");
        const ask = (token: string, body: Json) => app.request("POST", "/api/v1/permissions/check", { token, body });
        const member = await ask(asker, { user: w.member.uuid, permission_type: "memberProject", project: w.P });
        assert.equal(member.body.allowed, true);
        assert.equal(((member.body.via as Json[])[0]!).uuid, w.grant);
        const lead = await ask(asker, { user: w.member.uuid, permission_type: "adminProject", project: w.P });
        assert.deepEqual(lead.body, { allowed: false, via: [] });
        const elsewhere = await ask(asker, { user: w.member.uuid, permission_type: "memberProject", project: "00000000-0000-4000-8000-000000000000" });
        assert.equal(elsewhere.body.allowed, false);
        // The administrator's adminGlobal comes from their token's group: they see it, a service cannot.
        const self = await ask(w.admin.token, { user: w.admin.uuid, permission_type: "adminProject", project: w.P });
        assert.equal(self.body.allowed, true);
        assert.equal(((self.body.via as Json[])[0]!).cognito_group, "admin");
        assert.equal((await ask(asker, { user: w.admin.uuid, permission_type: "adminProject", project: w.P })).body.allowed, false);
        assert.equal((await ask(w.member.token, { user: w.admin.uuid, permission_type: "adminGlobal" })).status, 403);
        assert.equal((await ask(asker, { user: w.member.uuid, permission_type: "memberProject" })).status, 400);
        // An unknown user is 404 only to a service that may read users; to others, a "no" like any (issue 29).
        const unknown = { user: "00000000-0000-4000-8000-000000000000", permission_type: "memberGeneral" };
        assert.deepEqual((await ask(asker, unknown)).body, { allowed: false, via: [] });
        assert.equal((await ask(service("permissions.read", "users.read"), unknown)).status, 404);
      });
    });

    describe("signing a service out", () => {
      it("refuses every token it got before, cached ones included; a later token works; an unknown client is 404", async () => {
        const w = await world();
        const before = service("users.read");
        assert.equal((await app.request("GET", "/api/v1/users", { token: before })).status, 200, "used once: now in the verified-token cache");
        assert.equal((await app.request("POST", `/api/v1/services/${issuer.serviceClientId}/sign-out`, { token: w.admin.token })).status, 204);
        const refused = await app.request("GET", "/api/v1/users", { token: before });
        assert.equal(refused.status, 401);
        assert.equal(refused.body.code, "token_revoked");
        // Cognito's auth_time has second precision: a token got in a later second is a new sign-in.
        await new Promise((r) => setTimeout(r, 1100));
        assert.equal((await app.request("GET", "/api/v1/users", { token: service("users.read") })).status, 200);
        assert.equal((await app.request("POST", "/api/v1/services/nosuchclient/sign-out", { token: w.admin.token })).status, 404);
      });

      if (kind.name === "postgres") {
        describe("on a second instance", () => {
          const second = serverForDescribe(issuer, kind, { inject: true, env: env(`testservice1234567890abcd,${OTHER_SERVICE}`), shareDatabaseOf: () => app });

          it("refuses the service's earlier tokens within a second of the sign-out on the first", async () => {
            const w = await world();
            const token = service("users.read");
            assert.equal((await second.request("GET", "/api/v1/users", { token })).status, 200);
            assert.equal((await app.request("POST", `/api/v1/services/${issuer.serviceClientId}/sign-out`, { token: w.admin.token })).status, 204);
            const start = performance.now();
            let status = 200;
            while (status !== 401 && performance.now() - start < 3000) {
              status = (await second.request("GET", "/api/v1/users", { token })).status;
              if (status !== 401) await new Promise((r) => setTimeout(r, 20));
            }
            const elapsed = performance.now() - start;
            assert.equal(status, 401);
            assert.ok(elapsed <= 1100, `seen after ${elapsed.toFixed(0)} ms`);
          });
        });
      }
    });
  });
}
