// Preload (`node --import`): appends to $RECORD_MODULES_TO every OpenTelemetry module the process
// loads, by ESM import (a resolve hook) or by require (the CommonJS cache, read at exit).
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const file = process.env.RECORD_MODULES_TO;
const PATTERN = /@opentelemetry|import-in-the-middle|require-in-the-middle|@fastify[\\/]otel/;

if (file) {
  register(new URL("./record-modules-hook.mjs", import.meta.url), { data: { file, pattern: PATTERN.source } });
  process.on("exit", () => {
    const cache = createRequire(import.meta.url).cache;
    const loaded = Object.keys(cache).filter((name) => PATTERN.test(name));
    appendFileSync(file, loaded.map((name) => `require ${name}\n`).join(""));
  });
}
