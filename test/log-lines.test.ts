// Log lines as collectors read them: the level by name, an ISO 8601 time, the service and its
// version on every line, a request's id once; probes that succeed not at info; what start-up
// waits for, with its duration. And npm start's log: every line to a file, warnings readable on
// the terminal.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { devLogDestination } from "../src/dev/log.ts";
import { createLogger } from "../src/logging.ts";
import { VERSION } from "../src/version.ts";
import { pglite } from "./support/databases.ts";
import { issuerAndServer, type Json } from "./support/server.ts";
import { until } from "./support/wait.ts";

const parsed = (text: string): Json[] =>
  text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Json);

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("the server's log lines", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true });

  it("every line: the level by name, an ISO 8601 time, the service and its version", async () => {
    assert.equal((await app.get("/api/v1/me", issuer.mint(issuer.newUser()))).status, 200);
    const lines = parsed(app.logs());
    assert.ok(lines.length >= 4, app.logs());
    for (const line of lines) {
      assert.ok(LEVELS.includes(line.level as string), `level ${String(line.level)}`);
      assert.match(line.time as string, ISO_TIME);
      assert.equal(line.service, "vrms-backend");
      assert.equal(line.version, VERSION);
    }
  });

  it("a request's line carries its id once, as reqId", async () => {
    const id = `once-${randomBytes(6).toString("hex")}`;
    assert.equal((await app.get("/api/v1/me", undefined, { "x-request-id": id })).status, 401);
    const line = app
      .logs()
      .split("\n")
      .find((l) => l.includes(id) && l.includes('"request completed"'));
    assert.ok(line, "the request was logged");
    assert.equal(line.split(id).length - 1, 1, `the id once in ${line}`);
    const record = JSON.parse(line) as Json;
    assert.equal(record.reqId, id);
    assert.deepEqual(record.res, { statusCode: 401 });
  });

  it("start-up logs the migrations and the first read of the revocations, with their durations", () => {
    const lines = parsed(app.logs());
    const migrated = lines.find((l) => l.msg === "database migrated");
    assert.equal(typeof migrated?.duration_ms, "number");
    assert.equal(typeof migrated?.applied, "number");
    const revocations = lines.find((l) => l.msg === "revocations loaded");
    assert.equal(typeof revocations?.duration_ms, "number");
    assert.deepEqual([revocations?.sessions, revocations?.users], [0, 0]);
  });

  // Last: the server stays unready.
  it("/healthz and /readyz are not logged at info when they succeed; a failing /readyz is", async () => {
    for (const probe of ["/healthz", "/readyz", "/healthz/", "/readyz?verbose=1"]) {
      assert.equal((await app.get(probe, undefined, { "x-request-id": "probe-ok" })).status, 200, probe);
    }
    assert.equal((await app.get("/api/v1/me", undefined, { "x-request-id": "after-probes" })).status, 401);
    await until(() => app.logs().includes("after-probes"), 2000, "the next request's line");
    assert.ok(!app.logs().includes("probe-ok"), "no line for a probe that succeeded");
    app.server.stopReadiness();
    assert.equal((await app.get("/readyz", undefined, { "x-request-id": "probe-unready" })).status, 503);
    const line = parsed(app.logs()).find((l) => l.reqId === "probe-unready");
    assert.equal(line?.level, "info");
    assert.deepEqual(line?.res, { statusCode: 503 });
  });
});

describe("npm start's log", () => {
  it("every line to the file (owner-only), warnings and errors also on the terminal, one readable line each", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "vrms-dev-log-"));
    try {
      const file = path.join(dir, "data", "server.log");
      let terminal = "";
      const log = createLogger("info", devLogDestination(file, { write: (text: string) => (terminal += text) }));
      log.info({ reqId: "r-1", res: { statusCode: 200 } }, "request completed");
      log.warn({ reason: "timeout", jwks: "http://localhost:9229/x/.well-known/jwks.json" }, "signing keys could not be fetched");
      log.error({ err: new TypeError("boom") }, "error while shutting down");
      await until(async () => (await readFile(file, "utf8").catch(() => "")).split("\n").length > 3, 5000, "the file's lines");
      const lines = parsed(await readFile(file, "utf8"));
      assert.deepEqual(
        lines.map((l) => [l.level, l.msg]),
        [
          ["info", "request completed"],
          ["warn", "signing keys could not be fetched"],
          ["error", "error while shutting down"],
        ],
      );
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.match(terminal, /^\d\d:\d\d:\d\d WARN signing keys could not be fetched {2}reason=timeout jwks=http:\/\/localhost:9229\/x\/\.well-known\/jwks\.json\n\d\d:\d\d:\d\d ERROR error while shutting down {2}err=TypeError: boom\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
