// WEB_CONCURRENCY > 1: a primary process that keeps N workers (node:cluster) on one port, and
// drains them all on SIGTERM or SIGINT. Each worker is a whole server (main.ts's worker path).
import cluster, { type Worker } from "node:cluster";
import { createLogger } from "./logging.ts";

/** `shutdownSeconds`: how long the workers may take to drain before the primary gives up. */
export function runPrimary(workers: number, shutdownSeconds: number, logLevel: string): void {
  let stopping = false;
  // The workers' own logger, on the stdout they share: lines of one shape, and none torn.
  const log = createLogger(logLevel);
  const fork = () => cluster.fork();
  for (let i = 0; i < workers; i++) fork();

  let restarts = 0;
  cluster.on("exit", (worker: Worker, code, signal) => {
    if (stopping) return;
    // A worker that dies is replaced; one that dies at once, again and again, is not retried forever.
    log.warn({ worker_pid: worker.process.pid, exit: signal ?? code }, "worker exited; starting another");
    if (++restarts > workers * 5) {
      log.error("workers keep exiting; giving up");
      process.exit(1);
    }
    setTimeout(fork, 1000).unref();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, "draining workers");
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let failed = false;
    let left = alive.length;
    if (left === 0) process.exit(0);
    for (const worker of alive) {
      worker.once("exit", (code) => {
        if (code !== 0) {
          failed = true;
          log.error({ worker_pid: worker.process.pid, exit: code }, "worker exited with an error while draining");
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
