// Revocation stores in one test process, each as another instance would be: its own store over a
// shared database.
import type { FastifyBaseLogger } from "fastify";
import { pino } from "pino";
import type { Database } from "../../src/db/client.ts";
import { POLL_MS, RevocationStore } from "../../src/sessions/revocations.ts";

export const silentLogger = pino({ level: process.env.DEBUG_TEST ? "debug" : "silent" }) as unknown as FastifyBaseLogger;

export const nowSec = () => Math.floor(Date.now() / 1000);

/**
 * Stores over the test database `database()` (read when called: the database opens in `before`):
 * readers, each an instance that polls it (at PostgreSQL's pace on PGlite too: two stores share
 * one PGlite here, which no deployment does); writers, as other instances' routes write; and
 * `stopAll` for `after`.
 */
export function revocationStores(database: () => Database) {
  const started: RevocationStore[] = [];
  return {
    reader: async () => {
      const store = new RevocationStore(database(), silentLogger, { retainSeconds: 3600, pollMs: POLL_MS });
      started.push(store);
      await store.start();
      return { store };
    },
    writer: (retainSeconds = 3600) => new RevocationStore(database(), silentLogger, { retainSeconds }),
    token: (sessionId: string, sub = "someone") => ({ sub, sessionId, exp: nowSec() + 60 }),
    revoked: (store: RevocationStore, sessionId: string) => store.isRevoked({ sub: "someone", sessionId, authTime: nowSec() }),
    stopAll: async () => {
      for (const store of started) await store.stop();
    },
  };
}
