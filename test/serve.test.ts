// npm run serve as a container runtime runs it: bad config exits 2; SIGTERM drains and exits 0.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import net from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { copyFolder, postgres, requires } from "./support/databases.ts";
import { freePort } from "../support/net.ts";
import { migratedPgliteTemplate } from "./support/pglite-template.ts";
import { issuerForDescribe, requestAt } from "./support/server.ts";
import { sleep, until, within } from "./support/wait.ts";
import { watched } from "./support/process.ts";

function npmServe(env: Record<string, string>) {
  // No shutdown delay unless a test asks for one: a load balancer's few seconds, nothing to wait for here.
  // A process group of its own: a failed test kills the whole of it (npm, the primary, its
  // workers), or a worker left behind would hold this test process's pipes open for ever.
  const child = spawn("npm", ["run", "-s", "serve"], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", SHUTDOWN_DELAY_SECONDS: "0", ...env }, detached: true });
  const run = watched(child);
  const killAll = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  return { ...run, killAll };
}

/** A connection to the server, and what the server sent on it until it closed. */
async function connectedSocket(port: number): Promise<{ socket: net.Socket; answer: Promise<string> }> {
  const socket = net.connect(port, "127.0.0.1");
  // Listened to from the start: a close before the test looks must not be missed.
  let text = "";
  socket.on("data", (chunk) => (text += chunk));
  socket.on("error", () => {});
  const answer = new Promise<string>((resolve) => socket.on("close", () => resolve(text)));
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, answer };
}

describe("npm run serve", () => {
  const issuer = issuerForDescribe();
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vrms-serve-"));
    // Its database: a copy of the migrated PGlite template (initdb and the migrations cost seconds).
    await copyFolder(await migratedPgliteTemplate(), path.join(dir, "db"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("refuses a missing variable with one line naming it and exit code 2", async () => {
    const serve = npmServe({ COGNITO_CLIENT_IDS: "abc", DATA_DIR: dir });
    assert.equal(await serve.exited, 2);
    const lines = serve.err().trim().split("\n");
    assert.equal(lines.length, 1, serve.err());
    assert.match(lines[0]!, /COGNITO_USER_POOL_ID/);
  });

  it("drains on SIGTERM to the npm process: the in-flight request is answered, a request begun on an open connection gets 503, a silent connection is closed, exit 0 within 10 s", async () => {
    const port = await freePort();
    const serve = npmServe({ ...issuer.env(), PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dir });
    const url = `http://127.0.0.1:${port}`;
    try {
      await until(async () => (await requestAt(url, "GET", "/readyz")).status === 200, 30_000, "readiness");
      issuer.getUserDelayMs = 1500;
      const calls = issuer.getUserCalls;
      const inFlight = requestAt(url, "GET", "/api/v1/me", { token: issuer.mint(issuer.newUser()) });
      await until(() => issuer.getUserCalls > calls, 10_000, "the request to reach GetUser");
      // Two connections open when the signal arrives: one whose request has begun (its first line
      // sent), and one that has sent nothing (a browser's preconnect, a TCP health check).
      const begun = await connectedSocket(port);
      begun.socket.write("GET /readyz HTTP/1.1\r\n");
      const silent = await connectedSocket(port);
      await sleep(100);
      const signalledAt = Date.now();
      serve.child.kill("SIGTERM");
      await sleep(200);
      begun.socket.write("Host: x\r\n\r\n");
      const readyz = await within(begun.answer, 10_000, "the begun request's answer and its connection's close");
      assert.match(readyz, /^HTTP\/1\.1 503/, "/readyz turns 503 while draining");
      assert.match(readyz, /\r\nconnection: close\r\n/i);
      assert.match(readyz, /"draining":"yes"/);
      // Closed without an answer, and without holding the shutdown (Node 22 and 24 waited for it
      // until SHUTDOWN_TIMEOUT_SECONDS, then exited 1).
      assert.equal(await within(silent.answer, 10_000, "the silent connection's close"), "");
      const res = await inFlight;
      assert.equal(res.status, 200, "the in-flight request finished");
      assert.equal(await within(serve.exited, 10_000, "exit"), 0, serve.err() + serve.out());
      assert.ok(Date.now() - signalledAt < 10_000);
      assert.match(serve.out(), /shutting down/);
    } finally {
      issuer.getUserDelayMs = 0;
      serve.killAll();
    }
  });

  it("SIGTERM with a shutdown delay: /readyz fails at once, new requests are served (closing their connections) until the delay ends, then the listener closes", async () => {
    const port = await freePort();
    const serve = npmServe({ ...issuer.env(), PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dir, SHUTDOWN_DELAY_SECONDS: "2" });
    const url = `http://127.0.0.1:${port}`;
    try {
      await until(async () => (await requestAt(url, "GET", "/readyz")).status === 200, 30_000, "readiness");
      const token = issuer.mint(issuer.newUser());
      const signalledAt = Date.now();
      serve.child.kill("SIGTERM");
      await until(async () => (await requestAt(url, "GET", "/readyz")).status === 503, 1500, "/readyz to fail at once");
      // What a load balancer that has not noticed yet still sends: answered, not refused.
      const during = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(during.status, 200);
      assert.equal(during.headers.get("connection"), "close");
      assert.ok(Date.now() - signalledAt < 2000, "still within the delay");
      await until(async () => (await fetch(`${url}/healthz`).then(() => "open", () => "closed")) === "closed", 10_000, "the listener to close");
      assert.ok(Date.now() - signalledAt >= 1900, `the listener stayed open for the delay (closed after ${Date.now() - signalledAt} ms)`);
      assert.equal(await serve.exited, 0, serve.err());
    } finally {
      serve.killAll();
    }
  });

  it("WEB_CONCURRENCY=2 runs two workers on one port and drains them all on SIGTERM", requires(postgres), async () => {
    const db = await postgres.create();
    const port = await freePort();
    const serve = npmServe({ ...issuer.env(), ...db.env, PORT: String(port), HOST: "127.0.0.1", WEB_CONCURRENCY: "2" });
    try {
      const url = `http://127.0.0.1:${port}`;
      await until(async () => (await requestAt(url, "GET", "/readyz")).status === 200, 30_000, "readiness");
      const token = issuer.mint(issuer.newUser());
      const answers = await Promise.all(Array.from({ length: 20 }, () => requestAt(url, "GET", "/api/v1/me", { token })));
      assert.deepEqual(answers.map((r) => r.status).filter((status) => status !== 200), [], JSON.stringify(answers.find((r) => r.status !== 200)?.body));
      const children = execFileSync("pgrep", ["-P", String(serve.child.pid)]).toString().trim().split("\n");
      // npm → sh is replaced by exec → node primary → two workers.
      // (By command line: Node 24 names its main thread, so the process is no longer called "node".)
      const workers = children.flatMap((pid) => {
        try {
          return execFileSync("pgrep", ["-P", pid, "-f", "dist/main.js"]).toString().trim().split("\n");
        } catch {
          return [];
        }
      });
      assert.equal(workers.length, 2, `workers: ${workers.join(", ")}`);
      serve.child.kill("SIGTERM");
      assert.equal(await serve.exited, 0, serve.err());
      // The primary's lines: on the workers' stdout, in their shape.
      const draining = serve
        .out()
        .split("\n")
        .find((line) => line.includes('"draining workers"'));
      assert.match(draining ?? "", /^\{"level":"info","time":"[^"]+Z","service":"vrms-backend",.*"signal":"SIGTERM","workers":2,/, serve.out());
    } finally {
      serve.killAll();
      await db.drop();
    }
  });
});
