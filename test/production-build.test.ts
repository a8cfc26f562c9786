// The production layout, as the container's runtime stage holds it: dist/ (npm run build, which
// pretest runs), package.json and the production dependencies only, in a directory the server
// cannot write, started with `node dist/main.js` against PostgreSQL, its schema migrated by the
// release step (`node dist/migrate.js`) while MIGRATE_ON_START=false makes it wait.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { freePort } from "../support/net.ts";
import { postgres, requires, type TestDatabase } from "./support/databases.ts";
import { issuerForDescribe, requestAt } from "./support/server.ts";
import { until } from "./support/wait.ts";
import { watched } from "./support/process.ts";

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, "..");

/** The packages `npm ci --omit=dev` would install, as npm itself lists them, copied (hard links) under `to`. */
async function productionDependencies(to: string): Promise<void> {
  const { stdout } = await run("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: repo, maxBuffer: 16 << 20 });
  const root = path.join(repo, "node_modules");
  const packages = stdout
    .split("\n")
    .map((line) => path.relative(root, line.trim()))
    .filter((rel) => rel !== "" && !rel.startsWith(".."))
    // A nested package is copied with its parent.
    .sort()
    .filter((rel, i, all) => !all.slice(0, i).some((parent) => rel.startsWith(`${parent}/`)));
  await mkdir(path.join(to, "node_modules"), { recursive: true });
  // One cp for them all (hard links, each at its path under node_modules): a process spawned per
  // package cost this test process 4.7 s of CPU (a fork of a large process is not cheap).
  const linked = await run("cp", ["-al", "--parents", ...packages, path.join(to, "node_modules")], { cwd: root }).then(
    () => true,
    () => false,
  );
  if (linked) return;
  for (const rel of packages) {
    await mkdir(path.dirname(path.join(to, "node_modules", rel)), { recursive: true });
    await cp(path.join(root, rel), path.join(to, "node_modules", rel), { recursive: true });
  }
}

/** Every directory under `dir` made unwritable (files may be hard links into the repo: left alone). */
async function readOnlyDirectories(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await readOnlyDirectories(path.join(dir, entry.name));
  }
  await chmod(dir, 0o555);
}

/**
 * `node args…` in `dir` as a server that cannot write there: for root (who ignores modes) the
 * directory is bind-mounted read-only in a mount namespace of the child's own, entered again
 * after the mount (a working directory opened before it would still reach the writable one).
 */
function nodeIn(dir: string, args: string[], env: Record<string, string>) {
  const base = { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), ...env };
  const child =
    process.getuid?.() === 0
      ? spawn("unshare", ["-m", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && cd "$0" && exec "$@"', dir, process.execPath, ...args], { cwd: dir, env: base })
      : spawn(process.execPath, args, { cwd: dir, env: base });
  return watched(child);
}

describe("the production build", { ...requires(postgres) }, () => {
  const issuer = issuerForDescribe();
  let dir: string;
  let db: TestDatabase;

  before(async () => {
    // On the disk's temporary folder where npm test moved the others to memory (scripts/test.mjs):
    // the dependencies are hard links into the repository, which cannot cross file systems.
    dir = await mkdtemp(path.join(process.env.VRMS_DISK_TMPDIR ?? os.tmpdir(), "vrms-production-"));
    await cp(path.join(repo, "package.json"), path.join(dir, "package.json"));
    await cp(path.join(repo, "dist"), path.join(dir, "dist"), { recursive: true });
    await productionDependencies(dir);
    await readOnlyDirectories(dir);
    db = await postgres.create();
  });
  after(async () => {
    await db?.drop();
    if (dir) {
      await run("chmod", ["-R", "u+w", dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is read-only to what runs there", async () => {
    const write = nodeIn(dir, ["-e", "require('node:fs').writeFileSync('dist/x', 'y')"], {});
    assert.notEqual(await write.exited, 0);
    assert.match(write.err(), /EROFS|EACCES/);
  });

  it("holds no TypeScript loader or bundler", async () => {
    for (const name of ["tsx", "esbuild", "typescript"]) {
      await assert.rejects(stat(path.join(dir, "node_modules", name)), `${name} is not a production dependency`);
    }
  });

  it("waits for the release step's migrations, then serves from a read-only directory", async () => {
    const port = await freePort();
    const env = { ...issuer.env(), DATABASE_URL: db.env.DATABASE_URL!, PORT: String(port), HOST: "127.0.0.1", MIGRATE_ON_START: "false", SHUTDOWN_DELAY_SECONDS: "0" };
    const server = nodeIn(dir, ["dist/main.js"], env);
    const url = `http://127.0.0.1:${port}`;
    try {
      await until(async () => (await requestAt(url, "GET", "/healthz").catch(() => ({ status: 0 }))).status === 200, 30_000, "the process to answer");
      const waiting = await requestAt(url, "GET", "/readyz");
      assert.equal(waiting.status, 503, "not ready while the schema is older than the build");
      assert.equal((waiting.body.checks as Record<string, string>).database, "unavailable");

      const migrate = nodeIn(dir, ["dist/migrate.js"], { DATABASE_URL: db.env.DATABASE_URL! });
      assert.equal(await migrate.exited, 0, migrate.err());
      assert.match(migrate.out(), /^migrations: \d+ applied in \d+ ms\n$/);
      const again = nodeIn(dir, ["dist/migrate.js"], { DATABASE_URL: db.env.DATABASE_URL! });
      assert.equal(await again.exited, 0, again.err());
      assert.equal(again.out(), "migrations: the schema is current\n");

      await until(async () => (await requestAt(url, "GET", "/readyz")).status === 200, 15_000, "readiness after the migrations");
      const me = await requestAt(url, "GET", "/api/v1/me", { token: issuer.mint(issuer.newUser()) });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      const page = await requestAt(url, "GET", "/admin");
      assert.equal(page.status, 200, "the /admin page is served from dist/");

      server.child.kill("SIGTERM");
      assert.equal(await server.exited, 0, server.err());
      assert.match(server.out(), /run `npm run migrate`/, "the wait says what to do");
      assert.doesNotMatch(server.err(), /EROFS|EACCES/);
    } finally {
      server.child.kill("SIGKILL");
    }
  });
});
