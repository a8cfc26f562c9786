// The databases every database test runs on: PGlite always; PostgreSQL when TEST_DATABASE_URL is
// set (required under CI=true). Each test server gets a fresh database of its own.
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { createScratchDatabase } from "../../support/scratch-database.ts";
import { migratedPgliteTemplate } from "./pglite-template.ts";

export interface TestDatabase {
  /** Environment for the server: DATA_DIR, and DATABASE_URL for PostgreSQL. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export interface DatabaseKind {
  name: "pglite" | "postgres";
  /** Why this kind's tests cannot run here; under CI=true such a test fails instead of skipping. */
  unavailable?: string;
  create(): Promise<TestDatabase>;
}

const testDatabaseUrl = process.env.TEST_DATABASE_URL;

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), "vrms-test-"));
}

/**
 * A copy of the folder `from` at `to`. cp(1) copies the template's thousand files in ~0.15 s where
 * fs.cp takes ~1.3 s (one file after another, each with its own stat calls); fs.cp where cp fails.
 */
export async function copyFolder(from: string, to: string): Promise<void> {
  try {
    await promisify(execFile)("cp", ["-R", "-p", from, to]);
  } catch {
    await rm(to, { recursive: true, force: true });
    await cp(from, to, { recursive: true });
  }
}

export const pglite: DatabaseKind = {
  name: "pglite",
  async create() {
    const dir = await tempDir();
    // A copy of a migrated database: PGlite's initdb and the migrations cost seconds per server.
    await copyFolder(await migratedPgliteTemplate(), path.join(dir, "db"));
    return { env: { DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
  },
};


export const postgres: DatabaseKind = {
  name: "postgres",
  ...(testDatabaseUrl ? {} : { unavailable: "TEST_DATABASE_URL is not set" }),
  async create() {
    if (!testDatabaseUrl) throw new Error("TEST_DATABASE_URL is not set");
    const database = await createScratchDatabase(testDatabaseUrl, "vrms_t");
    const dir = await tempDir();
    return {
      env: { DATA_DIR: dir, DATABASE_URL: database.url },
      drop: async () => {
        await database.drop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

export const DATABASE_KINDS: DatabaseKind[] = [pglite, postgres];

/**
 * node:test options for a test that needs `kind`: skipped with the reason printed, except under
 * CI=true, where the test runs and fails on the missing database.
 */
export function requires(kind: DatabaseKind): { skip?: string } {
  if (!kind.unavailable || process.env.CI === "true") return {};
  return { skip: `${kind.name}: ${kind.unavailable}` };
}

/**
 * A connection of its own to a test database: its PostgreSQL database, or its folder's PGlite.
 * Without the API's statement timeout: a test's setup writes in bulk, not as a request does.
 */
export async function openTestDatabase(copy: TestDatabase): Promise<Database> {
  return copy.env.DATABASE_URL
    ? openDatabase({ kind: "postgres", url: copy.env.DATABASE_URL, statementTimeoutMs: 0 })
    : openDatabase({ kind: "pglite", dir: path.join(copy.env.DATA_DIR!, "db") });
}
