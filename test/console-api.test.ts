// What the /admin console needs of the API (issue 23), attacked: the person lookup (enumeration by
// partial strings, a lead looking up at speed), project managers adding project managers, and the
// last active adminGlobal (two administrators revoking each other at once).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DATABASE_KINDS, pglite, requires } from "./support/databases.ts";
import { people, uniqueName } from "./support/people.ts";
import { issuerAndServer, type Json } from "./support/server.ts";


describe("the person lookup and project managers adding project managers (issue 23)", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { COGNITO_TOKEN_USE: "any", COGNITO_GROUP_PERMISSIONS: "admin:adminGlobal,vrms:adminVrms" } });
  const { signedIn, grant, twoProjects } = people(issuer, app);

  async function world() {
    const { admin, P, Q, design } = await twoProjects();
    // The project manager's claims are kept: the lookup's limit is attacked with a fresh token per call.
    const pmUser = issuer.newUser();
    const pmToken = issuer.mint(pmUser);
    const pmMe = await app.request("GET", "/api/v1/me", { token: pmToken });
    const pm = { token: pmToken, uuid: pmMe.body.uuid as string, email: pmMe.body.email as string };
    const [areaPm, lead, member, newcomer] = [await signedIn(), await signedIn(), await signedIn(), await signedIn()];
    await grant(admin.token, { user: pm.uuid, permission_type: "adminProject", project: P });
    await grant(admin.token, { user: areaPm.uuid, permission_type: "adminProject", project: P, practice_area: design });
    await grant(admin.token, { user: lead.uuid, permission_type: "practiceLeadProject", project: P });
    await grant(admin.token, { user: member.uuid, permission_type: "memberProject", project: P });
    const handle = uniqueName("nc").replace(/[^a-z0-9]/gi, "x");
    assert.equal((await app.request("PATCH", "/api/v1/me", { token: newcomer.token, body: { github_handle: handle, first_name: "Nia", phone: "+12135550100" } })).status, 200);
    return { admin, P, Q, design, pm, pmUser, areaPm, lead, member, newcomer, handle };
  }

  const lookup = (token: string, query: Record<string, string>) => app.request("GET", `/api/v1/people/lookup?${new URLSearchParams(query)}`, { token });

  it("the project's adminProject finds a newcomer by exact email (any case) or handle, learning uuid and name only", async () => {
    const w = await world();
    const byEmail = await lookup(w.pm.token, { email: w.newcomer.email.toUpperCase(), project: w.P });
    assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
    assert.deepEqual(byEmail.body, { uuid: w.newcomer.uuid, first_name: "Nia", last_name: null });
    const byHandle = await lookup(w.pm.token, { github_handle: w.handle.toUpperCase(), project: w.P });
    assert.deepEqual(byHandle.body, byEmail.body);
    // Administrators look up without naming a project.
    assert.equal((await lookup(w.admin.token, { email: w.newcomer.email })).status, 200);
  });

  it("refuses everyone who may not add newcomers there, before reading anything", async () => {
    const w = await world();
    for (const [who, query] of [
      [w.lead, { email: w.newcomer.email, project: w.P }],
      [w.member, { email: w.newcomer.email, project: w.P }],
      [w.areaPm, { email: w.newcomer.email, project: w.P }],
      [w.pm, { email: w.newcomer.email, project: w.Q }],
      [w.pm, { email: w.newcomer.email }],
      [w.pm, { email: "nobody@example.org", project: w.Q }],
    ] as const) {
      const res = await lookup(who.token, query);
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.equal(res.body.code, "forbidden");
    }
  });

  it("enumeration by partial strings finds nobody: no prefix, wildcard or fragment matches", async () => {
    const w = await world();
    const [local, domain] = w.newcomer.email.split("@") as [string, string];
    const tries: Record<string, string>[] = [
      { email: `${local.slice(0, 4)}@${domain}` },
      { email: `${local.slice(0, 4)}%@${domain}` },
      { email: `${local.slice(0, 4)}_${local.slice(5)}@${domain}` },
      { email: `%@${domain}` },
      { email: `*@${domain}` },
      { email: local },
      { github_handle: w.handle.slice(0, 5) },
      { github_handle: `${w.handle.slice(0, 5)}%` },
      { github_handle: "" },
      { email: w.newcomer.email, github_handle: w.handle },
      {},
    ];
    for (const query of tries) {
      const res = await lookup(w.pm.token, { ...query, project: w.P });
      assert.ok([400, 404].includes(res.status), `${JSON.stringify(query)} → ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.uuid, undefined);
    }
  });

  it("a lead looking up at speed, with a fresh token each time, is stopped at 20 a minute: 429 with Retry-After", async () => {
    const w = await world();
    const statuses: number[] = [];
    // Each call with a fresh token of the same person: the limit is the person's, not the token's.
    for (let i = 0; i < 25; i++) statuses.push((await lookup(issuer.mint(w.pmUser), { email: `probe${i}@example.org`, project: w.P })).status);
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(404));
    assert.deepEqual(statuses.slice(20), Array(5).fill(429));
    const limited = await lookup(w.pm.token, { email: w.newcomer.email, project: w.P });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, "rate_limited");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    // Per caller: another project manager is not slowed by this one.
    assert.equal((await lookup(w.admin.token, { email: w.newcomer.email })).status, 200);
  });

  it("an adminProject of the whole project grants adminProject there, to a newcomer by email; may not revoke a fellow adminProject", async () => {
    const w = await world();
    const made = await grant(w.pm.token, { email: w.newcomer.email, permission_type: "adminProject", project: w.P });
    // The new project manager adds a third person, a member, by handle of someone signed in.
    const third = await signedIn();
    await grant(w.newcomer.token, { email: third.email, permission_type: "memberProject", project: w.P });
    // Not in another project, not as an adminProject of one area, not above adminProject.
    await grant(w.pm.token, { email: third.email, permission_type: "adminProject", project: w.Q }, 403);
    await grant(w.areaPm.token, { email: third.email, permission_type: "adminProject", project: w.P }, 403);
    await grant(w.pm.token, { email: third.email, permission_type: "adminBrigade" }, 403);
    // Revoking another adminProject stays with the global admin types.
    const revokeByPm = await app.request("DELETE", `/api/v1/user-permissions/${made.uuid as string}`, { token: w.pm.token });
    assert.equal(revokeByPm.status, 403, JSON.stringify(revokeByPm.body));
    assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${made.uuid as string}`, { token: w.admin.token })).status, 204);
    // permissions/check follows the routes: the pm may still edit P, the area pm may not.
    const check = (who: { token: string; uuid: string }) =>
      app.request("POST", "/api/v1/permissions/check", { token: who.token, body: { user: who.uuid, permission_type: "adminProject", project: w.P } });
    assert.equal((await check(w.pm)).body.allowed, true);
    assert.equal((await check(w.areaPm)).body.allowed, false);
  });

  it("GET /user-permissions?permission_type= lists who holds a type (the Admins view)", async () => {
    const w = await world();
    const held = await app.request("GET", `/api/v1/user-permissions?permission_type=adminProject&project=${w.P}`, { token: w.admin.token });
    assert.deepEqual(new Set((held.body.results as Json[]).map((g) => g.user)), new Set([w.pm.uuid, w.areaPm.uuid]));
    assert.equal((await app.request("GET", "/api/v1/user-permissions?permission_type=ruler", { token: w.admin.token })).status, 400);
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`the last active adminGlobal is kept, on ${kind.name} (issue 23)`, requires(kind), () => {
    const { issuer, app } = issuerAndServer(kind, { inject: true, env: { COGNITO_TOKEN_USE: "any", COGNITO_GROUP_PERMISSIONS: "admin:adminGlobal" } });
    const { signedIn, grant } = people(issuer, app);
    const adminGrantOf = async (token: string, user: string) =>
      ((await app.request("GET", `/api/v1/user-permissions?user=${user}&permission_type=adminGlobal`, { token })).body.results as Json[])[0]?.uuid as string | undefined;

    it("the last stored adminGlobal cannot be revoked, deactivated, deleted or signed out everywhere: 409 naming why; with a second, one can", async () => {
      // A group administrator (not counted: the server cannot tell who is in the group today) makes the first stored one.
      const root = await signedIn(["admin"]);
      const a = await signedIn();
      const made = await grant(root.token, { user: a.uuid, permission_type: "adminGlobal" });
      for (const [method, path, body] of [
        ["DELETE", `/api/v1/user-permissions/${made.uuid as string}`, undefined],
        ["PATCH", `/api/v1/users/${a.uuid}`, { is_active: false }],
        ["DELETE", `/api/v1/users/${a.uuid.toUpperCase()}`, undefined],
        ["POST", `/api/v1/users/${a.uuid}/sign-out`, undefined],
      ] as const) {
        for (const token of [root.token, a.token]) {
          const res = await app.request(method, path, { token, ...(body ? { body } : {}) });
          assert.equal(res.status, 409, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
          assert.equal(res.body.code, "conflict");
          assert.match(res.body.detail as string, /last one/);
        }
      }
      // Other changes to the last admin still go through.
      assert.equal((await app.request("PATCH", `/api/v1/users/${a.uuid}`, { token: a.token, body: { first_name: "Ada" } })).status, 200);
      const b = await signedIn();
      await grant(a.token, { user: b.uuid, permission_type: "adminGlobal" });
      assert.equal((await app.request("PATCH", `/api/v1/users/${b.uuid}`, { token: a.token, body: { is_active: false } })).status, 200);
      // b deactivated is no administrator: a is the last again.
      assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${made.uuid as string}`, { token: root.token })).status, 409);
      assert.equal((await app.request("PATCH", `/api/v1/users/${b.uuid}`, { token: a.token, body: { is_active: true } })).status, 200);
      assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${made.uuid as string}`, { token: root.token })).status, 204);
    });

    it("(9 rounds) two administrators revoking (or deactivating, or deleting) each other at once: exactly one wins, the other gets 409", async () => {
      const root = await signedIn(["admin"]);
      for (let round = 0; round < 9; round++) {
        // Everyone else's stored admin grants go first: these two are the only ones.
        const others = (await app.request("GET", "/api/v1/user-permissions?permission_type=adminGlobal&page_size=100", { token: root.token })).body.results as Json[];
        const [a, b] = [await signedIn(), await signedIn()];
        await grant(root.token, { user: a.uuid, permission_type: "adminGlobal" });
        await grant(root.token, { user: b.uuid, permission_type: "adminGlobal" });
        for (const g of others) assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${g.uuid as string}`, { token: root.token })).status, 204);
        const [ga, gb] = [(await adminGrantOf(root.token, a.uuid))!, (await adminGrantOf(root.token, b.uuid))!];
        // b revokes a's grant, deactivates a, or deletes a (the user and grants at once), while a revokes b's.
        const byB = [
          () => app.request("DELETE", `/api/v1/user-permissions/${ga}`, { token: b.token }),
          () => app.request("PATCH", `/api/v1/users/${a.uuid}`, { token: b.token, body: { is_active: false } }),
          () => app.request("DELETE", `/api/v1/users/${a.uuid}`, { token: b.token }),
        ][round % 3]!;
        const results = await Promise.all([app.request("DELETE", `/api/v1/user-permissions/${gb}`, { token: a.token }), byB()]);
        const statuses = results.map((r) => r.status);
        // The loser either met the lock (409), or came after the winner had committed and is no
        // administrator any more (PGlite serializes requests: 404 for a grant it may no longer see).
        const seen = `round ${round}: ${JSON.stringify(results.map((r) => [r.status, r.body]))}`;
        assert.equal(statuses.filter((s) => s < 300).length, 1, seen);
        assert.ok(statuses.every((s) => [200, 204, 409, 403, 404].includes(s)), seen);
        const remaining = ((await app.request("GET", "/api/v1/user-permissions?permission_type=adminGlobal&page_size=100", { token: root.token })).body.results as Json[]).map((g) => g.user);
        const activeHolders = [];
        for (const user of remaining) if ((await app.request("GET", `/api/v1/users/${user as string}`, { token: root.token })).body.is_active === true) activeHolders.push(user);
        assert.equal(activeHolders.length, 1, `round ${round}: one active adminGlobal left`);
      }
    });
  });
}
