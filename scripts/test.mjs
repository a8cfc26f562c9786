// npm test: every test file (or those TEST_FILES names, e.g. TEST_FILES=users,sessions) in one
// process per core (TEST_SHARES sets how many), each process running its share of the files one
// after another. The shares are balanced by each file's time in the last run here, which this run
// measures and keeps in node_modules/.cache for the next (a file not timed yet counts as an average
// one). Two a core finished sooner (206 s instead of 250 s here: a test process waits a third of its
// time), but the browser tests then failed once in ten runs here (30 s waits ran out on 2 cores).
// SHARE_PROF=dir writes each process's CPU profile there.
//
// Why not a process per file (node --test test/*.test.ts): each process loads the server's modules
// through tsx again: 8 of the server's test files took 33.8 s of CPU that way, 17.0 s in one process.
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { fileURLToPath, pathToFileURL } from "node:url";

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

function endMarker(share) {
  return `share ${share} ran to its end`;
}

function isWritableDir(dir) {
  try {
    accessSync(dir, constants.W_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** A container's /dev/shm is often 64 MB: too small for the test databases, which stay on disk there. */
function freeBytes(dir) {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

function lastSeconds() {
  try {
    return JSON.parse(readFileSync(timesFile, "utf8"));
  } catch {
    return {}; // First run here: every file counts the same.
  }
}

/** The files in `count` shares of about equal time: the longest first, each to the share with the least so far. */
function shares(files, count, seconds) {
  const known = files.map((name) => seconds[name]).filter((s) => typeof s === "number");
  const average = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const weight = (name) => seconds[name] ?? average;
  const result = Array.from({ length: count }, () => ({ seconds: 0, files: [] }));
  for (const name of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const least = result.reduce((min, share) => (share.seconds < min.seconds ? share : min));
    least.files.push(name);
    least.seconds += weight(name);
  }
  return result.filter((share) => share.files.length > 0).map((share) => share.files.sort());
}

const files = testFiles();
// The tests' temporary folders (each PGlite database is a copy of a 40 MB, thousand-file template;
// the dev stacks' data) in memory where Linux offers it: a PGlite server's copy and start took
// 0.9–1.3 s on this machine's disk, 0.3–0.5 s in /dev/shm. Every process below inherits it.
// VRMS_DISK_TMPDIR keeps the disk's, for a test that hard-links the repository's files.
if (!process.env.TMPDIR && isWritableDir("/dev/shm") && freeBytes("/dev/shm") >= 2 ** 31) {
  process.env.VRMS_DISK_TMPDIR = os.tmpdir();
  process.env.TMPDIR = "/dev/shm";
}
const entryDir = mkdtempSync(path.join(os.tmpdir(), "vrms-test-shares-"));
// One entry file per share: Node's runner starts a process for each, which imports its files in turn.
const entries = shares(files, Math.min(Number(process.env.TEST_SHARES ?? os.availableParallelism()), files.length), lastSeconds()).map((share, i) => {
  const entry = path.join(entryDir, `share-${i + 1}.mjs`);
  // A file that fails to load fails the run under its own name, and the share's other files still run.
  const imports = share.map((name) => {
    const url = JSON.stringify(pathToFileURL(path.join(testDir, name)).href);
    return `try { await import(${url}); } catch (err) { test(${JSON.stringify(`${name} loads`)}, () => { throw err; }); }\n`;
  });
  // The first test holds the others back until every file is imported: the runner's force exit
  // ends a process once all the tests it knows of have finished, and a share whose first files
  // finished while the next was still loading lost the rest without a word (512 of 631 tests
  // passed, none failed). The last test tells the parent that the share ran to its end.
  writeFileSync(
    entry,
    `import { test } from "node:test";\nlet imported;\nconst allImported = new Promise((resolve) => (imported = resolve));\n` +
      `test(${JSON.stringify(`share ${i + 1} imports its files`)}, () => allImported);\n` +
      `${imports.join("")}imported();\ntest(${JSON.stringify(endMarker(i + 1))}, () => {});\n`,
  );
  return entry;
});

// Each process gets this one's flags (npm test passes --import tsx), as on every Node.js version we support.
const stream = run({ files: entries, concurrency: entries.length, forceExit: true, ...(process.env.SHARE_PROF ? { execArgv: ["--cpu-prof", `--cpu-prof-dir=${process.env.SHARE_PROF}`] } : {}) });

// A file's time: its top-level tests' durations, which run one after another in their process.
const measured = {};
const record = (event) => {
  if (event.nesting !== 0 || !event.file) return;
  const name = path.basename(event.file);
  measured[name] = (measured[name] ?? 0) + event.details.duration_ms / 1000;
};
const markers = new Set(entries.map((_, i) => endMarker(i + 1)));
const ended = new Set();
stream.on("test:pass", (event) => {
  if (event.nesting === 0 && markers.has(event.name)) ended.add(event.name);
  record(event);
});
stream.on("test:fail", (event) => {
  process.exitCode = 1;
  record(event);
});
stream.on("end", () => {
  rmSync(entryDir, { recursive: true, force: true });
  const lost = [...markers].filter((name) => !ended.has(name));
  if (lost.length > 0) {
    process.exitCode = 1;
    process.stdout.write(`\n✖ ${lost.join(", ")}: not reached; that process stopped early and its remaining tests did not run\n`);
  }
  const rounded = Object.fromEntries(Object.entries(measured).map(([name, s]) => [name, Math.round(s * 100) / 100]));
  const times = Object.fromEntries(Object.entries({ ...lastSeconds(), ...rounded }).filter(([name]) => all.includes(name)));
  try {
    mkdirSync(path.dirname(timesFile), { recursive: true });
    const scratch = `${timesFile}.${process.pid}`;
    writeFileSync(scratch, `${JSON.stringify(times, null, 2)}\n`);
    renameSync(scratch, timesFile); // whole or not at all, whatever other runs do at once
  } catch {
    // Only the next run's balance depends on it.
  }
});
stream.compose(spec).pipe(process.stdout);
