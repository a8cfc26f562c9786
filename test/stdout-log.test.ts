// The server's stdout log (pino's asynchronous destination): no line may be lost or reordered,
// whether the process goes on, exits in the turn that logged, or crashes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";

const LOGGING = new URL("../src/logging.ts", import.meta.url).href;

/** A process that logs `count` lines in one turn through the server's logger, then does `then`. */
function logger(count: number, then: string) {
  const script = `import { createLogger } from ${JSON.stringify(LOGGING)};
const log = createLogger("info");
for (let i = 0; i < ${count}; i++) log.info({ i }, "line");
${then}`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
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
});
