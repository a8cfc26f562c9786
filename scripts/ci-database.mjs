// CI helper with the pg package (the psql client may be absent):
//   ping ADMIN_URL | create ADMIN_URL (prints the new database's URL) | drop ADMIN_URL DB_URL
import { randomBytes } from "node:crypto";
import pg from "pg";

const [command, adminUrl, dbUrl] = process.argv.slice(2);

async function withAdmin(fn) {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

if (command === "ping") {
  await withAdmin((c) => c.query("select 1"));
} else if (command === "create") {
  const name = `vrms_ci_${randomBytes(6).toString("hex")}`;
  await withAdmin((c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  console.log(url.toString());
} else if (command === "drop") {
  const name = new URL(dbUrl).pathname.slice(1);
  if (!/^vrms_ci_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
} else {
  console.error("usage: ci-database.mjs ping|create|drop ADMIN_URL [DB_URL]");
  process.exit(2);
}
