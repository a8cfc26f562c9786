// What one caller can make the database do (issue 29, finding 8): a filtered or searched users
// list serves its first 10,000 rows only (a deeper page is a 400 naming `page`, before any query);
// the whole list stays pageable at any depth; on PostgreSQL every API statement carries a
// server-side statement_timeout, whose cancellation is a 503 with Retry-After, and migrations run
// without it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import pg from "pg";
import { MIGRATION_LOCK_KEY, openDatabase } from "../src/db/client.ts";
import { isStatementCancelled } from "../src/db/errors.ts";
import { EXACT_COUNT_UP_TO } from "../src/users/repository.ts";
import { DATABASE_KINDS, openTestDatabase, postgres, requires, type DatabaseKind, type TestDatabase } from "./support/databases.ts";
import { people } from "./support/people.ts";
import { issuerAndServer } from "./support/server.ts";

const ROWS = EXACT_COUNT_UP_TO + 500;

/** `kind`, each database made with ROWS users in it (written before the server opens it). */
function withUsers(kind: DatabaseKind): DatabaseKind {
  return {
    ...kind,
    async create() {
      const copy = await kind.create();
      const database = await openTestDatabase(copy);
      await database.db.execute(sql`
        insert into users (cognito_sub, username, email, last_name, is_active, created_at)
        select 'sub-' || i, 'user' || i, 'user' || i || '@example.org', 'Smith', i % 7 <> 0, timestamptz '2026-01-01' + make_interval(mins => i)
        from generate_series(1, ${ROWS}) as i`);
      await database.db.execute(sql`analyze users`);
      await database.close();
      return copy;
    },
  };
}

for (const kind of DATABASE_KINDS) {
  describe(`users list depth (${kind.name})`, requires(kind), () => {
    const { issuer, app } = issuerAndServer(withUsers(kind), { inject: true, env: { PUBLIC_URL: "https://api.example.org" } });
    let admin: string;
    before(async () => {
      admin = (await people(issuer, app).signedIn(["admin"])).token;
    });

    it("a filtered or searched page ending past row 10,000 is 400 validation_failed naming page", async () => {
      const refused = [
        "search=zq&page=100000&page_size=100",
        "search=smith&page=101&page_size=100",
        "search=us&page=334&page_size=30",
        "is_active=false&page=501",
        "email=user1%40example.org&page=10001&page_size=1",
        "project=00000000-0000-4000-8000-000000000000&page=101&page_size=100",
      ];
      for (const query of refused) {
        const res = await app.get(`/api/v1/users?${query}`, admin);
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/);
        assert.equal(res.body.code, "validation_failed");
        const errors = res.body.errors as { field: string; message: string }[];
        assert.deepEqual(errors.map((e) => e.field), ["page"], query);
        assert.match(errors[0]!.message, /first 10000 rows.*narrow the search/, query);
        assert.match(res.body.detail as string, /page/);
      }
    });

    it("a filtered list is served to its 10,000th row, and count says whether that is all", async () => {
      const last = await app.get("/api/v1/users?search=smith&page=100&page_size=100&ordering=email", admin);
      assert.equal(last.status, 200, last.text);
      assert.equal((last.body.results as unknown[]).length, 100);
      assert.equal(last.body.count_is_estimate, true);
      const few = await app.get("/api/v1/users?is_active=false&page=50&page_size=30", admin);
      assert.equal(few.status, 200, few.text);
      assert.equal(few.body.count_is_estimate, false);
      assert.equal(few.body.count, Math.floor(ROWS / 7));
    });

    it("the whole list walks its index and is served at any depth; a page past the end keeps the estimate", async () => {
      const deep = await app.get("/api/v1/users?page=100000&page_size=100&ordering=-last_name", admin);
      assert.equal(deep.status, 200, deep.text);
      assert.deepEqual(deep.body.results, []);
      assert.equal(deep.body.count_is_estimate, true);
      // The estimate, not the empty page's offset (it said 9,999,900, and `previous` pointed there).
      const count = deep.body.count as number;
      assert.ok(count > EXACT_COUNT_UP_TO && count < ROWS * 1.5, `count ${count}`);
      assert.equal(deep.body.previous, `https://api.example.org/api/v1/users?page_size=100&ordering=-last_name&page=${Math.ceil(count / 100)}`);
      const lastRows = await app.get(`/api/v1/users?page=${Math.ceil((ROWS + 1) / 100)}&page_size=100`, admin);
      assert.equal(lastRows.status, 200);
      assert.equal((lastRows.body.results as unknown[]).length, (ROWS + 1) % 100);
    });
  });
}

const rowsOf = (result: unknown) => (result as { rows: unknown[] }).rows;

/** How many statements whose text starts with `prefix` still run on `url`'s database. */
async function running(url: string, prefix: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active' and query like $1",
      [`${prefix}%`],
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe("statement timeout (postgres)", requires(postgres), () => {
  describe("through the API", () => {
    const { issuer, app } = issuerAndServer(postgres, { inject: true, env: { DATABASE_STATEMENT_TIMEOUT_MS: "300" } });

    it("a statement held past DATABASE_STATEMENT_TIMEOUT_MS is cancelled by the server and answered 503 unavailable with Retry-After", async () => {
      const { signedIn } = people(issuer, app);
      const admin = await signedIn(["admin"]);
      const target = await signedIn();
      // Another session holds the target's row: the API's update waits on it, as a slow statement would run.
      const holder = new pg.Client({ connectionString: app.databaseUrl });
      await holder.connect();
      try {
        await holder.query("begin");
        await holder.query("select 1 from users where uuid = $1 for update", [target.uuid]);
        const res = await app.request("PATCH", `/api/v1/users/${target.uuid}`, { token: admin.token, body: { last_name: "Quinn" } });
        // Cancelled where it ran, not only abandoned by the client: nothing of it still waits.
        assert.equal(await running(app.databaseUrl!, 'update "users"'), 0);
        assert.equal(res.status, 503, res.text);
        assert.equal(res.body.code, "unavailable");
        assert.equal(res.headers.get("retry-after"), "5");
        assert.match(res.body.detail as string, /took too long/);
        assert.match(app.logs(), /database statement cancelled/);
      } finally {
        await holder.query("rollback").catch(() => {});
        await holder.end();
      }
      const after = await app.request("PATCH", `/api/v1/users/${target.uuid}`, { token: admin.token, body: { last_name: "Quinn" } });
      assert.equal(after.status, 200);
    });
  });

  describe("the pool", () => {
    let copy: TestDatabase;
    before(async () => {
      copy = await postgres.create();
    });
    after(async () => {
      await copy?.drop();
    });

    it("migrates on a connection without the timeout, and cancels a longer API statement server-side", async () => {
      const url = copy.env.DATABASE_URL!;
      // Another instance migrating: this one waits for the lock longer than its statements may run.
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      await other.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      const failures: unknown[] = [];
      const opening = openDatabase({ kind: "postgres", url, statementTimeoutMs: 200 }, { onMigrationFailure: (err) => failures.push(err) });
      await new Promise((resolve) => setTimeout(resolve, 800));
      await other.end();
      const database = await opening;
      try {
        assert.deepEqual(failures, []);
        assert.equal(database.migrated, true);
        assert.deepEqual(rowsOf(await database.db.execute(sql`show statement_timeout`)), [{ statement_timeout: "200ms" }]);
        const sleeping = database.db.execute(sql`select pg_sleep(5)`);
        await assert.rejects(sleeping, (err) => isStatementCancelled(err));
        assert.equal(await running(url, "select pg_sleep"), 0);
      } finally {
        await database.close();
      }
      // 0 sends none (for PgBouncer, which refuses it): the server's own setting applies.
      const unset = await openDatabase({ kind: "postgres", url, statementTimeoutMs: 0 });
      try {
        assert.deepEqual(rowsOf(await unset.db.execute(sql`show statement_timeout`)), [{ statement_timeout: "0" }]);
      } finally {
        await unset.close();
      }
    });
  });
});
