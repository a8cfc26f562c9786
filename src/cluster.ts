// WEB_CONCURRENCY > 1: a primary process that keeps N workers (node:cluster) on one port, and
// drains them all on SIGTERM or SIGINT. Each worker is a whole server (main.ts's worker path).
import cluster, { type Worker } from "node:cluster";

/** `shutdownSeconds`: how long the workers may take to drain before the primary gives up. */
export function runPrimary(workers: number, shutdownSeconds: number): void {
  let stopping = false;
  const say = (message: string) => process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: message })}\n`);
  const fork = () => cluster.fork();
  for (let i = 0; i < workers; i++) fork();

  let restarts = 0;
  cluster.on("exit", (worker: Worker, code, signal) => {
    if (stopping) return;
    // A worker that dies is replaced; one that dies at once, again and again, is not retried forever.
    say(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    if (++restarts > workers * 5) {
      say("workers keep exiting; giving up");
      process.exit(1);
    }
    setTimeout(fork, 1000).unref();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: draining ${Object.keys(cluster.workers ?? {}).length} workers`);
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let failed = false;
    let left = alive.length;
    if (left === 0) process.exit(0);
    for (const worker of alive) {
      worker.once("exit", (code) => {
        if (code !== 0) {
          failed = true;
          say(`worker ${worker.process.pid} exited with ${code}`);
        }
        if (--left === 0) process.exit(failed ? 1 : 0);
      });
      worker.process.kill("SIGTERM");
    }
    setTimeout(() => process.exit(1), shutdownSeconds * 1000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
