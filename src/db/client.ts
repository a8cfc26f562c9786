// The database: PGlite in DATA_DIR/db by default, a PostgreSQL server when DATABASE_URL is set.
// One Drizzle schema and one migration history serve both.
import { mkdir } from "node:fs/promises";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import { DEFAULT_STATEMENT_TIMEOUT_MS, type DatabaseConfig } from "../config.ts";
import { listenPostgres, type Unlisten } from "./notifications.ts";
import * as schema from "./schema.ts";
import { MIGRATIONS_DIR } from "../paths.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  kind: DatabaseConfig["kind"];
  db: Db;
  /** Whether the schema is up to date; until then nothing may query the tables. */
  readonly migrated: boolean;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** PostgreSQL only: the pool's connections, for metrics. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  /** PostgreSQL only: notifications from other instances (PGlite serves one process). */
  listen?: (channel: string, onMessage: (payload: string) => void, onState: (listening: boolean) => void) => Promise<Unlisten>;
  close(): Promise<void>;
}

// Any constant will do: every instance must use the same one so that only one migrates at a time.
export const MIGRATION_LOCK_KEY = 7_301_955_001;

export async function openDatabase(config: DatabaseConfig, onMigrationFailure: (err: unknown) => void = () => {}): Promise<Database> {
  return config.kind === "pglite"
    ? openPglite(config.dir)
    : openPostgres(config.url, config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS, onMigrationFailure);
}

async function openPglite(dir: string): Promise<Database> {
  // Imported only when used: loading PGlite's module alone costs a server on PostgreSQL ~40 MB RSS.
  const [{ PGlite }, { pg_trgm }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    // The users list's substring search is served by trigram indexes (migration 0006).
    import("@electric-sql/pglite/contrib/pg_trgm"),
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
  ]);
  await mkdir(dir, { recursive: true });
  const client = await PGlite.create(dir, { extensions: { pg_trgm } });
  const db = drizzlePglite({ client, schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_DIR });
  return {
    kind: "pglite",
    db: db as unknown as Db,
    migrated: true,
    ping: async () => {
      await client.query("select 1");
    },
    close: () => client.close(),
  };
}

async function openPostgres(url: string, statementTimeoutMs: number, onMigrationFailure: (err: unknown) => void): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    // Sent as each connection opens: the server cancels a statement that runs longer (57014,
    // answered 503), so that no caller can keep a backend busy after its request gave up.
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    // A connection whose server vanished mid-query must not hold a request forever. Later than the
    // server's own timeout: a client that gave up first would leave the statement running there.
    query_timeout: statementTimeoutMs > 0 ? statementTimeoutMs + 5000 : 10_000,
  });
  // An idle client whose server went away must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const db = drizzlePg({ client: pool, schema });
  let migrated = false;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  // On a connection of its own, without the API's statement timeout: building an index on a large
  // table, or waiting for another instance's migrations, takes longer than any request may.
  const migrateOnce = async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, keepAlive: true });
    client.on("error", () => {});
    try {
      await client.connect();
      // Instances started together migrate one after another; the later ones find nothing to do.
      // The lock is the session's: closing the connection releases it, whatever happened.
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      await migratePg(drizzlePg({ client, schema }), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await client.end().catch(() => {});
    }
  };
  // The server starts even while PostgreSQL is unreachable, answers 503 meanwhile, and migrates
  // as soon as the database answers.
  const attempt = async (delayMs: number): Promise<void> => {
    try {
      await migrateOnce();
      migrated = true;
    } catch (err) {
      if (stopped) return;
      onMigrationFailure(err);
      retry = setTimeout(() => void attempt(Math.min(delayMs * 2, 5000)), delayMs);
      retry.unref();
    }
  };
  await attempt(500);

  return {
    kind: "postgres",
    db: db as unknown as Db,
    get migrated() {
      return migrated;
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    listen: (channel, onMessage, onState) => listenPostgres(url, channel, onMessage, onState),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await pool.end();
    },
  };
}
