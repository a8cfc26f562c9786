// npm start: the dev stack (up.ts). Traced when the OTEL_* variables ask, as `npm run serve`
// is (main.ts): the SDK starts before the stack's modules are imported, since instrumentations
// patch modules as they load; with tracing off, nothing of OpenTelemetry is loaded at all.
import { ConfigError, loadTracing, processEnv } from "../config.ts";
import type { Tracing } from "../tracing/spans.ts";

let tracing: Tracing | undefined;
try {
  const config = loadTracing(processEnv());
  if (config.enabled) tracing = await (await import("../tracing/start.ts")).startTracing(config);
} catch (err) {
  process.stderr.write(`npm start failed: ${err instanceof ConfigError ? `configuration error: ${err.message}` : (err as Error).message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
await (await import("./up.ts")).startDevStack(tracing);
