// The hot queries are named prepared statements (db/prepared.ts): a statement the server no longer
// holds as prepared (deallocated by a pooler or an operator; replanned after another instance's
// migration) is prepared again and the request answered, not failed. PostgreSQL only: PGlite has
// no named statements to lose.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { Db } from "../src/db/client.ts";
import * as schema from "../src/db/tables.ts";
import { PermissionRepository } from "../src/permissions/repository.ts";
import { UserRepository } from "../src/users/repository.ts";
import { openTestDatabase, postgres, requires, type TestDatabase } from "./support/databases.ts";

describe("prepared statements on PostgreSQL", requires(postgres), () => {
  let copy: TestDatabase;
  // One connection, so that the statement prepared and the one deallocated are on the same one.
  let pool: pg.Pool;
  let users: UserRepository;
  let permissions: PermissionRepository;

  before(async () => {
    copy = await postgres.create();
    const migrated = await openTestDatabase(copy);
    while (!migrated.migrated) await new Promise((r) => setTimeout(r, 50));
    await migrated.close();
    pool = new pg.Pool({ connectionString: copy.env.DATABASE_URL, max: 1 });
    const db = drizzle({ client: pool, schema }) as unknown as Db;
    users = new UserRepository(db);
    permissions = new PermissionRepository(db);
  });

  after(async () => {
    await pool?.end();
    await copy?.drop();
  });

  it("answers after its statements were deallocated on the connection", async () => {
    const sub = randomUUID();
    const { user } = await users.createOrGet({ cognitoSub: sub, username: "prepared" });
    assert.equal((await users.findBySub(sub))?.uuid, user.uuid);
    assert.deepEqual(await permissions.grantsOf(user.uuid), []);
    const { rows } = await pool.query<{ n: string }>("select count(*) as n from pg_prepared_statements");
    assert.ok(Number(rows[0]!.n) >= 3, "the statements are prepared on the connection");

    await pool.query("deallocate all");
    assert.equal((await users.findBySub(sub))?.uuid, user.uuid);
    assert.deepEqual(await permissions.grantsOf(user.uuid), []);
    assert.equal((await users.updateCognitoFields(user.uuid, { email: "p@example.org", emailVerified: true }))?.email, "p@example.org");
    assert.equal((await users.createOrGet({ cognitoSub: sub, username: "prepared" })).inserted, false);
  });

  it("answers after another instance changed the type of a column it selects", async () => {
    const sub = randomUUID();
    await users.createOrGet({ cognitoSub: sub, username: "replanned" });
    assert.ok(await users.findBySub(sub));
    // A column no trigger names (the events' lock trigger lists the profile's columns).
    await pool.query("alter table users alter column last_login type timestamp(3) with time zone");
    assert.equal((await users.findBySub(sub))?.username, "replanned");
  });

  it("refuses a field it has no statement name for, rather than reuse another's name", async () => {
    const { user } = await users.createOrGet({ cognitoSub: randomUUID(), username: "fields" });
    await assert.rejects(users.updateCognitoFields(user.uuid, { nickname: "x" } as never), /not a Cognito field: nickname/);
  });
});
