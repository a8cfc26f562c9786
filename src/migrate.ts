// npm run migrate: applies pending migrations and exits, as a release step before new instances
// start (with MIGRATE_ON_START=false they then only check that the schema is current).
import { ConfigError, loadDatabaseConfig } from "./config.ts";
import { migrateDatabase } from "./db/client.ts";

try {
  const { applied, ms } = await migrateDatabase(loadDatabaseConfig());
  console.log(applied === 0 ? "migrations: the schema is current" : `migrations: ${applied} applied in ${Math.round(ms)} ms`);
  process.exit(0);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }
  console.error(`migrations failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
