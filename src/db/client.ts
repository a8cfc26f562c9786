// The database: PGlite in DATA_DIR/db by default, a PostgreSQL server when DATABASE_URL is set.
// One Drizzle schema and one migration history serve both.
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import { DEFAULT_STATEMENT_TIMEOUT_MS, type DatabaseConfig } from "../config.ts";
import { lockPglite } from "./pglite-lock.ts";
import * as schema from "./tables.ts";
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
  poolStats?: () => { total: number; idle: number; waiting: number; max: number };
  close(): Promise<void>;
}

// Any constant will do: every instance must use the same one so that only one migrates at a time.
export const MIGRATION_LOCK_KEY = 7_301_955_001;

/** Connections per instance's pool. */
const POOL_MAX = 10;

export interface OpenOptions {
  /**
   * Apply pending migrations (the default). When false (PostgreSQL, MIGRATE_ON_START=false), a
   * release step applies them (`npm run migrate`) and the server waits, answering 503, until the
   * schema is the one it was built for.
   */
  migrate?: boolean;
  /** Migrating (or waiting for the schema) failed; it is retried. */
  onMigrationFailure?: (err: unknown) => void;
  /** The schema is up to date: how many migrations this process applied, and how long it took. */
  onMigrated?: (applied: number, ms: number) => void;
}

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  return config.kind === "pglite"
    ? openPglite(config.dir, options)
    : openPostgres(config.url, config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS, options);
}

/** Applies pending migrations and closes the connection: `npm run migrate`, a release step. */
export async function migrateDatabase(config: DatabaseConfig): Promise<{ applied: number; ms: number }> {
  let result = { applied: 0, ms: 0 };
  const database = await openDatabase(config, {
    onMigrated: (applied, ms) => (result = { applied, ms }),
    onMigrationFailure: (err) => {
      throw err;
    },
  });
  await database.close();
  return result;
}

/** The `when` of the newest migration this build carries: the schema it needs. */
async function newestMigration(): Promise<number> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as { entries: { when: number }[] };
  return Math.max(...journal.entries.map((entry) => entry.when));
}

/** How many of this build's migrations a database has applied (drizzle's own bookkeeping). */
async function appliedMigrations(query: (text: string) => Promise<{ rows: unknown[] }>): Promise<number> {
  const exists = await query("select to_regclass('drizzle.__drizzle_migrations') is not null as present");
  if (!(exists.rows[0] as { present: boolean }).present) return 0;
  const result = await query("select count(*)::int as n from drizzle.__drizzle_migrations");
  return (result.rows[0] as { n: number }).n;
}

async function openPglite(dir: string, options: OpenOptions): Promise<Database> {
  // Imported only when used: loading PGlite's module alone costs a server on PostgreSQL ~40 MB RSS.
  const [{ PGlite }, { pg_trgm }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    // The users list's substring search is served by trigram indexes (migration 0006).
    import("@electric-sql/pglite/contrib/pg_trgm"),
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
  ]);
  await mkdir(dir, { recursive: true });
  // Refused while another process has it open: two writers corrupt it (pglite-lock.ts).
  const unlock = await lockPglite(dir);
  let client;
  try {
    client = await PGlite.create(dir, { extensions: { pg_trgm } });
  } catch (err) {
    await unlock();
    throw err;
  }
  const pglite = client;
  const db = drizzlePglite({ client: pglite, schema });
  // PGlite belongs to this one process, so it always migrates (MIGRATE_ON_START is for servers).
  const started = performance.now();
  try {
    const before = await appliedMigrations((text) => pglite.query(text));
    await migratePglite(db, { migrationsFolder: MIGRATIONS_DIR });
    options.onMigrated?.((await appliedMigrations((text) => pglite.query(text))) - before, performance.now() - started);
  } catch (err) {
    await pglite.close().catch(() => {});
    await unlock();
    throw err;
  }
  return {
    kind: "pglite",
    db: db as unknown as Db,
    migrated: true,
    ping: async () => {
      await pglite.query("select 1");
    },
    close: async () => {
      try {
        await pglite.close();
      } finally {
        await unlock();
      }
    },
  };
}

async function openPostgres(url: string, statementTimeoutMs: number, options: OpenOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_MAX,
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
    const started = performance.now();
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, keepAlive: true });
    client.on("error", () => {});
    let applied: number;
    try {
      await client.connect();
      // Instances started together migrate one after another; the later ones find nothing to do.
      // The lock is the session's: closing the connection releases it, whatever happened.
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      const before = await appliedMigrations((text) => client.query(text));
      await migratePg(drizzlePg({ client, schema }), { migrationsFolder: MIGRATIONS_DIR });
      applied = (await appliedMigrations((text) => client.query(text))) - before;
    } finally {
      await client.end().catch(() => {});
    }
    options.onMigrated?.(applied, performance.now() - started);
  };
  // MIGRATE_ON_START=false: the release step migrates; this build only checks that it has.
  const awaitSchema = async () => {
    const [needed, newest] = await Promise.all([
      newestMigration(),
      pool.query("select max(created_at)::float8 as newest from drizzle.__drizzle_migrations").then(
        (result) => (result.rows[0] as { newest: number | null }).newest ?? 0,
        () => 0,
      ),
    ]);
    if (newest < needed) throw new Error("the database's schema is older than this build: run `npm run migrate` (MIGRATE_ON_START=false)");
    options.onMigrated?.(0, 0);
  };
  // The server starts even while PostgreSQL is unreachable, answers 503 meanwhile, and migrates
  // as soon as the database answers.
  const attempt = async (delayMs: number): Promise<void> => {
    try {
      await (options.migrate === false ? awaitSchema() : migrateOnce());
      migrated = true;
    } catch (err) {
      if (stopped) return;
      options.onMigrationFailure?.(err);
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
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: POOL_MAX }),
    close: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await pool.end();
    },
  };
}
