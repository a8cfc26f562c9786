// One migrated PGlite data directory per version of the migrations (and of PGlite), shared by
// every test process of a run and by later runs: each test server starts from a copy of it.
// The migrations themselves still run for real, once, when the template is built.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../../src/db/client.ts";
import { MIGRATIONS_DIR } from "../../src/paths.ts";

let template: Promise<string> | undefined;

async function migrationsDigest(): Promise<string> {
  const hash = createHash("sha256");
  // The package's manifest is not exported: found beside its entry point (dist/index.cjs).
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  hash.update(await readFile(path.join(path.dirname(entry), "..", "package.json")));
  for (const dir of [MIGRATIONS_DIR, path.join(MIGRATIONS_DIR, "meta")]) {
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith(".sql") || name.endsWith(".json")) hash.update(name).update(await readFile(path.join(dir, name)));
    }
  }
  return hash.digest("hex").slice(0, 16);
}

async function build(): Promise<string> {
  const target = path.join(os.tmpdir(), `vrms-pglite-template-${await migrationsDigest()}`);
  if (existsSync(path.join(target, "READY"))) return target;
  // Built aside and renamed into place, so that concurrent test processes never see half of one.
  const scratch = `${target}.${process.pid}-${randomBytes(4).toString("hex")}`;
  const database = await openDatabase({ kind: "pglite", dir: scratch });
  await database.close();
  await writeFile(path.join(scratch, "READY"), "");
  try {
    await rename(scratch, target);
  } catch {
    // Another process finished first: its template is as good as ours.
    await rm(scratch, { recursive: true, force: true });
  }
  await removeStaleTemplates(target);
  return target;
}

/**
 * Templates of older migrations, untouched for a day: 40 MB each, in memory where npm test puts
 * its temporary folders (/dev/shm). A day, so that a run of another checkout still using its own is left alone.
 */
async function removeStaleTemplates(current: string): Promise<void> {
  const dir = path.dirname(current);
  for (const name of await readdir(dir)) {
    const full = path.join(dir, name);
    if (!name.startsWith("vrms-pglite-template-") || full === current) continue;
    const touched = await stat(full).then((s) => s.mtimeMs, () => Date.now());
    if (Date.now() - touched > 24 * 3600_000) await rm(full, { recursive: true, force: true });
  }
}

export function migratedPgliteTemplate(): Promise<string> {
  template ??= build();
  return template;
}
