// npm run serve: the API alone, configured only by the environment.
import cluster from "node:cluster";
import { runPrimary } from "./cluster.ts";
import { ConfigError, loadConfig, type Config } from "./config.ts";
// Types only: server.ts and what it imports load after tracing has started (runServer).
import type { RunningServer } from "./server.ts";
import type { Tracing } from "./tracing/spans.ts";

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

if (config.webConcurrency > 1 && cluster.isPrimary) {
  runPrimary(config.webConcurrency, config.shutdown.delaySeconds + config.shutdown.timeoutSeconds + 5, config.logLevel);
} else {
  await runServer(config);
}

async function runServer(config: Config): Promise<void> {
  let tracing: Tracing | undefined;
  let server: RunningServer | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    // A second signal (a process group signalled twice, as cluster workers can be) changes nothing.
    if (stopping) return;
    stopping = true;
    // Signalled while still starting (a cluster worker behind a sibling that is already ready):
    // nothing is being served yet, so there is nothing to drain.
    if (!server) process.exit(0);
    const running = server;
    const { delaySeconds, timeoutSeconds } = config.shutdown;
    // Load balancers take a few seconds to notice /readyz failing: until then they still send
    // requests here, and those are served; only then does the listener close.
    running.stopReadiness();
    running.logger.info({ signal, delay_seconds: delaySeconds, timeout_seconds: timeoutSeconds }, "shutting down");
    const force = setTimeout(() => {
      running.logger.error(`requests still running ${timeoutSeconds} s after the listener closed; exiting`);
      process.exit(1);
    }, (delaySeconds + timeoutSeconds) * 1000);
    force.unref();
    new Promise((resolve) => setTimeout(resolve, delaySeconds * 1000))
      .then(() => running.close())
      // The last spans (this shutdown's included) are exported before the process goes.
      .then(() => tracing?.shutdown().catch(() => {}))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          running.logger.error({ err }, "error while shutting down");
          process.exit(1);
        },
      );
  };
  // Installed before start-up, so that no signal finds the process without its handler.
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  try {
    // Instrumentations patch modules as they load, so the SDK starts before the server's modules
    // are imported; with tracing off, nothing of OpenTelemetry is loaded at all.
    if (config.tracing.enabled) tracing = await (await import("./tracing/start.ts")).startTracing(config.tracing);
    const { startServer } = await import("./server.ts");
    server = await startServer(config, tracing ? { tracing } : {});
  } catch (err) {
    console.error(`could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
