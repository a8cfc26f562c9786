// npm run bench -- --scale N [--db pglite|postgres] [--idle-seconds S] [--settle-seconds S]
// The cost of the data (issue 18): a scratch database seeded with N users and N revoked sessions
// that have not expired, then the server as `npm run serve` runs it, timed from spawn to /readyz,
// its RSS when ready, three admin user-list requests, and its CPU while idle (measured once the
// start-up's garbage is collected: --settle-seconds after the requests, 30 by default). Both databases
// unless --db names one. PostgreSQL: a database made and dropped with scripts/ci-database.mjs.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase } from "../src/db/client.ts";
import type { DatabaseConfig } from "../src/config.ts";
import { TestIssuer } from "../support/issuer.ts";
import { freePort } from "../support/net.ts";
import { serveArguments, serveEnvironment } from "./serve-command.ts";

const CLOCK_TICKS = 100;
const SEED_BATCH = 10_000;

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** Seeds through the app's own migrations, so that the schema is the one the server expects. */
export async function seed(config: DatabaseConfig, n: number): Promise<void> {
  const database = await openDatabase(config);
  try {
    // In batches: each statement stays within the pool's statement timeout (5 s), trigram indexes and all.
    for (let from = 1; from <= n; from += SEED_BATCH) {
      const to = Math.min(n, from + SEED_BATCH - 1);
      // md5 gives names with no 'z' or 'q' in them: `?search=zzq` matches nothing, the worst case
      // for a scan (every row read, none returned).
      await database.db.execute(sql`
        insert into users (cognito_sub, username, email, first_name, last_name, is_active, created_at)
        select 'seed-' || i, 'user' || i, 'user' || i || '@example.org',
               substr(md5('f' || i), 1, 8), substr(md5('l' || i), 1, 10), i % 10 <> 0,
               now() - make_interval(secs => i)
        from generate_series(${from}::int, ${to}::int) as i`);
      await database.db.execute(sql`
        insert into revoked_sessions (session_id, sub, expires_at)
        select gen_random_uuid()::text, 'seed-' || i, now() + interval '30 days'
        from generate_series(${from}::int, ${to}::int) as i`);
    }
    await database.db.execute(sql`analyze`);
  } finally {
    await database.close();
  }
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime: fields 14 and 15 of stat, 12 and 13 after the command name.
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid: number): number {
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024);
}

interface Row {
  readyMs: number;
  rssMb: number;
  firstPageMs: number;
  searchMs: number;
  page50Ms: number;
  idleCpuMsPerMinute: number;
}

async function measure(kind: "pglite" | "postgres", n: number, idleSeconds: number, settleSeconds: number, args: string[]): Promise<Row> {
  const issuer = await new TestIssuer().start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "vrms-scale-"));
  const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const url = kind === "postgres" ? execFileSync("node", ["scripts/ci-database.mjs", "create", adminUrl], { encoding: "utf8" }).trim() : undefined;
  try {
    const config: DatabaseConfig = url ? { kind: "postgres", url } : { kind: "pglite", dir: path.join(dataDir, "db") };
    const seeding = performance.now();
    await seed(config, n);
    process.stdout.write(`${kind}: seeded ${n} users and ${n} revoked sessions in ${Math.round(performance.now() - seeding)} ms\n`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = serveEnvironment(issuer.env(), port, dataDir, url, { LOG_LEVEL: "warn" });
    const started = performance.now();
    const server = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "inherit"] });
    const pid = server.pid!;
    try {
      for (;;) {
        if (performance.now() - started > 120_000) throw new Error("the server did not become ready");
        if (await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const readyMs = performance.now() - started;
      const rss = rssMb(pid);
      const headers = { authorization: `Bearer ${issuer.mint(issuer.newUser({ groups: ["admin"] }))}` };
      const time = async (query: string) => {
        const get = async () => {
          const t = performance.now();
          const response = await fetch(`${base}/api/v1/users${query}`, { headers });
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`${query}: ${response.status}`);
          return performance.now() - t;
        };
        await get();
        const runs: number[] = [];
        for (let i = 0; i < 7; i++) runs.push(await get());
        return runs.sort((a, b) => a - b)[3]!;
      };
      const firstPageMs = await time("");
      const searchMs = await time("?search=zzq");
      const page50Ms = await time("?ordering=last_name&page=50");
      await new Promise((r) => setTimeout(r, settleSeconds * 1000));
      const before = cpuTicks(pid);
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      const idleCpuMsPerMinute = (((cpuTicks(pid) - before) / CLOCK_TICKS) * 1000 * 60) / idleSeconds;
      return { readyMs, rssMb: rss, firstPageMs, searchMs, page50Ms, idleCpuMsPerMinute };
    } finally {
      server.kill("SIGTERM");
      await new Promise((r) => server.once("exit", r));
    }
  } finally {
    await issuer.stop();
    if (url) execFileSync("node", ["scripts/ci-database.mjs", "drop", adminUrl, url]);
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runScale(): Promise<void> {
  const n = Number(argument("--scale"));
  if (!Number.isInteger(n) || n < 0) throw new Error("--scale takes a whole number of users");
  const idleSeconds = Number(argument("--idle-seconds") ?? 60);
  const settleSeconds = Number(argument("--settle-seconds") ?? 30);
  const db = argument("--db");
  const kinds: ("postgres" | "pglite")[] = db === "postgres" || db === "pglite" ? [db] : ["postgres", "pglite"];
  const args = serveArguments();
  const rows: [string, Row][] = [];
  for (const kind of kinds) rows.push([kind, await measure(kind, n, idleSeconds, settleSeconds, args)]);
  const ms = (v: number) => `${Math.round(v)} ms`;
  const table = [
    `${new Date().toISOString().slice(0, 10)} · ${os.cpus()[0]?.model ?? "unknown CPU"} · ${os.cpus().length} cores · Node ${process.version} · ${n} users + ${n} revoked sessions · idle CPU over ${idleSeconds} s from ${settleSeconds} s after the requests`,
    "",
    `| | ${rows.map(([kind]) => (kind === "postgres" ? "PostgreSQL" : "PGlite")).join(" | ")} |`,
    `| --- | ${rows.map(() => "---:").join(" | ")} |`,
    `| start to \`/readyz\` 200 | ${rows.map(([, r]) => ms(r.readyMs)).join(" | ")} |`,
    `| RSS when ready | ${rows.map(([, r]) => `${r.rssMb} MB`).join(" | ")} |`,
    `| admin \`GET /api/v1/users\` (first page, with \`count\`) | ${rows.map(([, r]) => ms(r.firstPageMs)).join(" | ")} |`,
    `| admin \`?search=zzq\` | ${rows.map(([, r]) => ms(r.searchMs)).join(" | ")} |`,
    `| admin \`?ordering=last_name&page=50\` | ${rows.map(([, r]) => ms(r.page50Ms)).join(" | ")} |`,
    `| CPU of an idle instance, a minute | ${rows.map(([, r]) => ms(r.idleCpuMsPerMinute)).join(" | ")} |`,
  ];
  process.stdout.write(`\n${table.join("\n")}\n`);
}
