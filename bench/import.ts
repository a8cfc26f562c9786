// npm run -s bench:import [-- --people 5000 --projects 100 --db postgres]: the VRMS import of a
// generated export (bench/vrms-export.ts) into a fresh dev stack's pool (the Cognito emulator) and
// database, as the CLI runs it: a dry run, a first --apply, a second --apply (which must be at
// least 10× faster: it reads its state in bulk and asks Cognito nothing).
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { provision } from "../src/cognito/bootstrap.ts";
import { createCognitoClient } from "../src/cognito/client.ts";
import { startEmulator } from "../src/dev/emulator.ts";
import { createScratchDatabase } from "../support/scratch-database.ts";
import { freePort } from "../support/net.ts";
import { copyFolder } from "../test/support/databases.ts";
import { migratedPgliteTemplate } from "../test/support/pglite-template.ts";
import { generateExport, writeExport } from "./vrms-export.ts";

const { values } = parseArgs({ options: { people: { type: "string", default: "5000" }, projects: { type: "string", default: "100" }, db: { type: "string", default: "pglite" } } });
const people = Number(values.people);
const dir = await mkdtemp(path.join(os.tmpdir(), "vrms-bench-import-"));
const emulator = await startEmulator({ port: await freePort(), dataDir: path.join(dir, "cognito"), env: { PATH: process.env.PATH ?? "" } });
const cognito = createCognitoClient({ region: "us-east-1", endpoint: emulator.url, useDummyCredentials: true });
const pool = await provision(cognito, { endpoint: emulator.url, poolName: "vrms-dev", callbackUrl: "http://localhost:8000/admin" });
cognito.destroy();
const scratch = values.db === "postgres" ? await createScratchDatabase(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", "vrms_bench") : undefined;
// A migrated database, as the dev stack's is: PGlite's initdb is not the import's cost.
if (!scratch) await copyFolder(await migratedPgliteTemplate(), path.join(dir, "db"));
const data = generateExport({ people, projects: Number(values.projects) });
const files = await writeExport(path.join(dir, "export"), data);
const env = { PATH: process.env.PATH ?? "", HOME: dir, DATA_DIR: dir, COGNITO_ENDPOINT: emulator.url, COGNITO_USER_POOL_ID: pool.userPoolId, ...(scratch ? { DATABASE_URL: scratch.url } : {}) };

function run(...extra: string[]): Promise<{ seconds: number; code: number | null; report: Record<string, unknown> }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "import", "vrms", "--users", files.users, "--projects", files.projects, "--json", ...extra], { env });
  let stdout = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => process.stderr.write(c));
  return new Promise((resolve) => child.on("close", (code) => resolve({ seconds: (performance.now() - started) / 1000, code, report: JSON.parse(stdout || "{}") as Record<string, unknown> })));
}

try {
  process.stderr.write(`${data.users.length} user records (${data.expected.people} people), ${data.projects.length} projects, database ${values.db}\n`);
  const dry = await run();
  const first = await run("--apply", "--progress-seconds", "5");
  const second = await run("--apply");
  const applied = (r: { report: Record<string, unknown> }) => (r.report.applied as { seconds: number; people: { done: number } } | undefined);
  const work = (r: { report: Record<string, unknown> }) => r.report.seconds as { read: number; plan: number; apply: number };
  const rows = [
    ["dry run", dry],
    ["first --apply", first],
    ["second --apply", second],
  ] as const;
  const total = (r: { report: Record<string, unknown> }) => work(r).read + work(r).plan + work(r).apply;
  process.stdout.write(`| run | wall s (process start included) | read s | plan s (state read in bulk) | write s | import s (read+plan+write) | people written | exit |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n`);
  for (const [name, r] of rows) {
    const w = work(r);
    process.stdout.write(`| ${name} | ${r.seconds.toFixed(1)} | ${w.read.toFixed(2)} | ${w.plan.toFixed(2)} | ${w.apply.toFixed(2)} | ${total(r).toFixed(2)} | ${applied(r)?.people.done ?? "—"} | ${r.code} |\n`);
  }
  process.stdout.write(`second --apply: ${(total(first) / total(second)).toFixed(0)}× faster than the first (import s), ${(first.seconds / second.seconds).toFixed(1)}× (wall)\n`);
  process.stdout.write(`second run's plan: ${JSON.stringify(second.report.people)}\n`);
} finally {
  await emulator.stop();
  await scratch?.drop();
  await rm(dir, { recursive: true, force: true });
}
