// The databases every database test runs on: PGlite always; PostgreSQL when TEST_DATABASE_URL is
// set (required under CI=true). Each test server gets a fresh database of its own.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";

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

export const pglite: DatabaseKind = {
  name: "pglite",
  async create() {
    const dir = await tempDir();
    return { env: { DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
  },
};

export const postgres: DatabaseKind = {
  name: "postgres",
  ...(testDatabaseUrl ? {} : { unavailable: "TEST_DATABASE_URL is not set" }),
  async create() {
    if (!testDatabaseUrl) throw new Error("TEST_DATABASE_URL is not set");
    const name = `vrms_t_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(testDatabaseUrl);
    url.pathname = `/${name}`;
    const dir = await tempDir();
    return {
      env: { DATA_DIR: dir, DATABASE_URL: url.toString() },
      drop: async () => {
        const client = new pg.Client({ connectionString: testDatabaseUrl });
        await client.connect();
        await client.query(`drop database if exists ${name} with (force)`);
        await client.end();
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
