// The dev stack's Cognito process: cognito-local as the engine, behind the front that adds what it
// lacks. Started by src/dev/emulator.ts with its data folder as the working directory and PORT.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { restrictToOwner } from "./data-files.ts";
import { createEngine, type EngineLogger } from "./engine.ts";
import { createFront } from "./front.ts";
import { ResourceServers } from "./resource-server-store.ts";
import { RevokedSessions } from "./revocations.ts";

// Files and folders created from here on are the owner's alone.
process.umask(0o077);
await restrictToOwner(process.cwd());

const port = Number(process.env.PORT ?? 9229);
// cognito-local's own pino (it passes the logger to its pino-http). Info level: its debug lines
// hold users' passwords and tokens.
const pino = createRequire(createRequire(import.meta.url).resolve("cognito-local/package.json"))("pino") as (options: object) => EngineLogger;
const logger = pino({ level: "info" });

const engine = await createEngine(logger);
const revoked = await RevokedSessions.open(".cognito/revoked-sessions.json");
const resourceServers = await ResourceServers.open({ logger });
const server = createServer(createFront({ engine, revoked, resourceServers }, logger, port));
server.listen(port, "localhost", () => logger.info(`dev stack Cognito (cognito-local behind its front) on http://localhost:${port}`));
server.on("error", (err) => {
  logger.error(err.message);
  process.exit(1);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, stop);
// The parent (npm start, an import) is gone without stopping us (SIGKILL): so do we, rather than
// hold the port and the pool's files for no one.
process.on("disconnect", stop);
