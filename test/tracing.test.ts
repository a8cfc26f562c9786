// OpenTelemetry: the server run as `node src/main.ts` is, exporting to an OTLP/HTTP receiver in
// this test. With tracing on, one /me yields the span tree a person debugging a slow /me needs, and
// no token, password or email reaches an exported span; with it off, nothing of OpenTelemetry loads.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../support/net.ts";
import { pglite, postgres, type TestDatabase } from "./support/databases.ts";
import { issuerForDescribe, requestAt, type Json } from "./support/server.ts";
import { startReceiver, type ExportedSpan } from "./support/otlp-receiver.ts";
import { until } from "./support/wait.ts";
import { WebhookReceiver } from "./support/webhook-receiver.ts";
import { watched } from "./support/process.ts";

/** `node --import tsx src/main.ts`, as `npm run serve` runs the built equivalent, with OpenTelemetry modules recorded. */
function startMain(env: Record<string, string>, modulesFile: string) {
  const child = spawn(process.execPath, ["--import", "tsx", "--import", "./test/support/record-modules.mjs", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", RECORD_MODULES_TO: modulesFile, SHUTDOWN_DELAY_SECONDS: "0", ...env },
  });
  return watched(child);
}

const database = postgres.unavailable ? pglite : postgres;

describe(`tracing (node src/main.ts on ${database.name})`, () => {
  const issuer = issuerForDescribe();
  const modulesFile = path.join(os.tmpdir(), `vrms-modules-${process.pid}-${randomBytes(4).toString("hex")}`);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let db: TestDatabase;
  let server: ReturnType<typeof startMain>;
  let url: string;

  before(async () => {
    receiver = await startReceiver();
    db = await database.create();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = startMain(
      {
        ...issuer.env(),
        ...db.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        // A new kid is fetched at once, not after the penalty window that follows the start's fetch.
        JWKS_PENALTY_SECONDS: "0",
        // The session test also calls with id tokens, which carry the email.
        COGNITO_TOKEN_USE: "any",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        // Export within a tenth of a second rather than five.
        OTEL_BSP_SCHEDULE_DELAY: "100",
        // The webhook test's receiver listens on loopback.
        WEBHOOK_ALLOW_HTTP_LOOPBACK: "true",
      },
      modulesFile,
    );
    await until(async () => (await requestAt(url, "GET", "/readyz").catch(() => ({ status: 0 }))).status === 200, 30_000, `readiness: ${server.err()} ${server.out().slice(-2000)}`);
  });

  after(async () => {
    server.child.kill("SIGTERM");
    await server.exited;
    receiver.close();
    await db.drop();
    await rm(modulesFile, { force: true });
  });

  const byName = (name: string, traceId: string) => receiver.spans.filter((s) => s.name === name && s.traceId === traceId);
  const one = (name: string, traceId: string) => {
    const found = byName(name, traceId);
    assert.equal(found.length, 1, `one ${name} span in the trace, got ${found.length}: ${receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name).join(", ")}`);
    return found[0]!;
  };
  /** Whether `span` descends from `ancestor` by parent links within its trace. */
  const descends = (span: ExportedSpan, ancestor: ExportedSpan): boolean => {
    const byId = new Map(receiver.spans.filter((s) => s.traceId === span.traceId).map((s) => [s.spanId, s]));
    for (let at = span.parentSpanId ? byId.get(span.parentSpanId) : undefined; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) {
      if (at.spanId === ancestor.spanId) return true;
    }
    return false;
  };

  it("one /me with a new token (a new user, a key not yet fetched): request → verification → JWKS fetch and revocation check; profile load → database and Cognito", async () => {
    // A kid the server has not seen: the request fetches the JWKS again.
    const rotated = issuer.unpublishedKey();
    issuer.keys.push(rotated);
    const token = issuer.mint(issuer.newUser(), { key: rotated });
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    const me = await requestAt(url, "GET", "/api/v1/me", { token, headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
    assert.equal(me.status, 200, me.text);
    await until(() => byName("user.load_profile", traceId).length > 0 && receiver.spans.some((s) => s.traceId === traceId && s.parentSpanId === callerSpanId), 10_000, "the spans of /me");

    // The incoming traceparent is honoured: the server's first span is the caller's child.
    const root = receiver.spans.find((s) => s.traceId === traceId && s.parentSpanId === callerSpanId)!;
    assert.equal(root.attributes["http.request.method"], "GET");
    const verify = one("auth.verify_token", traceId);
    assert.ok(descends(verify, root), "verification within the request");
    assert.equal(verify.attributes["auth.outcome"], "ok");
    assert.equal(verify.attributes["auth.token_cache"], "miss");
    const jwks = one("jwks.fetch", traceId);
    assert.equal(jwks.parentSpanId, verify.spanId, "the JWKS fetch is the verification's");
    assert.equal(jwks.attributes["jwks.outcome"], "ok");
    const revocation = one("auth.revocation_check", traceId);
    assert.equal(revocation.parentSpanId, verify.spanId);
    assert.equal(revocation.attributes["auth.revoked"], false);
    const profile = one("user.load_profile", traceId);
    assert.ok(descends(profile, root), "profile load within the request");
    assert.equal(profile.attributes["profile.source"], "database");
    const getUser = receiver.spans.find((s) => s.traceId === traceId && s.attributes["rpc.method"] === "GetUser");
    assert.ok(getUser, "Cognito's GetUser (the new user's email) has a span");
    assert.ok(descends(getUser, profile), "GetUser within the profile load");
    if (database === postgres) {
      // The attribute's name depends on the semantic conventions in force (OTEL_SEMCONV_STABILITY_OPT_IN).
      const queries = receiver.spans.filter((s) => s.traceId === traceId && [s.attributes["db.system"], s.attributes["db.system.name"]].includes("postgresql"));
      assert.ok(queries.length > 0, "the database's statements have spans");
      assert.ok(queries.every((q) => descends(q, profile)), "every statement within the profile load");
    }
    // The request's log line names its trace.
    await until(() => server.out().includes(me.requestId), 5000, "the request's log line");
    const line = server
      .out()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Json)
      .find((l) => l.msg === "request completed" && l.reqId === me.requestId);
    assert.equal(line?.trace_id, traceId, "the log line carries the trace id");

    // The same token again: a cache hit, and the profile from the cache.
    const again = await requestAt(url, "GET", "/api/v1/me", { token });
    assert.equal(again.status, 200);
    await until(() => receiver.spans.some((s) => s.name === "auth.verify_token" && s.attributes["auth.token_cache"] === "hit"), 10_000, "a cache hit's span");
    const hit = receiver.spans.find((s) => s.name === "auth.verify_token" && s.attributes["auth.token_cache"] === "hit")!;
    assert.equal(byName("user.load_profile", hit.traceId)[0]?.attributes["profile.source"], "cache");
  });

  it("a webhook delivery has a span of its own, linked to the request that made the change (issue 25)", async () => {
    const hook = await new WebhookReceiver().start();
    try {
      const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
      const made = await requestAt<Json>(url, "POST", "/api/v1/webhooks", { token: admin, body: { url: hook.url, events: ["project.created"] } });
      assert.equal(made.status, 201, made.text);
      hook.secrets.push(made.body.secret as string);
      const traceId = randomBytes(16).toString("hex");
      const headers = { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` };
      const created = await requestAt<Json>(url, "POST", "/api/v1/projects", { token: admin, body: { name: `Traced ${randomBytes(4).toString("hex")}` }, headers });
      assert.equal(created.status, 201, created.text);
      await hook.waitFor("project.created", created.body.uuid as string);
      const linked = () => receiver.spans.find((s) => s.name === "webhook.deliver" && s.links?.some((l) => l.traceId === traceId));
      await until(() => linked() !== undefined, 5000, "the delivery's span");
      const deliver = linked()!;
      assert.notEqual(deliver.traceId, traceId, "a trace of its own");
      assert.equal(deliver.attributes["webhook.event_type"], "project.created");
      const link = deliver.links!.find((l) => l.traceId === traceId)!;
      assert.ok(receiver.spans.some((s) => s.traceId === traceId && s.spanId === link.spanId), "linked to a span of the request");
    } finally {
      await hook.stop();
    }
  });

  it("a session (login, /me, refresh, logout) exports no token, password or email in any span", async () => {
    const password = `Pw-${randomBytes(12).toString("hex")}`;
    const email = `tracer-${randomBytes(4).toString("hex")}@example.org`;
    const user = issuer.addAccount(password, { username: email, email });
    const login = await requestAt(url, "POST", "/api/v1/auth/login", { body: { username: email, password } });
    assert.equal(login.status, 200, login.text);
    const tokens = login.body as { access_token: string; id_token: string; refresh_token: string };
    assert.equal((await requestAt(url, "GET", "/api/v1/me", { token: tokens.access_token })).status, 200);
    assert.equal((await requestAt(url, "GET", "/api/v1/me", { token: tokens.id_token })).status, 200);
    const refreshed = await requestAt(url, "POST", "/api/v1/auth/refresh", { body: { refresh_token: tokens.refresh_token } });
    assert.equal(refreshed.status, 200, refreshed.text);
    const renewed = refreshed.body as { access_token: string; id_token: string };
    const logout = await requestAt(url, "POST", "/api/v1/auth/logout", { token: renewed.access_token, body: { refresh_token: tokens.refresh_token } });
    assert.equal(logout.status, 204, logout.text);
    // A sign-in attempt with a wrong password, whose password is as secret.
    const wrongPassword = `Wrong-${randomBytes(12).toString("hex")}`;
    assert.equal((await requestAt(url, "POST", "/api/v1/auth/login", { body: { username: email, password: wrongPassword } })).status, 401);
    // The /admin page's OAuth callback: its code and state are as secret.
    const code = randomBytes(12).toString("hex");
    const state = randomBytes(12).toString("hex");
    assert.equal((await requestAt(url, "GET", `/admin?code=${code}&state=${state}`)).status, 200);
    const routes = ["/admin", "/api/v1/auth/login", "/api/v1/me", "/api/v1/auth/refresh", "/api/v1/auth/logout"];
    await until(
      () => routes.every((route) => receiver.spans.filter((s) => s.attributes["http.route"] === route).length >= 1) &&
        receiver.spans.filter((s) => s.attributes["http.route"] === "/api/v1/auth/login" && s.attributes["http.response.status_code"] === 401).length >= 1,
      10_000,
      "spans of every request of the session",
    );
    assert.ok(receiver.spans.some((s) => s.attributes["rpc.method"] === "AdminInitiateAuth"), "Cognito's sign-in call has a span");

    // JWTs are searched for by payload and signature: either alone would be a leak.
    const jwtParts = [tokens.access_token, tokens.id_token, renewed.access_token, renewed.id_token].flatMap((t) => t.split(".").slice(1));
    const secrets = [...jwtParts, tokens.refresh_token, password, wrongPassword, code, state, email, email.split("@")[0]!, user.sub];
    const exported = receiver.bodies.join("\n");
    for (const secret of secrets) assert.ok(!exported.includes(secret), `an exported span holds a secret (${secret.slice(0, 6)}…)`);
  });

  it("URLs carrying an email, a sub, a search or an OAuth code (any case): no exported span and no log line holds them (issue 29)", async () => {
    const tag = randomBytes(4).toString("hex");
    const email = `searched-${tag}@example.org`;
    const searched = issuer.newUser({ email });
    // The searched user exists (an id token carries the email), so that the search runs its statements.
    assert.equal((await requestAt(url, "GET", "/api/v1/me", { token: issuer.mint(searched, { use: "id" }) })).status, 200);
    const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
    const code = randomBytes(12).toString("hex");
    const state = randomBytes(12).toString("hex");
    const e = encodeURIComponent(email);
    const query = `email=${e}&search=ched-${tag}&cognito_sub=${searched.sub}&page=1&ordering=-email`;
    const recordedQuery = "email=REDACTED&search=REDACTED&cognito_sub=REDACTED&page=1&ordering=-email";
    // Each request in a trace of its own, to find its spans; what each should record.
    const cases = [
      { path: `/api/v1/users?${query}`, token: admin, status: 200, urlPath: "/api/v1/users", urlQuery: recordedQuery },
      { path: `/api/v1/users?${e}=1&page_size=5`, token: admin, status: 200, urlPath: "/api/v1/users", urlQuery: "REDACTED=REDACTED&page_size=5" },
      { path: `/api/v1/users/${e}?${query}`, token: admin, status: 404, urlPath: "/api/v1/users/REDACTED", urlQuery: recordedQuery },
      { path: `/api/v1/no-such-route/${e}?${query}`, status: 404, urlPath: "/api/v1/REDACTED/REDACTED", urlQuery: recordedQuery },
      // Refused before routing (not valid percent-encoding): the framework's own error path.
      { path: `/api/v1/users/${e}%zz?${query}`, status: 400, urlPath: "/api/v1/users/REDACTED", urlQuery: recordedQuery },
      { path: `/admin?Code=${code}&STATE=${state}&code=${code}`, status: 200, urlPath: "/admin", urlQuery: "Code=REDACTED&STATE=REDACTED&code=REDACTED" },
    ];
    const sent: ((typeof cases)[number] & { traceId: string; requestId: string })[] = [];
    for (const c of cases) {
      const traceId = randomBytes(16).toString("hex");
      const headers = { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` };
      const res = await requestAt(url, "GET", c.path, { ...(c.token ? { token: c.token } : {}), headers });
      assert.equal(res.status, c.status, `${c.path}: ${res.text}`);
      if (c === cases[0]) assert.equal(res.body.count, 1, "the search finds the user");
      sent.push({ ...c, traceId, requestId: res.requestId });
    }
    const serverSpan = (traceId: string) => receiver.spans.find((s) => s.traceId === traceId && s.attributes["http.response.status_code"] !== undefined && s.attributes["url.query"] !== undefined);
    await until(() => sent.every((s) => serverSpan(s.traceId)) && sent.every((s) => server.out().includes(s.requestId)), 10_000, "every request's server span and log line");

    // Every byte exported and logged, not only the attributes known to hold URLs.
    const secrets = [email, e, `ched-${tag}`, searched.sub, code, state];
    const exported = receiver.bodies.join("\n");
    const logged = server.out() + server.err();
    for (const secret of secrets) {
      assert.ok(!exported.includes(secret), `an exported span holds ${secret}`);
      assert.ok(!logged.includes(secret), `a log line holds ${secret}`);
    }
    // And what is recorded instead.
    for (const s of sent) {
      const span = serverSpan(s.traceId)!;
      assert.equal(span.attributes["url.path"], s.urlPath, `${s.path}: the span's url.path`);
      assert.equal(span.attributes["url.query"], s.urlQuery, `${s.path}: the span's url.query`);
      const line = server
        .out()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Json)
        .find((l) => l.msg === "request completed" && l.reqId === s.requestId);
      assert.equal((line?.req as Json | undefined)?.url, `${s.urlPath}?${s.urlQuery}`, `${s.path}: the log line's url`);
    }
    const search = sent[0]!;
    if (database === postgres) {
      const statement = (s: ExportedSpan) => [s.attributes["db.system"], s.attributes["db.system.name"]].includes("postgresql");
      assert.ok(receiver.spans.some((s) => s.traceId === search.traceId && statement(s)), "the search's statements have spans");
    }
  });

  it("loads OpenTelemetry when on (the recorder sees it)", async () => {
    const modules = await readFile(modulesFile, "utf8").catch(() => "");
    assert.match(modules, /@opentelemetry\/sdk-node/);
  });
});

describe("tracing off (node src/main.ts, no OTEL_* variable)", () => {
  const issuer = issuerForDescribe();

  it("loads no OpenTelemetry module at all", async () => {
    const modulesFile = path.join(os.tmpdir(), `vrms-modules-off-${process.pid}-${randomBytes(4).toString("hex")}`);
    const db = await pglite.create();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = startMain({ ...issuer.env(), ...db.env, PORT: String(port), HOST: "127.0.0.1" }, modulesFile);
    try {
      await until(async () => (await requestAt(url, "GET", "/readyz").catch(() => ({ status: 0 }))).status === 200, 30_000, `readiness: ${server.err()} ${server.out().slice(-2000)}`);
      assert.equal((await requestAt(url, "GET", "/api/v1/me", { token: issuer.mint(issuer.newUser()) })).status, 200);
      const meLine = () => server.out().split("\n").find((l) => l.includes('"request completed"') && l.includes("/api/v1/me"));
      await until(() => meLine() !== undefined, 5000, "the request's log line");
      assert.ok(!meLine()!.includes("trace_id"), "no trace id in the log line");
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      await db.drop();
    }
    const modules = await readFile(modulesFile, "utf8").catch(() => "");
    await rm(modulesFile, { force: true });
    assert.equal(modules, "", "OpenTelemetry modules loaded with tracing off");
  });
});
