// The users list on a seeded table (issue 18): for every ordering, filter and search, each page
// holds exactly the rows, in exactly the order, that the query without any index gives (so the
// indexes change speed and nothing else); the plans use the indexes; count is exact up to
// EXACT_COUNT_UP_TO and a marked estimate beyond. On PGlite, and on PostgreSQL when it is set.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../src/db/client.ts";
import { ORDERINGS, type Ordering } from "../src/users/profile-schema.ts";
import { EXACT_COUNT_UP_TO, listOrder, listWhere, UserRepository, type UserFilter } from "../src/users/repository.ts";
import { DATABASE_KINDS, requires, type TestDatabase, openTestDatabase } from "./support/databases.ts";

const ROWS = EXACT_COUNT_UP_TO + 500;
const PAGE_SIZE = 20;

const FILTERS: UserFilter[] = [
  {},
  { search: "smith" },
  { search: "SMI" },
  { search: "sm" },
  { search: "zzq" },
  { search: "mixed1" },
  { search: "50%" },
  { search: "_5" },
  { search: "user12" },
  { email: "MIXED10@example.ORG" },
  { username: "user7" },
  { isActive: false },
  { isActive: true, search: "a1" },
];

/** The same question in plain SQL, as the list asked it before the indexes: written apart from repository.ts. */
function reference(filter: UserFilter, ordering: Ordering): SQL {
  const conditions: SQL[] = [];
  if (filter.email !== undefined) conditions.push(sql`lower(email) = lower(${filter.email})`);
  if (filter.username !== undefined) conditions.push(sql`username = ${filter.username}`);
  if (filter.isActive !== undefined) conditions.push(sql`is_active = ${filter.isActive}`);
  if (filter.search) {
    const p = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql`(email ilike ${p} or username ilike ${p} or first_name ilike ${p} or last_name ilike ${p})`);
  }
  const where = conditions.length ? sql` where ${sql.join(conditions, sql` and `)}` : sql``;
  const column = sql.raw(ordering.replace(/^-/, ""));
  const order = ordering.startsWith("-") ? sql`${column} desc nulls last, uuid desc` : sql`${column} asc nulls last, uuid asc`;
  return sql`select uuid from users${where} order by ${order}`;
}

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

for (const kind of DATABASE_KINDS) {
  describe(`users list at scale (${kind.name})`, requires(kind), () => {
    let copy: TestDatabase;
    let database: Database;
    let repo: UserRepository;

    before(async () => {
      copy = await kind.create();
      database = await openTestDatabase(copy);
      repo = new UserRepository(database.db);
      // Nulls, ties (three users a minute, shared last names and usernames), mixed case, and
      // LIKE's own characters in names.
      await database.db.execute(sql`
        insert into users (cognito_sub, username, email, first_name, last_name, is_active, created_at)
        select 'sub-' || i,
               'user' || (i % 2000),
               case when i % 17 = 0 then null when i % 5 = 0 then 'Mixed' || i || '@Example.org' else 'user' || i || '@example.org' end,
               case when i % 13 = 0 then null else substr(md5('f' || i), 1, 6) end,
               case when i % 11 = 0 then null when i % 101 = 0 then 'O''Brien_50%' when i % 3 = 0 then 'Smith' else initcap(substr(md5('l' || i), 1, 7)) end,
               i % 7 <> 0,
               timestamptz '2026-01-01' + make_interval(mins => i / 3)
        from generate_series(1, ${ROWS}) as i`);
      await database.db.execute(sql`analyze users`);
    });
    after(async () => {
      await database?.close();
      await copy?.drop();
    });

    it("every page of every ordering, filter and search equals the unindexed query's", async () => {
      let compared = 0;
      for (const filter of FILTERS) {
        for (const ordering of ORDERINGS) {
          const expected = await database.db.transaction(async (tx) => {
            // Off for this transaction only: the planner must sort and filter by itself.
            await tx.execute(sql`set local enable_indexscan = off`);
            await tx.execute(sql`set local enable_indexonlyscan = off`);
            await tx.execute(sql`set local enable_bitmapscan = off`);
            return rowsOf<{ uuid: string }>(await tx.execute(reference(filter, ordering))).map((r) => r.uuid);
          });
          const lastPage = Math.max(1, Math.ceil(expected.length / PAGE_SIZE));
          for (const page of new Set([1, 3, lastPage])) {
            const what = `${JSON.stringify(filter)} ${ordering} page ${page}`;
            const got = await repo.list(filter, ordering, PAGE_SIZE, (page - 1) * PAGE_SIZE);
            const want = expected.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
            assert.deepEqual(
              got.rows.map((r) => r.uuid),
              want,
              what,
            );
            assert.equal(got.more, page * PAGE_SIZE < expected.length, `${what}: more`);
            if (expected.length <= EXACT_COUNT_UP_TO) {
              assert.equal(got.count, expected.length, `${what}: count`);
              assert.equal(got.countIsEstimate, false);
            } else {
              assert.equal(got.countIsEstimate, true, `${what}: an estimate past ${EXACT_COUNT_UP_TO}`);
              assert.ok(Math.abs(got.count - expected.length) < expected.length * 0.2, `${what}: ${got.count} estimates ${expected.length}`);
            }
            compared++;
          }
        }
      }
      assert.ok(compared > 150);
    });

    it("an index serves each: one per ordering, trigrams for search, lower(email) for email", async () => {
      const plan = async (filter: UserFilter, ordering: Ordering, offset: number) => {
        const where = listWhere(database.db, filter);
        const query = sql`explain select * from users${where ? sql` where ${where}` : sql``} order by ${sql.join(listOrder(ordering), sql`, `)} limit 21 offset ${offset}`;
        // A table of ten thousand rows is small enough for a scan to cost less: with scans priced
        // out (and, for search, the ordering's index too, which a filter can always walk), a
        // plan that still scans has no index that can serve the query.
        const rows = await database.db.transaction(async (tx) => {
          await tx.execute(sql`set local enable_seqscan = off`);
          if (filter.search) await tx.execute(sql`set local enable_indexscan = off`);
          return rowsOf<Record<string, string>>(await tx.execute(query));
        });
        return rows.map((r) => Object.values(r)[0]).join("\n");
      };
      const expectations: [UserFilter, Ordering, number, RegExp][] = [
        [{}, "-created_at", 0, /Index Scan Backward using users_created_at_uuid_idx/],
        [{}, "created_at", 0, /Index Scan using users_created_at_uuid_idx/],
        [{}, "email", 0, /Index Scan using users_email_uuid_idx/],
        [{}, "-email", 0, /Index Scan using users_email_desc_uuid_idx/],
        [{}, "last_name", 980, /Index Scan using users_last_name_uuid_idx/],
        [{}, "-last_name", 0, /Index Scan using users_last_name_desc_uuid_idx/],
        [{ search: "zzq" }, "-created_at", 0, /BitmapOr[^]*users_email_trgm_idx[^]*users_username_trgm_idx[^]*users_first_name_trgm_idx[^]*users_last_name_trgm_idx/],
        [{ email: "MIXED10@example.ORG" }, "-created_at", 0, /users_email_lower_idx/],
        [{ username: "user7" }, "-created_at", 0, /users_username_idx|users_created_at_uuid_idx/],
      ];
      for (const [filter, ordering, offset, pattern] of expectations) {
        const text = await plan(filter, ordering, offset);
        assert.match(text, pattern, `${JSON.stringify(filter)} ${ordering}:\n${text}`);
        assert.doesNotMatch(text, /Seq Scan on users/, `${JSON.stringify(filter)} ${ordering}:\n${text}`);
      }
    });
  });
}
