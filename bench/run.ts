// npm run bench [-- --quick] [-- --db postgres] [-- --only BC] [-- --cpu-prof]
// npm run bench -- --scale N: the cost of the data instead (bench/scale.ts).
// "server CPU" is the share of one core the server used during a case: near 1, the server is the
// limit; well below, the load generator (one core too) is, and the ratio understates the server.
// BENCH_PIPELINING=N keeps N requests in flight a connection (default 1): a diagnostic, to see what an idle load generator costs each answer.
// --only runs the named cases of F (a bare Fastify app's /healthz), R (F after one RSA check of B's token), A–E, G (B by a user holding no
// permission), V (B's token with the token cache off, on a second server), P (the peer: Fastify + aws-jwt-verify, bench/peer-fastify.mjs) and W (what a change
// pays for its event, and commit to delivery: bench/webhooks.ts) and never writes BENCHMARKS.md; --cpu-prof writes the server's CPU profile to .prof/ when it exits (open it in
// Chrome DevTools or speedscope).
// Each case is judged against its ceiling, measured in the same run: A against F; B and G against
// A; a path that checks a signature against the cheapest request it could be plus one RSA-2048
// verification v (C and V: 1/(1/B + v); D: 1/(1/A + v)), v timed in a loop as issue 28 has it, and
// again with v in place, what one check adds to a bare Fastify request (1/R − 1/F): a loop keeps
// the check's code and data in the caches, a server does not, and R is the same check with nothing
// of ours around it. Servers log at warn (BENCH_LOG_LEVEL), as the
// peer does not log: the cost of a request's log line is measured apart (--only B with info).
// The server as `npm run serve` runs it (serve-command.ts), pinned to core 0; the load (autocannon) on core 1.
// Rounds alternate F R A B G C V D P, F R A B G C V D P so that machine drift hits every case alike; E runs once, then W.
// F and P are started the same way as the server (plain node, core 0).
import { execFileSync, spawn } from "node:child_process";
import { createPublicKey, randomBytes, verify } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { createScratchDatabase } from "../support/scratch-database.ts";
import { TestIssuer } from "../support/issuer.ts";
import { freePort } from "../support/net.ts";
import { serveArguments, serveEnvironment } from "./serve-command.ts";
import { runScale } from "./scale.ts";
import { runWebhookCase } from "./webhooks.ts";

const quick = process.argv.includes("--quick");
const usePostgres = process.argv.includes("--db") && process.argv[process.argv.indexOf("--db") + 1] === "postgres";
const CONNECTIONS = 50;
/** BENCH_PIPELINING: requests each connection keeps in flight (1, as browsers and SDKs send them). */
const PIPELINING = Number(process.env.BENCH_PIPELINING ?? 1);
const ROUND_SECONDS = quick ? 3 : 10;
const ROUNDS = quick ? 1 : 2;
const FRESH_TOKENS_PER_ROUND = quick ? 8_000 : 50_000;
const NEW_USERS = Number(process.env.BENCH_NEW_USERS ?? (quick ? 300 : 2_000));
/** New users whose first requests warm E's path (the other cases' paths are warm by then) before it is measured. */
const WARM_USERS = quick ? 50 : 300;
const only = process.argv.includes("--only") ? (process.argv[process.argv.indexOf("--only") + 1] ?? "").toUpperCase() : null;
const cpuProfile = process.argv.includes("--cpu-prof");
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "warn";
/** Case B's member holds this many permissions (memberProject in as many projects), as a volunteer would. */
const MEMBER_PERMISSIONS = 5;

/** Creates the member's profile, then grants it memberProject in `count` new projects (as a global admin). */
async function holdingPermissions(base: string, issuer: TestIssuer, token: string, count: number): Promise<void> {
  const call = async (method: string, route: string, bearer: string, body?: unknown) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { uuid: string };
  };
  const me = await call("GET", "/api/v1/me", token);
  const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
  for (let i = 0; i < count; i++) {
    const project = await call("POST", "/api/v1/projects", admin, { name: `Bench project ${i} ${randomBytes(4).toString("hex")}` });
    await call("POST", "/api/v1/user-permissions", admin, { user: me.uuid, permission_type: "memberProject", project: project.uuid });
  }
}

const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();

interface Measured {
  rps: number;
  /** Share of one core the server used, and the load generator (this process). */
  serverCpu: number;
  loadCpu: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Load on `url` of the server whose process is `pid`. */
async function load(pid: number, url: string, options: Partial<autocannon.Options>): Promise<Measured> {
  const started = performance.now();
  const serverBefore = cpuSeconds(pid);
  const loadBefore = process.cpuUsage();
  let lastResponse = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon({ url, connections: CONNECTIONS, pipelining: PIPELINING, ...options }, (err: unknown, done) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(done),
    );
    run.on("response", () => {
      lastResponse = performance.now();
    });
  });
  // Timed here, to the last response: autocannon notices the end of a run on its next one-second
  // sampling tick, so its own duration (and a wall clock around it) carries up to a second of
  // idle tail, 5–10 % of a round and different each time.
  const seconds = (lastResponse - started) / 1000;
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(loadBefore);
  return {
    rps: result.requests.total / seconds,
    serverCpu: (cpuSeconds(pid) - serverBefore) / wall,
    loadCpu: (used.user + used.system) / 1e6 / wall,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function average(runs: Measured[]): Measured {
  const mean = (f: (m: Measured) => number) => runs.reduce((s, m) => s + f(m), 0) / runs.length;
  return {
    rps: mean((m) => m.rps),
    serverCpu: mean((m) => m.serverCpu),
    loadCpu: mean((m) => m.loadCpu),
    p50: mean((m) => m.p50),
    p99: Math.max(...runs.map((m) => m.p99)),
    non2xx: runs.reduce((s, m) => s + m.non2xx, 0),
    errors: runs.reduce((s, m) => s + m.errors, 0),
  };
}

/**
 * One RSA-2048 signature check (what every new token costs case C), in µs on this machine: C and
 * D cannot be cheaper than A plus this, which bounds their ratio to A.
 */
function rsaVerifyMicros(token: string, jwk: object): number {
  const [header, payload, signature] = token.split(".");
  const key = createPublicKey({ key: jwk as never, format: "jwk" });
  const data = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature!, "base64url");
  const check = () => verify("RSA-SHA256", data, key, sig);
  for (let i = 0; i < 2000; i++) check();
  const started = performance.now();
  const n = 20_000;
  for (let i = 0; i < n; i++) check();
  return ((performance.now() - started) * 1000) / n;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function main(): Promise<void> {
  if (hasTaskset) execFileSync("taskset", ["-cp", "1", String(process.pid)], { stdio: "ignore" });
  const issuer = await new TestIssuer().start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "vrms-bench-"));
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const database = usePostgres ? await createScratchDatabase(adminUrl, "vrms_bench") : undefined;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Loopback webhooks: case W's receiver is in this process.
  const env = serveEnvironment(issuer.env(), port, dataDir, database?.url, { AUTH_FAILURE_RATE_LIMIT: "0", LOG_LEVEL: LOG_LEVEL, WEBHOOK_ALLOW_HTTP_LOOPBACK: "true" });
  const command = hasTaskset ? "taskset" : process.execPath;
  const args = [
    ...(hasTaskset ? ["-c", "0", process.execPath] : []),
    ...(cpuProfile ? ["--cpu-prof", "--cpu-prof-dir=.prof"] : []),
    ...serveArguments(),
  ];
  const server = spawn(command, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  const pid = server.pid!;
  const barePort = await freePort();
  const bareBase = `http://127.0.0.1:${barePort}`;
  const bare = spawn(command, [...(hasTaskset ? ["-c", "0", process.execPath] : []), "bench/bare-fastify.mjs"], {
    env: { ...process.env, PORT: String(barePort), BENCH_JWK: JSON.stringify(issuer.keys[0]!.publicJwk) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  /** Another instance of the same build, started as the first was (its own PGlite, or the same PostgreSQL database). */
  const startInstance = async (extraEnv: Record<string, string>) => {
    const instancePort = await freePort();
    const instanceDir = await mkdtemp(path.join(os.tmpdir(), "vrms-bench-"));
    const child = spawn(command, args, { env: { ...env, PORT: String(instancePort), DATA_DIR: instanceDir, ...extraEnv }, stdio: ["ignore", "ignore", "inherit"] });
    const instanceBase = `http://127.0.0.1:${instancePort}`;
    for (let i = 0; !(await fetch(`${instanceBase}/readyz`).then((r) => r.status === 200).catch(() => false)); i++) {
      if (i > 300) throw new Error("another instance did not become ready");
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      base: instanceBase,
      pid: child.pid!,
      stop: async () => {
        const exited = child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
        await rm(instanceDir, { recursive: true, force: true });
      },
    };
  };
  let uncached: Awaited<ReturnType<typeof startInstance>> | undefined;
  const peerPort = await freePort();
  const peerBase = `http://127.0.0.1:${peerPort}`;
  const peer = spawn(command, [...(hasTaskset ? ["-c", "0", process.execPath] : []), "bench/peer-fastify.mjs"], {
    env: { ...process.env, ...issuer.env(), PORT: String(peerPort) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    for (const url of [`${base}/readyz`, `${bareBase}/healthz`, `${peerBase}/api/v1/me`]) {
      for (let i = 0; ; i++) {
        if (i > 300) throw new Error(`${url} did not become ready`);
        const ready = await fetch(url).then((r) => r.status === 200 || r.status === 401).catch(() => false);
        if (ready) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const rssAtStart = rssMb(pid);
    const member = issuer.newUser();
    const token = issuer.mint(member);
    await holdingPermissions(base, issuer, token, MEMBER_PERMISSIONS);
    // G: B's request by a user holding nothing, so that one run shows what 5 permissions cost B.
    const bareToken = issuer.mint(issuer.newUser());
    await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${bareToken}` } });

    const runsCase = (name: string) => only === null || only.includes(name);
    // V: issue 28's C as it measured it: B's token, but the token cache off (TOKEN_CACHE_SIZE=0), so
    // every request checks the signature with the load generator's requests built once, as for B.
    // (C's fresh tokens are built per request: autocannon's dearer path, which can leave the server
    // idle part of the time.) A second server, on its own PGlite or the same PostgreSQL database.
    if (runsCase("V")) {
      uncached = await startInstance({ TOKEN_CACHE_SIZE: "0" });
      await holdingPermissions(uncached.base, issuer, token, MEMBER_PERMISSIONS);
    }

    process.stdout.write(`minting ${FRESH_TOKENS_PER_ROUND * ROUNDS} fresh tokens and ${NEW_USERS} new users' tokens …\n`);
    const fresh = Array.from({ length: ROUNDS }, () =>
      Array.from({ length: runsCase("C") ? FRESH_TOKENS_PER_ROUND : 0 }, () => issuer.mint(member)),
    );
    const newUsers = Array.from({ length: runsCase("E") ? NEW_USERS : 0 }, () => issuer.mint(issuer.newUser()));
    const warmUsers = Array.from({ length: runsCase("E") ? WARM_USERS : 0 }, () => issuer.mint(issuer.newUser()));
    const valid = token.split(".");
    const forged = `${valid[0]}.${valid[1]}.${randomBytes(256).toString("base64url")}`;

    const cases = {
      F: () => load(bare.pid!, `${bareBase}/healthz`, { duration: ROUND_SECONDS }),
      R: () => load(bare.pid!, `${bareBase}/verified`, { duration: ROUND_SECONDS, headers: { authorization: `Bearer ${token}` } }),
      A: () => load(pid, `${base}/healthz`, { duration: ROUND_SECONDS }),
      B: () => load(pid, `${base}/api/v1/me`, { duration: ROUND_SECONDS, headers: { authorization: `Bearer ${token}` } }),
      G: () => load(pid, `${base}/api/v1/me`, { duration: ROUND_SECONDS, headers: { authorization: `Bearer ${bareToken}` } }),
      C: (round: number) => {
        const tokens = fresh[round]!;
        let next = 0;
        return load(pid, `${base}/api/v1/me`, {
          amount: tokens.length,
          // Mutated in place: the load generator must cost far less than the server per request.
          requests: [{ setupRequest: (req) => Object.assign(req, { headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }) }],
        });
      },
      V: () => load(uncached!.pid, `${uncached!.base}/api/v1/me`, { duration: ROUND_SECONDS, headers: { authorization: `Bearer ${token}` } }),
      D: () => load(pid, `${base}/api/v1/me`, { duration: ROUND_SECONDS, headers: { authorization: `Bearer ${forged}` } }),
      P: () => load(peer.pid!, `${peerBase}/api/v1/me`, { duration: ROUND_SECONDS, headers: { authorization: `Bearer ${token}` } }),
    };
    process.stdout.write("warming up …\n");
    await load(bare.pid!, `${bareBase}/healthz`, { duration: 2 });
    await load(pid, `${base}/healthz`, { duration: 2 });
    await load(pid, `${base}/api/v1/me`, { duration: 2, headers: { authorization: `Bearer ${token}` } });
    await load(peer.pid!, `${peerBase}/api/v1/me`, { duration: 2, headers: { authorization: `Bearer ${token}` } });
    // The pool's published key, as the server reads it: one verification's cost bounds C and D.
    const jwks = (await (await fetch(`${issuer.env().COGNITO_ENDPOINT}/${issuer.env().COGNITO_USER_POOL_ID}/.well-known/jwks.json`)).json()) as { keys: object[] };
    const verifyMicros = rsaVerifyMicros(token, jwks.keys[0]!);

    const runs: Record<string, Measured[]> = { F: [], R: [], A: [], B: [], G: [], C: [], V: [], D: [], P: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ["F", "R", "A", "B", "G", "C", "V", "D", "P"] as const) {
        if (!runsCase(name)) continue;
        process.stdout.write(`round ${round + 1}, case ${name} …\n`);
        runs[name]!.push(await cases[name](round));
      }
    }
    const firstRequests = (tokens: string[]) => {
      let next = 0;
      return load(pid, `${base}/api/v1/me`, {
        amount: tokens.length,
        requests: [{ setupRequest: (req) => Object.assign(req, { headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }) }],
      });
    };
    if (runsCase("E")) {
      process.stdout.write("case E …\n");
      await firstRequests(warmUsers);
      runs.E = [await firstRequests(newUsers)];
    }
    const webhookLines: string[] = [];
    if (runsCase("W")) {
      // A second instance of the same build on the same database.
      const secondInstance = () => startInstance({});
      const w = await runWebhookCase({
        base,
        pid,
        issuer,
        quick,
        roundSeconds: ROUND_SECONDS,
        rounds: ROUNDS,
        load,
        cpuSeconds,
        secondInstance: usePostgres ? secondInstance : "PGlite is one process's database: run with --db postgres",
      });
      runs.W0 = w.W0;
      runs.W1 = w.W1;
      webhookLines.push(...w.lines);
    }
    const results = Object.fromEntries(Object.entries(runs).filter(([, m]) => m.length > 0).map(([name, m]) => [name, name === "E" ? m[0]! : average(m)]));
    const report = render(results, { atStart: rssAtStart, afterC: rssMb(pid), peak: peakRssMb(pid) }, verifyMicros, webhookLines);
    process.stdout.write(`\n${report}\n`);
    if (!quick && only === null) writeBenchmarks(report);
    const fiveHundreds = Object.values(results).reduce((s, m) => s + m.errors, 0);
    if (fiveHundreds > 0) process.exitCode = 1;
  } finally {
    server.kill("SIGTERM");
    bare.kill("SIGTERM");
    peer.kill("SIGTERM");
    // A server that already exited (it failed to start) would never emit "exit" again.
    const exited = (child: typeof server) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once("exit", r)));
    await Promise.all([exited(server), exited(bare), exited(peer), uncached?.stop()]);
    await issuer.stop();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const LABELS: Record<string, string> = {
  F: "F bare Fastify `/healthz` (A's yardstick)",
  R: "R bare Fastify, one RSA-2048 check of B's token, then F's answer",
  A: "A `/healthz`",
  B: `B \`/api/v1/me\`, one valid token (a user holding ${MEMBER_PERMISSIONS} permissions)`,
  G: "G `/api/v1/me`, as B, by a user holding no permission",
  C: "C `/api/v1/me`, every token new",
  V: "V `/api/v1/me`, B's token with the token cache off (every request verified)",
  D: "D `/api/v1/me`, forged tokens",
  E: `E first requests of ${NEW_USERS} new users`,
  P: "P peer `/api/v1/me`: Fastify + aws-jwt-verify, users in memory",
  W0: "W0 `PATCH /api/v1/me`, no webhook subscription",
  W1: "W1 `PATCH /api/v1/me`, one subscription (a local receiver answering 204; its deliveries' CPU: below)",
};

/**
 * What a case is measured against: its name, and its req/s (the ceiling) from this run. `verifyMicros`
 * is v: from a loop (issue 28's ceiling) or, where R and F ran, in place (1/R − 1/F).
 */
function ceilingOf(name: string, rps: (name: string) => number | undefined, verifyMicros: number): { of: string; rps: number } | undefined {
  const withVerification = (base: number | undefined) => (base === undefined ? undefined : 1 / (1 / base + verifyMicros / 1e6));
  const found = (of: string, value: number | undefined) => (value === undefined ? undefined : { of, rps: value });
  switch (name) {
    case "A":
      return found("F", rps("F"));
    case "B":
    case "G":
      return found("A", rps("A"));
    case "R":
      return found("1/(1/F + v)", withVerification(rps("F")));
    case "C":
    case "V":
      return found("1/(1/B + v)", withVerification(rps("B")));
    case "D":
      return found("1/(1/A + v)", withVerification(rps("A")));
    default:
      return undefined;
  }
}

/** v in place: what one RSA check adds to a bare Fastify request (R against F), in µs. */
function inPlaceVerifyMicros(rps: (name: string) => number | undefined): number | undefined {
  const r = rps("R");
  const f = rps("F");
  return r === undefined || f === undefined ? undefined : (1 / r - 1 / f) * 1e6;
}

/** issue 28's floors: a ratio to the ceiling, and for the /me cases a multiple of the peer. */
const TARGETS: Record<string, { ceiling?: number; peer?: number }> = { B: { ceiling: 0.85, peer: 2 }, C: { ceiling: 0.85, peer: 1.1 }, V: { ceiling: 0.85, peer: 1.1 }, D: { ceiling: 0.8 } };

function render(results: Record<string, Measured>, rss: { atStart: number; afterC: number; peak: number }, verifyMicros: number, notes: string[]): string {
  const rps = (name: string) => results[name]?.rps;
  const mark = (value: number, floor: number | undefined) => (floor === undefined ? "" : value >= floor ? " ✅" : ` ❌ (≥ ${floor})`);
  const inPlace = inPlaceVerifyMicros(rps);
  const row = ([name, m]: [string, Measured]) => {
    const ceiling = ceilingOf(name, rps, verifyMicros);
    const toCeiling = ceiling ? `${Math.round(ceiling.rps)} (${ceiling.of}) | ${(m.rps / ceiling.rps).toFixed(2)}${mark(m.rps / ceiling.rps, TARGETS[name]?.ceiling)}` : " | ";
    // R is the in-place measure itself: against its own v it is 1 by construction.
    const placeCeiling = inPlace === undefined || name === "R" ? undefined : ceilingOf(name, rps, inPlace);
    const toPlace = placeCeiling && name !== "A" && name !== "B" && name !== "G" ? `${(m.rps / placeCeiling.rps).toFixed(2)}${mark(m.rps / placeCeiling.rps, TARGETS[name]?.ceiling)}` : "";
    const peer = rps("P");
    const toPeer = peer !== undefined && name !== "P" && TARGETS[name]?.peer !== undefined ? `${(m.rps / peer).toFixed(2)}×${mark(m.rps / peer, TARGETS[name]?.peer)}` : "";
    return `| ${LABELS[name]} | ${Math.round(m.rps)} | ${toCeiling} | ${toPlace} | ${toPeer} | ${m.serverCpu.toFixed(2)} | ${((m.serverCpu / m.rps) * 1e6).toFixed(1)} | ${m.p50} | ${m.p99} | ${m.non2xx} | ${m.errors} |`;
  };
  const order = ["F", "R", "A", "B", "G", "C", "V", "D", "P", "E", "W0", "W1"].filter((name) => results[name]);
  const lines = [
    `| case | req/s | ceiling | ratio to ceiling | ratio, v in place | against the peer | server CPU | µs of server CPU a request | p50 ms | p99 ms | non-2xx | errors |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...order.map((name) => row([name, results[name]!])),
  ];
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const setup = [
    `${new Date().toISOString().slice(0, 10)} · ${cpu} · ${os.cpus().length} cores · Node ${process.version} · database ${usePostgres ? "PostgreSQL" : "PGlite"} · servers log at ${LOG_LEVEL} · load average ${os.loadavg()[0]!.toFixed(1)} at the end`,
    `each server pinned to core 0${hasTaskset ? "" : " (taskset unavailable: not pinned)"}, autocannon with ${CONNECTIONS} connections on core 1; ${ROUNDS} alternating rounds of ${ROUND_SECONDS} s (C: ${FRESH_TOKENS_PER_ROUND} fresh tokens a round)`,
    `RSS of the server: ${rss.atStart} MB when ready, ${rss.afterC} MB after the rounds (C: ${FRESH_TOKENS_PER_ROUND * ROUNDS} tokens cached), peak ${rss.peak} MB`,
    `v, one RSA-2048 verification (node:crypto, one-shot): ${verifyMicros.toFixed(1)} µs here in a loop${inPlace === undefined ? "" : `, ${inPlace.toFixed(1)} µs in place (1/R − 1/F: what it adds to a bare Fastify request)`}`,
  ];
  return [...setup.map((l) => `${l}  `), "", ...lines, ...(notes.length > 0 ? ["", ...notes.map((l) => `${l}  `)] : [])].join("\n");
}

function writeBenchmarks(report: string): void {
  const file = "BENCHMARKS.md";
  const head = "# Benchmarks\n\nMeasured by `npm run bench` (bench/run.ts) in one run on this machine; the ratios are what to compare across machines.\n";
  const previous = existsSync(file) ? readFileSync(file, "utf8") : head;
  const section = `\n## ${usePostgres ? "PostgreSQL" : "PGlite"} run\n\n${report}\n`;
  const marker = `\n## ${usePostgres ? "PostgreSQL" : "PGlite"} run\n`;
  const start = previous.indexOf(marker);
  const rest = start === -1 ? "" : previous.slice(start + marker.length);
  const after = start === -1 ? "" : rest.slice(rest.indexOf("\n## ") === -1 ? rest.length : rest.indexOf("\n## "));
  writeFileSync(file, `${start === -1 ? previous.trimEnd() + "\n" : previous.slice(0, start)}${section}${after}`);
}

if (process.argv.includes("--scale")) await runScale();
else await main();
