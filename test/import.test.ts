// `npm run -s cli -- import vrms` against the real Cognito emulator and a real database (PGlite, and
// PostgreSQL when TEST_DATABASE_URL is set), run as a person runs it: its own process. The sample
// export and generated ones (bench/vrms-export.ts); exact counts; a dry run writes nothing; a
// second --apply changes nothing; a run killed part-way and run again ends as an uninterrupted one.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { AdminGetUserCommand, ListUsersCommand, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import { sql } from "drizzle-orm";
import { generateExport, writeExport } from "../bench/vrms-export.ts";
import { provision } from "../src/cognito/bootstrap.ts";
import type { Database } from "../src/db/client.ts";
import { tableCounts } from "../src/import/store.ts";
import { CLI, runCli } from "./support/cli.ts";
import { DATABASE_KINDS, openTestDatabase, requires, type TestDatabase } from "./support/databases.ts";
import { startTestEmulator, type TestEmulator } from "./support/emulator.ts";
import { startTestServer, type Json } from "./support/server.ts";
import { TestIssuer } from "../support/issuer.ts";

const SAMPLE = process.env.VRMS_FIXTURES ?? "/work/shared/fixtures/vrms";
type Rows = Record<string, unknown>[];

for (const kind of DATABASE_KINDS) {
  describe(`import vrms (${kind.name})`, requires(kind), () => {
    let lab: TestEmulator;
    let dir: string;
    let pools = 0;

    before(async () => {
      lab = await startTestEmulator("import");
      dir = await mkdtemp(path.join(os.tmpdir(), "vrms-import-"));
    });
    after(async () => {
      await lab?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    /** A pool of its own and a database of its own, and the CLI's environment for both. */
    async function target(): Promise<{ poolId: string; db: TestDatabase; env: Record<string, string> }> {
      const pool = await provision(lab.cognito, { endpoint: lab.emulator.url, poolName: `import-${++pools}`, callbackUrl: "http://localhost:1/admin" });
      const db = await kind.create();
      return { poolId: pool.userPoolId, db, env: { COGNITO_ENDPOINT: lab.emulator.url, COGNITO_USER_POOL_ID: pool.userPoolId, HOME: dir, ...db.env } };
    }
    const importVrms = (env: Record<string, string>, files: { users: string; projects: string }, ...extra: string[]) =>
      runCli(["import", "vrms", "--users", files.users, "--projects", files.projects, ...extra], env);
    const json = (stdout: string) => JSON.parse(stdout) as Json & { people: Json; projects: Json; applied?: Json };

    async function poolUsers(poolId: string): Promise<UserType[]> {
      return (await lab.cognito.send(new ListUsersCommand({ UserPoolId: poolId }))).Users ?? [];
    }
    /** Reads the database while no CLI holds it (PGlite serves one process). */
    async function withDb<T>(db: TestDatabase, read: (query: (q: ReturnType<typeof sql>) => Promise<Rows>, handle: Database["db"]) => Promise<T>): Promise<T> {
      const database = await openTestDatabase(db);
      try {
        return await read(async (q) => ((await database.db.execute(q)) as unknown as { rows: Rows }).rows, database.db);
      } finally {
        await database.close();
      }
    }
    const counts = (db: TestDatabase) => withDb(db, (_query, handle) => tableCounts(handle));

    /** Everything an import leaves, without the ids that differ between two pools and databases. */
    async function snapshot(poolId: string, db: TestDatabase) {
      const accounts = (await poolUsers(poolId)).map((u) => Object.fromEntries((u.Attributes ?? []).filter((a) => a.Name !== "sub").map((a) => [a.Name!, a.Value!]))).sort((a, b) => (a.email! < b.email! ? -1 : 1));
      const tables = await withDb(db, async (query) => ({
        users: await query(sql`select u.email, u.first_name, u.last_name, u.phone, u.texting_ok, u.github_handle, u.gmail, u.current_job_title, u.target_job_title, u.current_skills, u.is_active, u.created_at, u.email_verified,
          (select string_agg(v.vrms_id, ',' order by v.vrms_id) from vrms_user_ids v where v.user_uuid = u.uuid) as ids from users u order by u.email`),
        projects: await query(sql`select p.name, p.description, p.github_url, p.slack_url, v.vrms_id from projects p left join vrms_project_ids v on v.project_uuid = p.uuid order by p.name`),
        grants: await query(sql`select u.email, g.permission_type, p.name as project from user_permissions g join users u on u.uuid = g.user_uuid left join projects p on p.uuid = g.project_uuid order by 1, 2, 3`),
        history: await query(sql`select h.action, h.actor, h.permission_type, count(*)::int as n from permission_history h group by 1, 2, 3 order by 1, 2, 3`),
      }));
      return { accounts, ...tables };
    }

    it("the sample: the dry run plans exactly and writes nothing; --apply writes it; a second --apply changes nothing; the API finds everyone by VRMS id", async () => {
      const { poolId, db, env } = await target();
      try {
        const files = { users: path.join(SAMPLE, "users.ndjson"), projects: path.join(SAMPLE, "projects.array.json") };
        const initial = await counts(db);
        const dry = await importVrms(env, files, "--json");
        assert.equal(dry.code, 1, `a conflict (the record without email): exit 1\n${dry.stderr}`);
        const plan = json(dry.stdout);
        assert.equal(plan.dry_run, true);
        assert.deepEqual(plan.records, { users: 12, projects: 4 });
        assert.deepEqual(plan.people, { total: 9, create: 9, link_account: 0, link_profile: 0, update: 0, unchanged: 0 });
        assert.deepEqual(plan.projects, { total: 4, create: 4, link: 0, unchanged: 0 });
        assert.deepEqual(plan.grants_to_add, { adminBrigade: 3, adminProject: 4, memberProject: 12 });
        assert.equal((plan.merges as Json[]).length, 2);
        assert.deepEqual(plan.conflicts, [{ collection: "users", id: "5f7684766e2f1a9c043a7c26", where: "line 7", reason: "no email" }]);
        assert.deepEqual((plan.warnings as Json[]).map((w) => [w.id, w.field]), [["5d5b57c16e2f1a9c043a7c25", "managedProjects"]]);
        assert.equal((await poolUsers(poolId)).length, 0, "the dry run created no Cognito user");
        assert.deepEqual(await counts(db), initial, "the dry run wrote no row");

        const applied = await importVrms(env, files, "--apply");
        assert.equal(applied.code, 1, applied.stderr);
        assert.match(applied.stdout, /^VRMS import: applied/);
        assert.match(applied.stdout, /people 9 written, 0 failed; projects 4 written, 0 failed; 19 grant\(s\) added/);
        assert.match(applied.stdout, /users 5f7684766e2f1a9c043a7c26 \(line 7\): no email/);
        const accounts = await poolUsers(poolId);
        assert.equal(accounts.length, 9);
        const maria = await lab.cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: "maria.delgado@example.org" }));
        assert.equal(maria.UserAttributes?.find((a) => a.Name === "email_verified")?.Value, "true");
        const first = await snapshot(poolId, db);
        assert.deepEqual(first.history, [{ action: "grant", actor: "import:vrms", permission_type: "adminBrigade", n: 3 }, { action: "grant", actor: "import:vrms", permission_type: "adminProject", n: 4 }, { action: "grant", actor: "import:vrms", permission_type: "memberProject", n: 12 }]);
        const mariaRow = first.users.find((u) => u.email === "maria.delgado@example.org")!;
        assert.equal(mariaRow.ids, "5e42f1456e2f1a9c043a7c20,60b82a296e2f1a9c043a7c21");
        assert.equal(mariaRow.phone, "+12135550102");
        assert.equal(mariaRow.github_handle, "mdelgado-la");
        assert.equal(new Date(mariaRow.created_at as string).toISOString(), "2020-02-11T18:24:05.123Z");
        assert.equal(first.users.filter((u) => u.is_active === false).length, 1);
        assert.deepEqual(first.projects.map((p) => p.github_url !== null && p.vrms_id !== null), [true, true, true, true]);

        const again = await importVrms(env, { users: path.join(SAMPLE, "users.array.json"), projects: path.join(SAMPLE, "projects.ndjson") }, "--apply", "--json");
        const second = json(again.stdout);
        assert.deepEqual(second.people, { total: 9, create: 0, link_account: 0, link_profile: 0, update: 0, unchanged: 9 });
        assert.deepEqual(second.projects, { total: 4, create: 0, link: 0, unchanged: 4 });
        assert.deepEqual(second.grants_to_add, {});
        assert.deepEqual((second.applied as Json).people, { done: 0, failed: 0 });
        assert.deepEqual(await snapshot(poolId, db), first, "the second --apply (the other form of the files) changed nothing");

        // The API finds them by VRMS id (an administrator's token).
        const issuer = new TestIssuer();
        await issuer.start();
        const app = await startTestServer(issuer, kind, { ...db.env, LOG_LEVEL: "silent" });
        try {
          const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
          for (const id of ["5e42f1456e2f1a9c043a7c20", "60B82A296E2F1A9C043A7C21"]) {
            const found = await app.get(`/api/v1/users?vrms_id=${id}`, admin);
            assert.equal(found.status, 200);
            assert.deepEqual((found.body.results as Json[]).map((u) => u.email), ["maria.delgado@example.org"]);
          }
          assert.equal(((await app.get("/api/v1/users?vrms_id=5f7684766e2f1a9c043a7c26", admin)).body.results as Json[]).length, 0);
          assert.equal((await app.get("/api/v1/users?vrms_id=nope", admin)).status, 400);
          const project = await app.get<Json[]>("/api/v1/projects?vrms_id=5e17b1c16e2f1a9c043a7c12", admin);
          assert.deepEqual(project.body.map((p) => [p.name, p.github_url]), [["Library Hours Map", "https://github.com/example-civic/library-hours-map"]]);
          assert.equal(((await app.get<Json[]>("/api/v1/projects", admin)).body).length, 4);
        } finally {
          await app.close();
          await issuer.stop();
        }
      } finally {
        await db.drop();
      }
    });

    it("a generated export: exact counts; an account that exists already is linked, not duplicated; --admin-type none", async () => {
      const { poolId, db, env } = await target();
      try {
        const data = generateExport({ people: 60, projects: 6, seed: 2 });
        const files = await writeExport(path.join(dir, `gen-${kind.name}`), data, "array");
        // Someone signed up before the import, with the address typed otherwise.
        const { AdminCreateUserCommand } = await import("@aws-sdk/client-cognito-identity-provider");
        await lab.cognito.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: "volunteer.2.3@example.org", MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: "volunteer.2.3@example.org" }] }));
        const out = await importVrms(env, files, "--apply", "--json", "--admin-type", "none", "--progress-seconds", "0");
        const report = json(out.stdout);
        assert.equal(out.code, 1, out.stderr);
        assert.deepEqual(report.people, { total: data.expected.people, create: data.expected.people - 1, link_account: 1, link_profile: 0, update: 0, unchanged: 0 });
        assert.equal((report.merges as Json[]).length, data.expected.merges);
        assert.equal((report.conflicts as Json[]).length, data.expected.conflicts);
        assert.equal((report.warnings as Json[]).filter((w) => w.field === "managedProjects").length, data.expected.danglingManaged);
        assert.deepEqual(Object.keys(report.grants_to_add as Json).sort(), ["adminBrigade", "adminProject", "memberProject"], "admins none, the superadmin adminBrigade");
        assert.equal((report.grants_to_add as Json).adminBrigade, 1);
        assert.equal((await poolUsers(poolId)).length, data.expected.people);
      } finally {
        await db.drop();
      }
    });

    it("refuses adminVrms and project types for people; a truncated file exits 2 naming it and writes nothing", async () => {
      const { poolId, db, env } = await target();
      try {
        const files = { users: path.join(SAMPLE, "users.ndjson"), projects: path.join(SAMPLE, "projects.ndjson") };
        const refused = await importVrms(env, files, "--admin-type", "adminVrms");
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /--admin-type must be one of none, memberGeneral, adminBrigade, adminGlobal/);
        const truncated = path.join(dir, `truncated-${kind.name}.json`);
        const { readFile } = await import("node:fs/promises");
        const text = await readFile(files.users, "utf8");
        await writeFile(truncated, text.slice(0, text.length - 200));
        const initial = await counts(db);
        const out = await importVrms(env, { ...files, users: truncated }, "--apply");
        assert.equal(out.code, 2);
        assert.match(out.stderr, /truncated-\w+\.json line 12: ends before its JSON does/);
        assert.equal(out.stdout, "");
        assert.equal((await poolUsers(poolId)).length, 0);
        assert.deepEqual(await counts(db), initial);
      } finally {
        await db.drop();
      }
    });

    it("a run killed part-way (SIGKILL after some Cognito creations), run again, ends equal to an uninterrupted run", async () => {
      const data = generateExport({ people: 40, projects: 4, seed: 3 });
      const files = await writeExport(path.join(dir, `kill-${kind.name}`), data);
      const whole = await target();
      const killed = await target();
      try {
        const complete = await importVrms(whole.env, files, "--apply");
        assert.equal(complete.code, 0, `no conflict in 40 people: exit 0\n${complete.stderr}`);

        const child = spawn(process.execPath, [CLI, "import", "vrms", "--users", files.users, "--projects", files.projects, "--apply", "--concurrency", "1"], {
          env: { PATH: process.env.PATH ?? "", ...killed.env },
          stdio: "ignore",
        });
        const exited = new Promise((resolve) => child.on("exit", resolve));
        let created = 0;
        while (created < 8) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          created = (await poolUsers(killed.poolId)).length;
          assert.ok(child.exitCode === null, "the run ended before it could be killed");
        }
        child.kill("SIGKILL");
        await exited;
        const part = (await poolUsers(killed.poolId)).length;
        assert.ok(part < data.expected.people, `killed part-way (${part} of ${data.expected.people})`);

        const rerun = await importVrms(killed.env, files, "--apply", "--json");
        const report = json(rerun.stdout);
        assert.equal((report.applied as Json & { failures: unknown[] }).failures.length, 0, rerun.stdout);
        assert.ok((report.people.create as number) < data.expected.people, "the rerun did not start over");
        assert.deepEqual(await snapshot(killed.poolId, killed.db), await snapshot(whole.poolId, whole.db));
      } finally {
        await whole.db.drop();
        await killed.db.drop();
      }
    });
  });
}
