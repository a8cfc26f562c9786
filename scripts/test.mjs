// npm test: every test file (or those TEST_FILES names, e.g. TEST_FILES=users,sessions) in a
// process of its own, as many at once as there are cores. Node's runner hands the next file to
// whichever process ends first; the slowest files start first, by their time in the last run
// (kept in node_modules/.cache), so that no long file starts last and runs alone. A file's tests
// still run one after another, in the order it gives them.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { fileURLToPath } from "node:url";

const root = path.resolve(fileURLToPath(import.meta.url), "../..");
const testDir = path.join(root, "test");
const timesFile = path.join(root, "node_modules", ".cache", "vrms-backend", "test-seconds.json");

const all = readdirSync(testDir).filter((name) => name.endsWith(".test.ts"));

function testFiles() {
  const named = process.env.TEST_FILES?.split(",").map((name) => `${name.trim()}.test.ts`);
  if (!named) return all;
  const missing = named.filter((name) => !all.includes(name));
  if (missing.length > 0) throw new Error(`TEST_FILES names a file that does not exist: ${missing.join(", ")}`);
  return named;
}

function lastSeconds() {
  try {
    return JSON.parse(readFileSync(timesFile, "utf8"));
  } catch {
    return {}; // First run here: files start in name order.
  }
}

const seconds = lastSeconds();
// A file not timed yet goes first: it may be a long one.
const weight = (name) => seconds[name] ?? Number.MAX_VALUE;
const files = testFiles().sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));

const stream = run({
  files: files.map((name) => path.join(testDir, name)),
  concurrency: os.availableParallelism(),
  forceExit: true,
  execArgv: ["--import", "tsx"],
});

// A file's time: its top-level tests' durations, which run one after another in its process.
const measured = {};
const record = (event) => {
  if (event.nesting !== 0 || !event.file) return;
  const name = path.basename(event.file);
  measured[name] = (measured[name] ?? 0) + event.details.duration_ms / 1000;
};
stream.on("test:pass", record);
stream.on("test:fail", (event) => {
  process.exitCode = 1;
  record(event);
});
stream.on("end", () => {
  const rounded = Object.fromEntries(Object.entries(measured).map(([name, s]) => [name, Math.round(s * 100) / 100]));
  const times = Object.fromEntries(Object.entries({ ...lastSeconds(), ...rounded }).filter(([name]) => all.includes(name)));
  try {
    mkdirSync(path.dirname(timesFile), { recursive: true });
    const scratch = `${timesFile}.${process.pid}`;
    writeFileSync(scratch, `${JSON.stringify(times, null, 2)}\n`);
    renameSync(scratch, timesFile); // whole or not at all, whatever other runs do at once
  } catch {
    // Only the next run's order depends on it.
  }
});
stream.compose(spec).pipe(process.stdout);
