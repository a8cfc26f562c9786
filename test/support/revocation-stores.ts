// Revocation stores in one test process, each as another instance would be: its own view of a
// shared database, with a notification connection the test puts up and down.
import type { FastifyBaseLogger } from "fastify";
import { pino } from "pino";
import type { Database } from "../../src/db/client.ts";
import { RevocationStore } from "../../src/sessions/revocations.ts";

export const silentLogger = pino({ level: process.env.DEBUG_TEST ? "debug" : "silent" }) as unknown as FastifyBaseLogger;

/** `database` as an instance whose notification connection the test puts up and down (and which never delivers). */
export function withoutNotifications(database: Database, db: Database["db"] = database.db) {
  const control = { setListening: (_listening: boolean) => {} };
  const view: Database = {
    kind: database.kind,
    db,
    migrated: true,
    ping: () => database.ping(),
    close: async () => {},
    listen: async (_channel, _onMessage, onState) => {
      control.setListening = onState;
      onState(true);
      return async () => {};
    },
  };
  return { view, control };
}

export const nowSec = () => Math.floor(Date.now() / 1000);

/**
 * Stores over the test database `database()` (read when called: the database opens in `before`):
 * readers, each an instance whose notifications the test puts up and down; writers, as other
 * instances' routes write; and `stopAll` for `after`.
 */
export function revocationStores(database: () => Database) {
  const started: RevocationStore[] = [];
  return {
    reader: async (options: { reloadMs?: number } = {}) => {
      const { view, control } = withoutNotifications(database());
      const store = new RevocationStore(view, silentLogger, { retainSeconds: 3600, ...options });
      started.push(store);
      await store.start();
      return { store, control };
    },
    writer: (retainSeconds = 3600) => new RevocationStore(database(), silentLogger, { retainSeconds }),
    token: (sessionId: string, sub = "someone") => ({ sub, sessionId, exp: nowSec() + 60 }),
    revoked: (store: RevocationStore, sessionId: string) => store.isRevoked({ sub: "someone", sessionId, authTime: nowSec() }),
    stopAll: async () => {
      for (const store of started) await store.stop();
    },
  };
}
