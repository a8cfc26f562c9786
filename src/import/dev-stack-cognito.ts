// An import into the dev stack's defaults (`npm install && npm start`: the emulator and PGlite in
// .data, both owned by the npm start process). PGlite serves one process, so the import cannot
// write while npm start runs; and once npm start is stopped its emulator is gone too. So: refused
// while the dev stack's API answers; otherwise the import starts the dev stack's emulator itself,
// on its port and with its pool's data (.data/cognito), for its own duration.
import path from "node:path";
import type { Env } from "../config.ts";
import { answers, startEmulator, type Emulator } from "../dev/emulator.ts";
import { readDevStack } from "../dev/stack-file.ts";

export class DevStackRunning extends Error {}

/**
 * Refuses when the dev stack's API answers: it holds the PGlite database of `dataDir` (the lock of
 * db/client.ts would refuse as well, but this says what to do).
 */
export async function refuseRunningDevStack(dataDir: string): Promise<void> {
  const stack = await readDevStack(dataDir).catch(() => undefined);
  if (!stack?.api_url) return;
  const answering = await fetch(`${stack.api_url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
    async (res) => (await res.body?.cancel(), true),
    () => false,
  );
  if (answering) {
    throw new DevStackRunning(
      `npm start is running (its API answers on ${stack.api_url}) and holds the PGlite database in ${dataDir}: ` +
        "stop it (Ctrl-C), run the import (it starts the dev stack's Cognito emulator itself), then npm start again; " +
        "or run the stack and the import on PostgreSQL (DATABASE_URL)",
    );
  }
}

/**
 * The dev stack's emulator for the import's duration when nothing answers on its endpoint; undefined
 * when one does (npm start's on PostgreSQL, another import's) or the endpoint is not this machine's.
 */
export async function startDevStackCognito(endpoint: string, dataDir: string, env: Env, say: (line: string) => void): Promise<Emulator | undefined> {
  const url = new URL(endpoint);
  if (url.protocol !== "http:" || url.hostname !== "localhost" || !url.port) return undefined;
  if (await answers(endpoint)) return undefined;
  const cognitoDir = path.join(dataDir, "cognito");
  say(`import: npm start is not running; starting the dev stack's Cognito emulator on ${endpoint} (data in ${cognitoDir}) for this import\n`);
  return startEmulator({ port: Number(url.port), dataDir: cognitoDir, env });
}
