// `import vrms` on the dev stack's defaults, as a newcomer runs it: `npm start` (the emulator and
// PGlite in DATA_DIR, both its own), stopped; the import (which starts the dev stack's emulator for
// its duration, PGlite being one process's); npm start again, where the printed admin finds the
// imported people. And what may not happen there: two processes on one PGlite (npm start and an
// import, two imports), an emulator left behind by a killed import.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { generateExport, writeExport } from "../bench/vrms-export.ts";
import { runCli } from "./support/cli.ts";
import { freePort } from "../support/net.ts";

const SAMPLE = process.env.VRMS_FIXTURES ?? "/work/shared/fixtures/vrms";
const sample = { users: path.join(SAMPLE, "users.ndjson"), projects: path.join(SAMPLE, "projects.array.json") };

interface Running {
  child: ChildProcess;
  stdout: string;
  stop(): Promise<void>;
}

/** Whether anything answers on this URL (an emulator). */
const answers = (url: string) => fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then(async (res) => (await res.body?.cancel(), true), () => false);

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("import vrms on the dev stack's defaults (npm start's emulator and PGlite)", () => {
  let dir: string;
  let env: Record<string, string>;
  let cognitoUrl: string;
  let apiUrl: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vrms-import-newcomer-"));
    const [apiPort, cognitoPort] = [await freePort(), await freePort()];
    apiUrl = `http://localhost:${apiPort}`;
    cognitoUrl = `http://localhost:${cognitoPort}`;
    env = { PATH: process.env.PATH ?? "", HOME: dir, DATA_DIR: path.join(dir, ".data"), PORT: String(apiPort), COGNITO_LOCAL_PORT: String(cognitoPort), LOG_LEVEL: "silent" };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** `npm start`, until its banner. */
  async function npmStart(): Promise<Running> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/dev/start.ts"], { env, timeout: 120_000 });
    const running: Running = {
      child,
      stdout: "",
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("close", resolve));
        child.kill("SIGINT");
        await exited;
      },
    };
    let stderr = "";
    child.stdout.on("data", (chunk) => (running.stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    await waitFor("npm start's banner", () => {
      if (child.exitCode !== null) assert.fail(`npm start exited: ${stderr}`);
      return running.stdout.includes("dev stack is up");
    });
    return running;
  }

  const importVrms = (files: { users: string; projects: string }, ...extra: string[]) =>
    runCli(["import", "vrms", "--users", files.users, "--projects", files.projects, "--progress-seconds", "0", ...extra], env);

  it("npm start, stopped; import (dry run, then --apply) with the emulator it starts and stops; npm start again: the printed admin finds an imported person", async () => {
    let dev = await npmStart();
    try {
      const refused = await importVrms(sample, "--apply");
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /npm start/);
      assert.equal(refused.stdout, "");
    } finally {
      await dev.stop();
    }
    assert.equal(await answers(cognitoUrl), false, "npm start took its emulator with it");

    const dry = await importVrms(sample);
    assert.equal(dry.code, 1, `the sample's one conflict: exit 1\n${dry.stderr}`);
    assert.match(dry.stdout, /^VRMS import: dry run/);
    assert.match(dry.stdout, /create 9 /);
    assert.match(dry.stderr, /starting the dev stack's Cognito emulator on http:\/\/localhost:\d+ /);
    assert.match(dry.stderr, /stopped the Cognito emulator it started/);

    const applied = await importVrms(sample, "--apply");
    assert.equal(applied.code, 1, applied.stderr);
    assert.match(applied.stdout, /people 9 written, 0 failed; projects 4 written, 0 failed; 19 grant\(s\) added/);
    assert.equal(await answers(cognitoUrl), false, "the import stopped the emulator it started");
    assert.equal(existsSync(path.join(env.DATA_DIR!, "db.lock")), false, "and let go of the database");

    dev = await npmStart();
    try {
      const [, username, password] = /^ {4}(admin@\S+)\s+password (\S+)/m.exec(dev.stdout) ?? [];
      assert.ok(username && password, dev.stdout);
      const login = await runCli(["login", "--username", username, "--password", password, "--access-token-only"], env);
      assert.equal(login.code, 0, login.stderr);
      const res = await fetch(`${apiUrl}/api/v1/users?vrms_id=60b82a296e2f1a9c043a7c21`, { headers: { authorization: `Bearer ${login.stdout.trim()}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { results: { email: string }[] };
      assert.deepEqual(body.results.map((u) => u.email), ["maria.delgado@example.org"]);
    } finally {
      await dev.stop();
    }

    const again = await importVrms(sample, "--apply", "--json");
    assert.deepEqual((JSON.parse(again.stdout) as { people: unknown }).people, { total: 9, create: 0, link_account: 0, link_profile: 0, update: 0, unchanged: 9 });
  });

  it("two imports at once: the second is refused while the first holds the database; a killed import leaves no emulator behind, and its rerun finishes", async () => {
    const data = generateExport({ people: 150, projects: 4, seed: 5 });
    const files = await writeExport(path.join(dir, "gen"), data);
    const first = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "import", "vrms", "--users", files.users, "--projects", files.projects, "--apply", "--concurrency", "1", "--progress-seconds", "0"], {
      env,
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => first.once("exit", resolve));
    try {
      await waitFor("the first import to open the database", () => existsSync(path.join(env.DATA_DIR!, "db.lock")));
      const second = await importVrms(files, "--apply");
      assert.equal(second.code, 1);
      assert.match(second.stderr, /the PGlite database in .* is open in process \d+/);
      assert.equal(second.stdout, "");
      first.kill("SIGKILL");
      await exited;
    } finally {
      first.kill("SIGKILL");
    }
    await waitFor("the killed import's emulator to exit", async () => !(await answers(cognitoUrl)), 10_000);

    const rerun = await importVrms(files, "--apply", "--json");
    assert.equal(rerun.code, data.expected.conflicts ? 1 : 0, rerun.stderr);
    const report = JSON.parse(rerun.stdout) as { people: { total: number }; applied: { failures: unknown[] } };
    assert.equal(report.people.total, data.expected.people);
    assert.deepEqual(report.applied.failures, []);
    const dev = await npmStart();
    await dev.stop();
  });
});
