// Attacks from the review of issue 29: personal data carried into log lines by URLs, and refused
// sign-ins that still wrote. (What reaches exported spans is tracing.test.ts's.)
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { count } from "drizzle-orm";
import type { Database } from "../src/db/client.ts";
import { LoginThrottle } from "../src/sessions/login-throttle.ts";
import { loginFailures } from "../src/sessions/tables.ts";
import { DATABASE_KINDS, openTestDatabase, pglite, postgres, requires, type TestDatabase } from "./support/databases.ts";
import { issuerAndServer, type Json, type TestServer } from "./support/server.ts";
import { until } from "./support/wait.ts";

/** login_failures' rows, read over a connection of the test's own (PostgreSQL only: PGlite serves one process). */
async function throttleRows(app: TestServer): Promise<number> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: app.databaseUrl });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>("select count(*) as n from login_failures")).rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe("URLs in log lines (issue 29)", () => {
  // Id tokens (which carry the email) make the searched user's profile.
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { COGNITO_TOKEN_USE: "any" } });

  /** The url of the log line of the request answered with `requestId`. */
  const loggedUrl = (requestId: string) =>
    app
      .logs()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Json)
      .find((l) => l.msg === "request completed" && l.reqId === requestId)?.req as Json | undefined;

  it("a user search, odd spellings of parameters, paths that carry an email: the log holds names and allowed values only", async () => {
    const tag = randomBytes(6).toString("hex");
    const email = `Logged.${tag}@example.org`;
    const user = issuer.newUser({ email });
    assert.equal((await app.get("/api/v1/me", issuer.mint(user, { use: "id" }))).status, 200);
    const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
    const e = encodeURIComponent(email);
    const project = "6f1c1f43-3c55-4a0e-9d0a-3a1f5b7f2c10";
    const cases: [path: string, token: string | undefined, logged: string][] = [
      [`/api/v1/users?email=${e}&search=ged.${tag}&cognito_sub=${user.sub}&username=${e}&page=1&page_size=10&ordering=-email&is_active=true&project=${project}`, admin,
        `/api/v1/users?email=REDACTED&search=REDACTED&cognito_sub=REDACTED&username=REDACTED&page=1&page_size=10&ordering=-email&is_active=true&project=${project}`],
      // Names compared exactly for values: `EMAIL` and `Page` are no parameters of ours, and may hold anything.
      [`/api/v1/users?EMAIL=${e}&Page=${e}&page=${e}&ordering=${e}&project=${e}`, admin, "/api/v1/users?EMAIL=REDACTED&Page=REDACTED&page=REDACTED&ordering=REDACTED&project=REDACTED"],
      // A name that is itself an email.
      [`/api/v1/users?${e}&${e}=1`, admin, "/api/v1/users?REDACTED=REDACTED&REDACTED=REDACTED"],
      [`/admin?Code=c0de-${tag}&STATE=st4te-${tag}&Access_Token=t0ken-${tag}`, undefined, "/admin?Code=REDACTED&STATE=REDACTED&Access_Token=REDACTED"],
      [`/api/v1/users/${e}`, admin, "/api/v1/users/REDACTED"],
      [`/api/v1/users/${user.sub}/sign-out`, undefined, `/api/v1/users/${user.sub}/sign-out`],
      [`/${e}/api/v1/me`, undefined, "/REDACTED/api/v1/me"],
      // Refused before routing: the framework-error path writes its own line.
      [`/api/v1/users/${e}%zz?email=${e}`, undefined, "/api/v1/users/REDACTED?email=REDACTED"],
      // A bounded line whatever the query's length.
      [`/api/v1/users?${Array.from({ length: 30 }, (_, i) => `p${i}=${tag}`).join("&")}`, admin, `/api/v1/users?${Array.from({ length: 20 }, (_, i) => `p${i}=REDACTED`).join("&")}&…10 more`],
    ];
    for (const [path, token, logged] of cases) {
      const res = await app.get(path, token);
      await until(() => loggedUrl(res.requestId) !== undefined, 5000, `the log line of ${path}`);
      assert.equal(loggedUrl(res.requestId)!.url, logged, `${path} (${res.status})`);
    }
    const logs = app.logs();
    for (const secret of [email, e, email.toLowerCase(), `ged.${tag}`, `c0de-${tag}`, `st4te-${tag}`, `t0ken-${tag}`]) {
      assert.ok(!logs.includes(secret), `a log line holds ${secret}`);
    }
    // A uuid is recorded wherever it stands (the sign-out path above), but never a query's value beside cognito_sub.
    assert.ok(!logs.includes(`cognito_sub=${user.sub}`), "a sub in the query reached the log");
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`refused sign-ins write nothing, on ${kind.name} (issue 29)`, requires(kind), () => {
    const { issuer, app } = issuerAndServer(kind, { inject: true, env: { TRUST_PROXY: "1" } });

    it("fake Cognito: 80 sign-ins with distinct usernames from one address, fired together, reach Cognito 50 times; the 30 refused write no row", async () => {
      const here = { "x-forwarded-for": "198.51.100.29" };
      const before = issuer.cognitoCalls.length;
      const rowsBefore = kind === postgres ? await throttleRows(app) : 0;
      issuer.cognitoDelayMs = 100;
      let answers: number[];
      try {
        answers = await Promise.all(
          Array.from({ length: 80 }, (_, i) =>
            app.request("POST", "/api/v1/auth/login", { body: { username: `stranger-${i}@example.org`, password: "x" }, headers: here }).then((r) => r.status),
          ),
        );
      } finally {
        issuer.cognitoDelayMs = 0;
      }
      assert.equal(issuer.cognitoCalls.length - before, 50, "Cognito calls");
      assert.equal(answers.filter((s) => s === 401).length, 50);
      assert.equal(answers.filter((s) => s === 429).length, 30, `answers: ${[...new Set(answers)].join(",")}`);
      // Refused at once, before Cognito: a further burst changes nothing either.
      const more = await Promise.all(
        Array.from({ length: 20 }, (_, i) => app.request("POST", "/api/v1/auth/login", { body: { username: `late-${i}@example.org`, password: "x" }, headers: here }).then((r) => r.status)),
      );
      assert.deepEqual([...new Set(more)], [429]);
      assert.equal(issuer.cognitoCalls.length - before, 50, "no Cognito call once the address is over its limit");
      if (kind === postgres) assert.equal((await throttleRows(app)) - rowsBefore, 51, "one row per attempt that reached Cognito, and the address's");
    });
  });

  describe(`the sign-in limit's rows, on ${kind.name} (issue 29)`, requires(kind), () => {
    let test: TestDatabase;
    let database: Database;
    before(async () => {
      test = await kind.create();
      database = await openTestDatabase(test);
      await until(() => database.migrated, 10_000, "migrations");
    });
    after(async () => {
      await database.close();
      await test.drop();
    });
    const rows = async () => (await database.db.select({ n: count() }).from(loginFailures))[0]!.n;

    it("80 concurrent reservations with distinct usernames from one address: exactly 50 reserved, 51 rows; refused ones write none, and keep no count", async () => {
      const throttle = new LoginThrottle(database.db);
      const before = await rows();
      const outcomes = await Promise.all(Array.from({ length: 80 }, (_, i) => throttle.reserveLogin(`burst-${i}@example.org`, "203.0.113.29")));
      const reserved = outcomes.filter((o) => !("retryAfter" in o));
      assert.equal(reserved.length, 50, "the address's limit, not overshot by a concurrent burst");
      await Promise.all(reserved.map((o) => ("failed" in o ? o.failed() : undefined)));
      assert.equal((await rows()) - before, 51);
      for (const o of outcomes) if ("retryAfter" in o) assert.ok(o.retryAfter > 800 && o.retryAfter <= 900, `Retry-After ${o.retryAfter}`);
      // A username already counted is refused too, and its count does not move.
      const again = await throttle.reserveLogin("burst-0@example.org", "203.0.113.29");
      assert.ok("retryAfter" in again);
      assert.equal((await rows()) - before, 51);
    });

    it("refreshes: 70 junk refresh tokens from one address, fired together: 60 reserved, the 10 refused write no row", async () => {
      const throttle = new LoginThrottle(database.db);
      const before = await rows();
      const outcomes = await Promise.all(Array.from({ length: 70 }, (_, i) => throttle.reserveRefresh(`junk-${i}`, "203.0.113.30")));
      assert.equal(outcomes.filter((o) => !("retryAfter" in o)).length, 60);
      assert.equal((await rows()) - before, 61);
    });
  });
}
