// The server's stdout log (pino's asynchronous destination): no line may be lost or reordered,
// whether the process goes on, exits in the turn that logged, or crashes; no line is torn by
// another process writing to the same pipe (cluster workers); and a process whose stdout reader
// is gone still exits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";

const LOGGING = new URL("../src/logging.ts", import.meta.url).href;

/** A script that logs `count` lines in one turn through the server's logger, then does `then`. */
function loggerScript(count: number, then: string): string {
  return `import { createLogger } from ${JSON.stringify(LOGGING)};
const log = createLogger("info");
for (let i = 0; i < ${count}; i++) log.info({ i }, "line");
${then}`;
}

/** A process running loggerScript(count, then), its stdout read by this test. */
function logger(count: number, then: string) {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", loggerScript(count, then)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  return { child, stdout: () => stdout };
}

function numbers(stdout: string): number[] {
  return stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { i: number; msg: string }).i);
}

const inOrder = (count: number) => Array.from({ length: count }, (_, i) => i);

describe("stdout log", () => {
  it("writes a turn's lines while the process keeps running (nothing waits for more lines)", async () => {
    const { child, stdout } = logger(3, "setInterval(() => {}, 1000);");
    try {
      const deadline = Date.now() + 10_000;
      while (numbers(stdout()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(numbers(stdout()), inOrder(3));
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("keeps every line, in order, when the process exits in the turn that wrote them", async () => {
    const { child, stdout } = logger(20_000, "process.exit(0);");
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 0);
    assert.deepEqual(numbers(stdout()), inOrder(20_000));
  });

  it("keeps every line when the process dies of an uncaught exception", async () => {
    const { child, stdout } = logger(500, 'throw new Error("boom");');
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 1);
    assert.deepEqual(numbers(stdout()), inOrder(500));
  });

  it("exits when stdout's reader is gone (EPIPE) while lines are still to be written", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", loggerScript(20_000, "process.exit(0);")], { stdio: ["ignore", "pipe", "pipe"] });
    // The reader goes before the process has started: every write meets EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
    const startedAt = Date.now();
    try {
      const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
      assert.equal(signal, null, `the process hung at exit and was killed after ${Date.now() - startedAt} ms`);
      assert.equal(code, 0);
      assert.equal(stderr, "", "nothing on stderr (an EPIPE thrown at exit prints a stack)");
    } finally {
      clearTimeout(killer);
    }
  });

  it("keeps every line whole when two processes write heavily to one pipe behind a slow reader (cluster workers)", async () => {
    // Each writer logs lines of about 450 bytes in bursts, so that pino has many lines pending.
    const writer = `import { createLogger } from ${JSON.stringify(LOGGING)};
const log = createLogger("info");
const pad = "x".repeat(300);
let i = 0;
const burst = () => { for (let k = 0; k < 200 && i < ${PER_WRITER}; k++) log.info({ writer: process.env.WRITER, i: i++, pad }, "line"); if (i < ${PER_WRITER}) setImmediate(burst); };
burst();`;
    // Reads 1000 bytes at a time, pausing now and then: the pipe stays nearly full, and writers
    // wait for room in the middle of their writes.
    const reader = `const fs = require("node:fs");
const chunks = []; const buf = Buffer.alloc(1000); let n; let reads = 0;
while ((n = fs.readSync(0, buf)) > 0) { chunks.push(Buffer.from(buf.subarray(0, n))); if (++reads % 20 === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); }
fs.writeSync(1, Buffer.concat(chunks));`;
    // A shell pipeline: a pipe(2) as a container runtime gives (Node's own child pipes are socket pairs).
    const run = '"$NODE" --import tsx --input-type=module -e "$WRITER_SCRIPT"';
    const child = spawn("sh", ["-c", `{ WRITER=a ${run} & WRITER=b ${run} & wait; } | "$NODE" -e "$READER_SCRIPT"`], {
      env: { ...process.env, NODE: process.execPath, WRITER_SCRIPT: writer, READER_SCRIPT: reader },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 0);
    const lines = stdout.split("\n").filter((line) => line.length > 0);
    const torn = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    assert.equal(torn.length, 0, `${torn.length} torn lines, e.g. ${torn[0]?.slice(0, 200)}`);
    for (const name of ["a", "b"]) {
      const numbers = lines.map((line) => JSON.parse(line) as { writer: string; i: number }).filter((l) => l.writer === name).map((l) => l.i);
      assert.deepEqual(numbers, inOrder(PER_WRITER), `writer ${name}'s lines, all and in order`);
    }
  });
});

/** Lines per writer in the shared-pipe test: with pino's 16 KiB writes, lines tore in 10 runs of 10. */
const PER_WRITER = 2000;
