// Permissions as PeopleDepot models them, through the real server on PGlite and PostgreSQL: every
// route × every persona (generated from the personas' relationships, not copied per case), grant
// escalation, revocation, history, the Cognito group mapping, and the grant cache on one and on
// two instances.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asc } from "drizzle-orm";
import { permissionTypes } from "../src/permissions/tables.ts";
import { PERMISSION_TYPES } from "../src/authz/permission-types.ts";
import { DATABASE_KINDS, requires, openTestDatabase } from "./support/databases.ts";
import { people } from "./support/people.ts";
import { issuerAndServer, serverForDescribe, type Json } from "./support/server.ts";

const PERSONAS = ["globalAdmin", "projectAdminP", "practiceLeadP", "memberP", "memberQ", "noPermission", "self"] as const;
type Persona = (typeof PERSONAS)[number];

// The oracle for user reads, written out here rather than read from src/authz/field-permissions.ts.
const MEMBER_FIELDS = [
  "uuid", "username", "first_name", "last_name", "time_zone", "linkedin_account", "github_handle", "slack_member_id",
  "current_job_title", "target_job_title", "current_skills", "target_skills",
];
const ALL_FIELDS = [
  ...MEMBER_FIELDS, "email", "email_verified", "preferred_email", "gmail", "phone", "texting_ok", "is_active", "last_login", "created_at", "updated_at",
];
const LEAD_FIELDS = ALL_FIELDS;

/** What each persona is to the target user T (a memberProject of P). */
const TO_TARGET: Record<Persona, "all" | "lead" | "member" | "none"> = {
  globalAdmin: "all", projectAdminP: "lead", practiceLeadP: "lead", memberP: "member", memberQ: "none", noPermission: "none", self: "all",
};

interface World {
  admin: { token: string; uuid: string };
  P: string;
  Q: string;
  tokens: Record<Persona, string>;
  uuids: Record<Persona, string>;
  /** T's memberProject grant in P. */
  targetGrant: string;
  /** A fresh user holding nothing. */
  newcomer: string;
  /** Their (verified) email: how the project's adminProject names a newcomer. */
  newcomerEmail: string;
}

let unique = 0;
const name = (prefix: string) => `${prefix} ${process.pid}-${++unique}`;

for (const kind of DATABASE_KINDS) {
  describe(`permissions on ${kind.name}`, requires(kind), () => {
    const { issuer, app } = issuerAndServer(kind, { inject: true, env: { COGNITO_TOKEN_USE: "any", COGNITO_GROUP_PERMISSIONS: "admin:adminGlobal,vrms:adminVrms" } });

    const { signedIn, grant } = people(issuer, app);

    async function world(): Promise<World> {
      const admin = await signedIn(["admin"]);
      const project = async () => (await app.request("POST", "/api/v1/projects", { token: admin.token, body: { name: name("Project") } })).body.uuid as string;
      const [P, Q] = [await project(), await project()];
      const people = {} as Record<Persona, { token: string; uuid: string }>;
      const signed = await Promise.all(PERSONAS.map((persona) => (persona === "globalAdmin" ? admin : signedIn())));
      PERSONAS.forEach((persona, i) => (people[persona] = signed[i]!));
      await grant(admin.token, { user: people.projectAdminP.uuid, permission_type: "adminProject", project: P });
      await grant(admin.token, { user: people.practiceLeadP.uuid, permission_type: "practiceLeadProject", project: P });
      await grant(admin.token, { user: people.memberP.uuid, permission_type: "memberProject", project: P });
      await grant(admin.token, { user: people.memberQ.uuid, permission_type: "memberProject", project: Q });
      const targetGrant = (await grant(admin.token, { user: people.self.uuid, permission_type: "memberProject", project: P })).uuid as string;
      const { uuid: newcomer, email: newcomerEmail } = await signedIn();
      const pick = <K extends "token" | "uuid">(k: K) => Object.fromEntries(PERSONAS.map((p) => [p, people[p][k]])) as Record<Persona, string>;
      return { admin, P, Q, tokens: pick("token"), uuids: pick("uuid"), targetGrant, newcomer, newcomerEmail };
    }

    it("serves the seeded permission types, as the migration stored them, and the field table with every profile field", async () => {
      const test = await kind.create();
      const database = await openTestDatabase(test);
      try {
        for (let i = 0; i < 100 && !database.migrated; i++) await new Promise((r) => setTimeout(r, 50));
        const stored = await database.db.select().from(permissionTypes).orderBy(asc(permissionTypes.rank));
        assert.deepEqual(stored, PERMISSION_TYPES.map((t) => ({ ...t })));
      } finally {
        await database.close();
        await test.drop();
      }
      const w = await signedIn();
      const served = await app.request<Json[]>("GET", "/api/v1/permission-types", { token: w.token });
      assert.deepEqual(served.body.map((t) => [t.name, t.rank, t.scope]), PERMISSION_TYPES.map((t) => [t.name, t.rank, t.scope]));
      const fields = await app.request("GET", "/api/v1/field-permissions", { token: w.token });
      assert.deepEqual(fields.body.relationships, ["adminGlobal", "self", "projectLead", "projectMember", "none"]);
      assert.deepEqual((fields.body.fields as Json[]).map((f) => f.field).sort(), [...ALL_FIELDS].sort());
      assert.deepEqual((fields.body.fields as Json[]).find((f) => f.field === "is_active"), { field: "is_active", read: "projectLead", write: "adminGlobal" });
    });

    describe("route × persona matrix", () => {
      interface Row {
        route: string;
        method: string;
        path: (w: World) => string;
        body?: (w: World) => Json;
        expect: (persona: Persona) => number;
        /** For user reads: the exact field set the persona must see. */
        fields?: (persona: Persona) => string[];
        /** The request changes the world for the next persona (a DELETE, a grant): a fresh world for every cell. */
        fresh?: true;
      }
      const everyone = () => 200;
      const only = (allowed: Persona[], yes: number, no: number) => (p: Persona) => (allowed.includes(p) ? yes : no);
      const byRelation = (codes: Record<"all" | "lead" | "member" | "none", number>, selfCode?: number) => (p: Persona) =>
        p === "self" && selfCode !== undefined ? selfCode : codes[TO_TARGET[p]];
      const fieldsOf = (p: Persona) => ({ all: ALL_FIELDS, lead: LEAD_FIELDS, member: MEMBER_FIELDS, none: [] })[TO_TARGET[p]];
      const inP: Persona[] = ["globalAdmin", "projectAdminP", "practiceLeadP", "memberP", "self"];
      const leads: Persona[] = ["globalAdmin", "projectAdminP", "practiceLeadP"];

      const rows: Row[] = [
        { route: "GET /api/v1/me", method: "GET", path: () => "/api/v1/me", expect: everyone },
        { route: "GET /api/v1/permission-types", method: "GET", path: () => "/api/v1/permission-types", expect: everyone },
        { route: "GET /api/v1/field-permissions", method: "GET", path: () => "/api/v1/field-permissions", expect: everyone },
        { route: "GET /api/v1/projects", method: "GET", path: () => "/api/v1/projects", expect: everyone },
        { route: "POST /api/v1/projects", method: "POST", path: () => "/api/v1/projects", body: () => ({ name: name("New") }), expect: only(["globalAdmin"], 201, 403) },
        { route: "GET /api/v1/projects/{P}", method: "GET", path: (w) => `/api/v1/projects/${w.P}`, expect: everyone },
        { route: "PATCH /api/v1/projects/{P}", method: "PATCH", path: (w) => `/api/v1/projects/${w.P}`, body: () => ({ description: "Edited" }),
          expect: only(["globalAdmin", "projectAdminP"], 200, 403) },
        { route: "DELETE /api/v1/projects/{P}", method: "DELETE", path: (w) => `/api/v1/projects/${w.P}`, expect: only(["globalAdmin"], 204, 403), fresh: true },
        { route: "GET /api/v1/projects/{P}/members", method: "GET", path: (w) => `/api/v1/projects/${w.P}/members`, expect: only(inP, 200, 403) },
        { route: "GET /api/v1/practice-areas", method: "GET", path: () => "/api/v1/practice-areas", expect: everyone },
        { route: "POST /api/v1/practice-areas", method: "POST", path: () => "/api/v1/practice-areas", body: () => ({ name: name("Area") }),
          expect: only(["globalAdmin"], 201, 403) },
        { route: "GET /api/v1/user-permissions", method: "GET", path: () => "/api/v1/user-permissions", expect: everyone },
        { route: "GET /api/v1/permission-history", method: "GET", path: () => "/api/v1/permission-history", expect: everyone },
        { route: "POST /api/v1/user-permissions (memberProject in P to a newcomer, named by email)", method: "POST", path: () => "/api/v1/user-permissions",
          body: (w) => ({ email: w.newcomerEmail, permission_type: "memberProject", project: w.P }), expect: only(["globalAdmin", "projectAdminP"], 201, 403), fresh: true },
        // A practice lead grants only to people they already lead (a newcomer is for the adminProject to add).
        { route: "POST /api/v1/user-permissions (practiceLeadJrProject in P to a member of P)", method: "POST", path: () => "/api/v1/user-permissions",
          body: (w) => ({ user: w.uuids.memberP, permission_type: "practiceLeadJrProject", project: w.P }), expect: only(leads, 201, 403), fresh: true },
        // T's own grant: T sees it but holds no power over it (403); members of P and outsiders do not see it (404).
        { route: "DELETE /api/v1/user-permissions/{T's grant}", method: "DELETE", path: (w) => `/api/v1/user-permissions/${w.targetGrant}`,
          expect: (p) => (leads.includes(p) ? 204 : p === "self" ? 403 : 404), fresh: true },
        { route: "GET /api/v1/users", method: "GET", path: () => "/api/v1/users", expect: only(leads, 200, 403) },
        { route: "GET /api/v1/users/{T}", method: "GET", path: (w) => `/api/v1/users/${w.uuids.self}`,
          expect: byRelation({ all: 200, lead: 200, member: 200, none: 404 }), fields: fieldsOf },
        { route: "PATCH /api/v1/users/{T} last_name", method: "PATCH", path: (w) => `/api/v1/users/${w.uuids.self}`, body: () => ({ last_name: "Quinn" }),
          expect: byRelation({ all: 200, lead: 400, member: 400, none: 404 }), fields: fieldsOf },
        { route: "PATCH /api/v1/users/{T} is_active", method: "PATCH", path: (w) => `/api/v1/users/${w.uuids.self}`, body: () => ({ is_active: true }),
          expect: byRelation({ all: 200, lead: 400, member: 400, none: 404 }, 400), fields: fieldsOf },
        { route: "DELETE /api/v1/users/{T}", method: "DELETE", path: (w) => `/api/v1/users/${w.uuids.self}`,
          expect: byRelation({ all: 204, lead: 403, member: 403, none: 404 }, 403), fresh: true },
      ];

      it("answers every route × persona as the permissions issue says, with exactly the readable fields", async () => {
        const failures: string[] = [];
        for (const row of rows) {
          let shared: World | undefined;
          for (const persona of PERSONAS) {
            // A DELETE or a grant in one cell must never leak into another: those rows get a world per cell.
            const w = row.fresh ? await world() : (shared ??= await world());
            const res = await app.request(row.method, row.path(w), { token: w.tokens[persona], ...(row.body ? { body: row.body(w) } : {}) });
            const expected = row.expect(persona);
            const where = `${row.route} as ${persona}`;
            if (res.status !== expected) {
              failures.push(`${where}: ${res.status} (expected ${expected}) ${JSON.stringify(res.body)}`);
              continue;
            }
            if (res.status >= 400) {
              if (typeof res.body.code !== "string") failures.push(`${where}: no problem body`);
              if (res.status === 403 && !res.headers.get("www-authenticate")?.includes('error="insufficient_scope"')) failures.push(`${where}: 403 without insufficient_scope`);
              if (res.status === 400 && !(res.body.errors as Json[] | undefined)?.length) failures.push(`${where}: 400 naming no field`);
            }
            if (row.fields && res.status === 200) {
              const seen = Object.keys(res.body).sort();
              const want = [...row.fields(persona)].sort();
              if (JSON.stringify(seen) !== JSON.stringify(want)) failures.push(`${where}: fields ${seen.join(",")} (expected ${want.join(",")})`);
            }
          }
        }
        assert.deepEqual(failures, []);
      });

      it("lists to a project lead exactly the members of the projects they lead, with lead fields; ?project= outside them is 403", async () => {
        const w = await world();
        const res = await app.request("GET", "/api/v1/users?page_size=100", { token: w.tokens.projectAdminP });
        assert.equal(res.status, 200);
        const listed = (res.body.results as Json[]).map((u) => u.uuid).sort();
        const inP = [w.uuids.projectAdminP, w.uuids.practiceLeadP, w.uuids.memberP, w.uuids.self].sort();
        assert.deepEqual(listed, inP);
        assert.equal(res.body.count, 4);
        const other = (res.body.results as Json[]).find((u) => u.uuid === w.uuids.memberP)!;
        assert.deepEqual(Object.keys(other).sort(), [...LEAD_FIELDS].sort());
        assert.equal((await app.request("GET", `/api/v1/users?project=${w.P}`, { token: w.tokens.practiceLeadP })).body.count, 4);
        const outside = await app.request("GET", `/api/v1/users?project=${w.Q}`, { token: w.tokens.projectAdminP });
        assert.equal(outside.status, 403);
        const admin = await app.request("GET", `/api/v1/users?project=${w.Q}`, { token: w.admin.token });
        assert.deepEqual((admin.body.results as Json[]).map((u) => u.uuid), [w.uuids.memberQ]);
      });

      it("shows a project's members with their permissions there, each with the fields the caller may read", async () => {
        const w = await world();
        const res = await app.request<Json[]>("GET", `/api/v1/projects/${w.P}/members`, { token: w.tokens.memberP });
        assert.equal(res.status, 200);
        const byUser = new Map(res.body.map((m) => [(m.user as Json).uuid, m]));
        assert.deepEqual([...byUser.keys()].sort(), [w.uuids.projectAdminP, w.uuids.practiceLeadP, w.uuids.memberP, w.uuids.self].sort());
        assert.deepEqual(((byUser.get(w.uuids.projectAdminP)!.permissions as Json[])[0]!).permission_type, "adminProject");
        assert.deepEqual(Object.keys(byUser.get(w.uuids.self)!.user as Json).sort(), [...MEMBER_FIELDS].sort());
        assert.deepEqual(Object.keys(byUser.get(w.uuids.memberP)!.user as Json).sort(), [...ALL_FIELDS].sort(), "the caller sees all of themself");
      });
    });

    describe("granting and revoking", () => {
      it("refuses every escalation: own rank, higher, another project, a global type, another practice area", async () => {
        const w = await world();
        const areas = (await app.request<Json[]>("GET", "/api/v1/practice-areas", { token: w.admin.token })).body;
        const [design, development] = [areas.find((a) => a.name === "Design")!.uuid, areas.find((a) => a.name === "Development")!.uuid];
        const designLead = await signedIn();
        await grant(w.admin.token, { user: designLead.uuid, permission_type: "practiceLeadProject", project: w.P, practice_area: design });
        const attempts: [string, string, Json][] = [
          ["projectAdminP", "own rank", { permission_type: "adminProject", project: w.P }],
          ["projectAdminP", "a global type above", { permission_type: "adminBrigade" }],
          ["projectAdminP", "a global type below (outside the project)", { permission_type: "memberGeneral" }],
          ["projectAdminP", "another project", { permission_type: "memberProject", project: w.Q }],
          ["practiceLeadP", "own rank", { permission_type: "practiceLeadProject", project: w.P }],
          ["practiceLeadP", "higher", { permission_type: "adminProject", project: w.P }],
          ["memberP", "own rank", { permission_type: "memberProject", project: w.P }],
          ["noPermission", "anything", { permission_type: "memberProject", project: w.P }],
          ["designLead", "another practice area", { permission_type: "memberProject", project: w.P, practice_area: development }],
          ["designLead", "no practice area (the whole project)", { permission_type: "memberProject", project: w.P }],
        ];
        for (const [who, what, body] of attempts) {
          const token = who === "designLead" ? designLead.token : w.tokens[who as Persona];
          const res = await app.request("POST", "/api/v1/user-permissions", { token, body: { user: w.newcomer, ...body } });
          assert.equal(res.status, 403, `${who}, ${what}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.code, "forbidden");
        }
        // What they may do, they can: strictly lower, in scope, to people they lead (the adminProject adds newcomers).
        await grant(w.tokens.projectAdminP, { email: w.newcomerEmail, permission_type: "memberProject", project: w.P, practice_area: design });
        await grant(designLead.token, { user: w.newcomer, permission_type: "practiceLeadJrProject", project: w.P, practice_area: design });
        await grant(w.tokens.projectAdminP, { user: w.newcomer, permission_type: "practiceLeadProject", project: w.P });
        const mine = await app.request("GET", `/api/v1/user-permissions?user=${w.newcomer}`, { token: w.admin.token });
        assert.equal(mine.body.count, 3);
      });

      it("adminVrms grants up to adminBrigade, not its own rank; a duplicate grant is 409, changing nothing", async () => {
        const w = await world();
        const vrms = await signedIn(["vrms"]);
        await grant(vrms.token, { user: w.newcomer, permission_type: "adminBrigade" });
        await grant(vrms.token, { user: w.newcomer, permission_type: "adminVrms" }, 403);
        const again = await app.request("POST", "/api/v1/user-permissions", { token: vrms.token, body: { user: w.newcomer, permission_type: "adminBrigade" } });
        assert.equal(again.status, 409);
        assert.equal(again.body.code, "conflict");
        assert.equal((await app.request("GET", `/api/v1/user-permissions?user=${w.newcomer}`, { token: w.admin.token })).body.count, 1);
      });

      it("refuses a scope that does not fit the type, naming the field", async () => {
        const w = await world();
        const cases: [Json, string][] = [
          [{ permission_type: "memberProject" }, "project"],
          [{ permission_type: "adminGlobal", project: w.P }, "project"],
          [{ permission_type: "memberGeneral", practice_area: (await app.request<Json[]>("GET", "/api/v1/practice-areas", { token: w.admin.token })).body[0]!.uuid }, "practice_area"],
          [{ permission_type: "memberProject", project: "00000000-0000-4000-8000-000000000000" }, "project"],
          [{ permission_type: "rootOfAllPower" }, "permission_type"],
        ];
        for (const [body, field] of cases) {
          const res = await app.request("POST", "/api/v1/user-permissions", { token: w.admin.token, body: { user: w.newcomer, ...body } });
          assert.equal(res.status, 400, JSON.stringify(body));
          assert.ok((res.body.errors as Json[]).some((e) => String(e.field).includes(field)), `${JSON.stringify(body)} names ${field}: ${JSON.stringify(res.body)}`);
        }
        const unknownUser = await app.request("POST", "/api/v1/user-permissions", {
          token: w.admin.token, body: { user: "00000000-0000-4000-8000-000000000000", permission_type: "memberGeneral" },
        });
        assert.equal(unknownUser.status, 400);
        assert.equal((await app.request("GET", `/api/v1/user-permissions?user=${w.newcomer}`, { token: w.admin.token })).body.count, 0);
      });

      it("writes one history row and one audit line per grant and revocation, with the actor; history refuses rewriting", async () => {
        const w = await world();
        const before = app.logs().split("\n").filter((l) => l.includes('"audit"') && l.includes(w.newcomer)).length;
        const made = await grant(w.tokens.projectAdminP, { email: w.newcomerEmail, permission_type: "memberProject", project: w.P });
        assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${made.uuid as string}`, { token: w.tokens.practiceLeadP })).status, 204);
        const history = await app.request("GET", `/api/v1/permission-history?user=${w.newcomer}`, { token: w.admin.token });
        const rows = history.body.results as Json[];
        assert.deepEqual(rows.map((r) => [r.action, r.actor, r.permission]), [
          ["revoke", w.uuids.practiceLeadP, made.uuid],
          ["grant", w.uuids.projectAdminP, made.uuid],
        ]);
        const audits = app.logs().split("\n").filter((l) => l.includes('"audit"') && l.includes(w.newcomer)).slice(before).map((l) => (JSON.parse(l) as { audit: Json }).audit);
        assert.deepEqual(audits.map((a) => [a.action, a.actor]), [["permission.grant", w.uuids.projectAdminP], ["permission.revoke", w.uuids.practiceLeadP]]);
        // A revoked grant is gone: revoking it again is a 404, and changes nothing.
        assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${made.uuid as string}`, { token: w.admin.token })).status, 404);
        assert.equal((await app.request("GET", `/api/v1/permission-history?user=${w.newcomer}`, { token: w.admin.token })).body.count, 2);
      });

      it("deleting a project revokes every grant in it, each leaving a history row that names who deleted it", async () => {
        const w = await world();
        assert.equal((await app.request("DELETE", `/api/v1/projects/${w.P}`, { token: w.admin.token })).status, 204);
        const history = await app.request("GET", `/api/v1/permission-history?project=${w.P}&page_size=100`, { token: w.admin.token });
        const revokes = (history.body.results as Json[]).filter((r) => r.action === "revoke");
        assert.equal(revokes.length, 4);
        assert.ok(revokes.every((r) => r.actor === w.admin.uuid));
        // The former lead lost the rights the project gave: the next request already knows.
        assert.equal((await app.request("GET", "/api/v1/users", { token: w.tokens.projectAdminP })).status, 403);
      });
    });

    describe("Cognito groups", () => {
      it("map to global permissions read from the token, never stored; /me lists them with the group", async () => {
        const w = await world();
        const vrms = await signedIn(["vrms"]);
        const me = await app.request("GET", "/api/v1/me", { token: vrms.token });
        assert.deepEqual(me.body.permissions, [{ uuid: null, permission_type: "adminVrms", project: null, practice_area: null, cognito_group: "vrms" }]);
        assert.equal(me.body.is_admin, false);
        // adminVrms reads every user with lead fields but may not delete one.
        const read = await app.request("GET", `/api/v1/users/${w.uuids.memberQ}`, { token: vrms.token });
        assert.deepEqual(Object.keys(read.body).sort(), [...LEAD_FIELDS].sort());
        assert.equal((await app.request("DELETE", `/api/v1/users/${w.uuids.memberQ}`, { token: vrms.token })).status, 403);
        assert.equal((await app.request("GET", `/api/v1/user-permissions?user=${vrms.uuid}`, { token: w.admin.token })).body.count, 0, "nothing stored");
        // The same person without the group in a later token holds nothing.
        const adminMe = await app.request("GET", "/api/v1/me", { token: w.admin.token });
        assert.equal(adminMe.body.is_admin, true);
        const projectAdmin = await app.request("GET", "/api/v1/me", { token: w.tokens.projectAdminP });
        assert.deepEqual((projectAdmin.body.permissions as Json[]).map((p) => [p.permission_type, p.project, p.cognito_group]), [["adminProject", w.P, null]]);
      });
    });

    describe("the grant cache", () => {
      it("a grant and a revocation are seen by the very next request on this instance", async () => {
        const w = await world();
        const lead = await signedIn();
        assert.equal((await app.request("GET", "/api/v1/users", { token: lead.token })).status, 403);
        const made = await grant(w.admin.token, { user: lead.uuid, permission_type: "adminProject", project: w.Q });
        assert.equal((await app.request("GET", "/api/v1/users", { token: lead.token })).status, 200);
        assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${made.uuid as string}`, { token: w.admin.token })).status, 204);
        assert.equal((await app.request("GET", "/api/v1/users", { token: lead.token })).status, 403);
      });

      if (kind.name === "postgres") {
        describe("on a second instance", () => {
          const second = serverForDescribe(issuer, kind, { inject: true,
            env: { COGNITO_TOKEN_USE: "any", COGNITO_GROUP_PERMISSIONS: "admin:adminGlobal,vrms:adminVrms" },
            shareDatabaseOf: () => app,
          });

          /** Milliseconds until `path` answers `status` on the second instance (polled every 20 ms), at most 3 s. */
          async function secondSees(token: string, status: number): Promise<number> {
            const start = performance.now();
            while (performance.now() - start < 3000) {
              if ((await second.request("GET", "/api/v1/users", { token })).status === status) return performance.now() - start;
              await new Promise((r) => setTimeout(r, 20));
            }
            return Infinity;
          }

          it("sees a grant and a revocation made on the first within a second, its cache warm all along", async () => {
            const w = await world();
            const lead = await signedIn();
            // Warm the second instance's caches: its entry for the lead says "no grants".
            assert.equal((await second.request("GET", "/api/v1/users", { token: lead.token })).status, 403);
            const made = await grant(w.admin.token, { user: lead.uuid, permission_type: "adminProject", project: w.P });
            const granted = await secondSees(lead.token, 200);
            assert.ok(granted <= 1100, `grant seen after ${granted.toFixed(0)} ms`);
            assert.equal((await app.request("DELETE", `/api/v1/user-permissions/${made.uuid as string}`, { token: w.admin.token })).status, 204);
            const revoked = await secondSees(lead.token, 403);
            assert.ok(revoked <= 1100, `revocation seen after ${revoked.toFixed(0)} ms`);
          });
        });
      }
    });
  });
}
