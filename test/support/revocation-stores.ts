// Revocation stores in one test process, each as another instance would be: its own view of a
// shared database, with a notification connection the test puts up and down.
import type { FastifyBaseLogger } from "fastify";
import { pino } from "pino";
import type { Database } from "../../src/db/client.ts";

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
