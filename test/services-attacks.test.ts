// Attacks on services (issue 15), from the attacker review: /permissions/check against what the API
// enforces, what users.write may read and change, refused calls in metrics, configuration, and the
// ways a person could pass for a service.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../src/config.ts";
import { pglite } from "./support/databases.ts";
import { issuerAndServer, type Json } from "./support/server.ts";

const METRICS_TOKEN = "metrics-secret-for-review";
let unique = 0;
const name = (prefix: string) => `${prefix} review-${process.pid}-${++unique}`;

describe("review: services (issue 15)", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true,
    env: { COGNITO_TOKEN_USE: "any", COGNITO_SERVICE_CLIENT_IDS: "testservice1234567890abcd", METRICS_TOKEN },
  });
  const service = (...scopes: string[]) => issuer.mintService({ scopes: scopes.map((s) => `vrms-backend/${s}`) });

  async function signedIn(groups: string[] = []): Promise<{ token: string; uuid: string; sub: string }> {
    const user = issuer.newUser({ groups });
    const token = issuer.mint(user);
    const me = await app.request("GET", "/api/v1/me", { token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    return { token, uuid: me.body.uuid as string, sub: user.sub };
  }

  async function project(adminToken: string): Promise<string> {
    const res = await app.request("POST", "/api/v1/projects", { token: adminToken, body: { name: name("Project") } });
    assert.equal(res.status, 201);
    return res.body.uuid as string;
  }

  async function grant(adminToken: string, body: Json): Promise<void> {
    const res = await app.request("POST", "/api/v1/user-permissions", { token: adminToken, body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  const check = (token: string, body: Json) => app.request("POST", "/api/v1/permissions/check", { token, body });

  // ---------------------------------------------------------------- holes (expected to FAIL now)

  it("/permissions/check answers allowed:false for a deactivated account (the API refuses everything they do)", async () => {
    const admin = await signedIn(["admin"]);
    const lead = await signedIn();
    const P = await project(admin.token);
    await grant(admin.token, { user: lead.uuid, permission_type: "adminProject", project: P });
    const off = await app.request("PATCH", `/api/v1/users/${lead.uuid}`, { token: admin.token, body: { is_active: false } });
    assert.equal(off.status, 200);
    // The API: the deactivated lead may not edit P (nor do anything else).
    const edit = await app.request("PATCH", `/api/v1/projects/${P}`, { token: lead.token, body: { description: "x" } });
    assert.equal(edit.status, 403);
    assert.equal(edit.body.code, "account_disabled");
    // The question another app asks: "may this volunteer manage project P?"
    const answer = await check(service("permissions.read"), { user: lead.uuid, permission_type: "adminProject", project: P });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.allowed, false, `check says ${JSON.stringify(answer.body)} for a deactivated account`);
  });

  it("/permissions/check 'adminProject in P' agrees with the API for an adminProject of one practice area of P", async () => {
    const admin = await signedIn(["admin"]);
    const lead = await signedIn();
    const P = await project(admin.token);
    const area = await app.request("POST", "/api/v1/practice-areas", { token: admin.token, body: { name: name("Area") } });
    assert.equal(area.status, 201);
    await grant(admin.token, { user: lead.uuid, permission_type: "adminProject", project: P, practice_area: area.body.uuid });
    const edit = await app.request("PATCH", `/api/v1/projects/${P}`, { token: lead.token, body: { description: "x" } });
    const answer = await check(service("permissions.read"), { user: lead.uuid, permission_type: "adminProject", project: P });
    // Either both say yes or both say no; today the API refuses (mayEditProject needs a whole-project
    // adminProject) while check answers allowed: true.
    assert.equal(answer.body.allowed, edit.status === 200, `check ${JSON.stringify(answer.body)} vs PATCH /projects/P ${edit.status}`);
  });

  it("a service with users.write only (no users.read) reads every field of any user through PATCH {}", async () => {
    const victim = await signedIn();
    const writer = service("users.write");
    const read = await app.request("GET", `/api/v1/users/${victim.uuid}`, { token: writer });
    assert.equal(read.status, 403, "GET needs users.read");
    const res = await app.request("PATCH", `/api/v1/users/${victim.uuid}`, { token: writer, body: {} });
    assert.ok(
      res.status !== 200 || !("email" in res.body) || !("phone" in res.body),
      `users.write alone read the profile: ${JSON.stringify(Object.keys(res.body))}`,
    );
  });

  it("a service (which may never revoke adminGlobal) may not lock a global administrator out with users.write", async () => {
    const admin = await signedIn(["admin"]);
    const storedAdmin = await signedIn();
    await grant(admin.token, { user: storedAdmin.uuid, permission_type: "adminGlobal" });
    const writer = service("users.write");
    const failures: string[] = [];
    for (const [who, target] of [["group admin", admin], ["stored adminGlobal", storedAdmin]] as const) {
      const res = await app.request("PATCH", `/api/v1/users/${target.uuid}`, { token: writer, body: { is_active: false } });
      if (res.status === 200) {
        const locked = await app.request("GET", "/api/v1/me", { token: target.token });
        failures.push(`${who}: deactivated by a service (then /me → ${locked.status} ${String(locked.body.code)})`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it("a service's refused calls (not_a_user, missing scope) are counted under its client id in vrms_service_requests_total", async () => {
    await app.request("GET", "/api/v1/me", { token: service("users.read") });
    await app.request("POST", "/api/v1/projects", { token: service("users.read"), body: { name: name("Nope") } });
    const metrics = await app.request("GET", "/metrics", { token: METRICS_TOKEN });
    assert.match(metrics.text, /^vrms_service_requests_total\{client_id="testservice1234567890abcd",route="\/api\/v1\/me",status="403"\} [1-9]/m);
  });

  it("COGNITO_RESOURCE_SERVER accepts what Cognito accepts as an identifier (AWS's examples are URLs: slashes)", () => {
    const base = { COGNITO_USER_POOL_ID: "us-west-2_abc", COGNITO_CLIENT_IDS: "client1" };
    assert.doesNotThrow(() => loadConfig({ ...base, COGNITO_RESOURCE_SERVER: "https://api.vrms.example.org" }));
  });

  it("COGNITO_SERVICE_CLIENT_IDS with COGNITO_TOKEN_USE=id (every service token refused) stops the start", () => {
    const base = { COGNITO_USER_POOL_ID: "us-west-2_abc", COGNITO_CLIENT_IDS: "client1" };
    assert.throws(() => loadConfig({ ...base, COGNITO_TOKEN_USE: "id", COGNITO_SERVICE_CLIENT_IDS: "svc1" }), ConfigError);
  });

  // ---------------------------------------------------------------- what held (expected to PASS)

  it("a person's token carrying vrms-backend/* scopes (Hosted UI custom scopes) gets no service powers", async () => {
    const person = issuer.newUser();
    const scopes = "openid email vrms-backend/users.read vrms-backend/users.write vrms-backend/permissions.read vrms-backend/permissions.write";
    const token = issuer.mint(person, { claims: { scope: scopes } });
    assert.equal((await app.request("GET", "/api/v1/me", { token })).status, 200);
    assert.equal((await app.request("GET", "/api/v1/users", { token })).status, 403);
    assert.equal((await app.request("POST", "/api/v1/projects", { token, body: { name: name("X") } })).status, 403);
  });

  it("a person whose username equals the service client id is a person; a person with sub = client_id but a username is refused or a person", async () => {
    const person = issuer.newUser({ username: issuer.serviceClientId });
    const token = issuer.mint(person, { claims: { scope: "vrms-backend/users.read" } });
    assert.equal((await app.request("GET", "/api/v1/users", { token })).status, 403);
    const collided = issuer.mint(issuer.newUser({ sub: issuer.serviceClientId, username: "someone" }), { claims: { scope: "vrms-backend/users.read" } });
    const res = await app.request("GET", "/api/v1/users", { token: collided });
    assert.equal(res.status, 403);
  });

  it("a service with permissions.write grants/revokes neither adminGlobal nor adminVrms; scopes do not cross", async () => {
    const admin = await signedIn(["admin"]);
    const target = await signedIn();
    const made = await app.request("POST", "/api/v1/user-permissions", { token: admin.token, body: { user: target.uuid, permission_type: "adminVrms" } });
    assert.equal(made.status, 201);
    const writer = service("permissions.write");
    assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${made.body.uuid}`, { token: writer })).status, 403);
    for (const type of ["adminGlobal", "adminVrms"]) {
      assert.equal((await app.request("POST", "/api/v1/user-permissions", { token: writer, body: { user: target.uuid, permission_type: type } })).status, 403);
    }
    assert.equal((await app.request("GET", "/api/v1/user-permissions", { token: writer })).status, 403, "write without read");
    assert.equal((await app.request("DELETE", `/api/v1/users/${target.uuid}`, { token: service("users.write", "users.read") })).status, 403);
    assert.equal((await app.request("POST", `/api/v1/services/${issuer.serviceClientId}/sign-out`, { token: writer })).status, 403);
  });

  it("signing a service out does not touch users, a user's sign-out-everywhere does not touch services", async () => {
    const admin = await signedIn(["admin"]);
    const user = await signedIn();
    const svc = service("users.read");
    assert.equal((await app.request("GET", "/api/v1/users", { token: svc })).status, 200);
    assert.equal((await app.request("POST", `/api/v1/users/${user.uuid}/sign-out`, { token: admin.token })).status, 204);
    assert.equal((await app.request("GET", "/api/v1/users", { token: svc })).status, 200);
    assert.equal((await app.request("POST", "/api/v1/auth/logout", { token: svc })).status, 403);
    assert.equal((await app.request("GET", "/api/v1/me", { token: admin.token })).status, 200);
  });
});
