// Case W of npm run bench: what a change pays for its event, and how soon its webhook arrives.
// W0: PATCH /api/v1/me with no subscription; W1: the same with one subscription to a local
// receiver answering 204 (its deliveries drained before the round ends, their CPU counted).
// Then, on PostgreSQL, the time from a change's commit to its delivery with two instances
// delivering; PGlite is one process's database, so that part is skipped there, saying so.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type autocannon from "autocannon";
import type { TestIssuer } from "../support/issuer.ts";

interface Loaded {
  non2xx: number;
  errors: number;
}

export interface WebhookBench<M extends Loaded> {
  base: string;
  pid: number;
  issuer: TestIssuer;
  quick: boolean;
  roundSeconds: number;
  rounds: number;
  load: (pid: number, url: string, options: Partial<autocannon.Options>) => Promise<M>;
  cpuSeconds: (pid: number) => number;
  /** A second instance on the same database (PostgreSQL), or why there is none. */
  secondInstance: (() => Promise<{ base: string; stop: () => Promise<void> }>) | string;
}

/** A receiver answering 204 at once, noting when each change's event (by its last_name) arrived. */
class Receiver {
  readonly arrivals = new Map<string, number>();
  private server: http.Server | undefined;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const at = performance.now();
        try {
          const name = (JSON.parse(Buffer.concat(chunks).toString()) as { data?: { last_name?: string } }).data?.last_name;
          if (name && !this.arrivals.has(name)) this.arrivals.set(name, at);
        } catch {
          // Not an event: counted as nothing.
        }
        res.writeHead(204).end();
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

async function call(base: string, method: string, route: string, token: string, body?: unknown): Promise<{ uuid?: string }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? {} : ((await res.json()) as { uuid?: string });
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

export async function runWebhookCase<M extends Loaded>(bench: WebhookBench<M>): Promise<{ W0: M[]; W1: M[]; lines: string[] }> {
  const { base, pid, issuer, load, cpuSeconds } = bench;
  const users = bench.quick ? 50 : 200;
  const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
  const tokens = Array.from({ length: users }, () => issuer.mint(issuer.newUser()));
  // Their profiles first (user.created and the fill-in from Cognito are not what is measured).
  await call(base, "GET", "/api/v1/me", admin);
  for (let i = 0; i < tokens.length; i += 50) await Promise.all(tokens.slice(i, i + 50).map((t) => call(base, "GET", "/api/v1/me", t)));
  const receiver = new Receiver();
  const url = await receiver.start();
  const subscribe = async () => (await call(base, "POST", "/api/v1/webhooks", admin, { url, events: ["user.updated"], description: "bench" })).uuid!;
  let sequence = 0;
  /** Changes as fast as the server takes them; each sets a new last_name, so each is an event. */
  const changes = async () => {
    let sent = 0;
    /** The names of the changes answered 2xx (the answer is the profile, as the change left it). */
    const names: string[] = [];
    const measured = await load(pid, `${base}/api/v1/me`, {
      duration: bench.roundSeconds,
      requests: [
        {
          setupRequest: (req) => {
            const name = `w${++sequence}`;
            return Object.assign(req, {
              method: "PATCH",
              headers: { authorization: `Bearer ${tokens[sent++ % tokens.length]}`, "content-type": "application/json" },
              body: JSON.stringify({ last_name: name }),
            });
          },
          onResponse: (status: number, body: string) => {
            if (status >= 200 && status < 300) names.push((JSON.parse(body) as { last_name: string }).last_name);
          },
        },
      ],
    });
    return { measured, names };
  };

  const W0: M[] = [];
  const W1: M[] = [];
  const lines: string[] = [];
  const micros = { W0: [] as number[], W1: [] as number[] };
  try {
    for (let round = 0; round < bench.rounds; round++) {
      process.stdout.write(`round ${round + 1}, case W0 …\n`);
      const cpu0 = cpuSeconds(pid);
      const without = await changes();
      W0.push(without.measured);
      micros.W0.push(((cpuSeconds(pid) - cpu0) / without.names.length) * 1e6);

      process.stdout.write(`round ${round + 1}, case W1 …\n`);
      const subscription = await subscribe();
      const cpu1 = cpuSeconds(pid);
      const started = performance.now();
      const withOne = await changes();
      const loaded = performance.now();
      // Every change that succeeded has its event delivered before the round's CPU is read.
      const expected = withOne.names.length;
      const drained = await until(() => withOne.names.every((n) => receiver.arrivals.has(n)), 60_000);
      W1.push(withOne.measured);
      micros.W1.push(((cpuSeconds(pid) - cpu1) / withOne.names.length) * 1e6);
      lines.push(
        `W1 round ${round + 1}: ${expected} changes in ${((loaded - started) / 1000).toFixed(1)} s, their deliveries ${drained ? `all in ${((performance.now() - loaded) / 1000).toFixed(1)} s after the load ended` : "NOT all in within 60 s"}`,
      );
      await call(base, "DELETE", `/api/v1/webhooks/${subscription}`, admin);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    lines.push(
      `W: µs of server CPU a change, its deliveries included: ${mean(micros.W0).toFixed(0)} with no subscription, ${mean(micros.W1).toFixed(0)} with one (+${(mean(micros.W1) - mean(micros.W0)).toFixed(0)})`,
    );

    if (typeof bench.secondInstance === "string") {
      lines.push(`W commit to delivery with 2 instances: skipped (${bench.secondInstance})`);
    } else {
      process.stdout.write("case W, commit to delivery with 2 instances …\n");
      const second = await bench.secondInstance();
      try {
        const subscription = await subscribe();
        const count = bench.quick ? 100 : 400;
        const answered = new Map<string, number>();
        const pending: Promise<void>[] = [];
        // A steady 50 changes a second, alternating instances, each its own user's: latency, not throughput.
        for (let i = 0; i < count; i++) {
          const name = `l${++sequence}`;
          const on = i % 2 === 0 ? base : second.base;
          pending.push(call(on, "PATCH", "/api/v1/me", tokens[i % tokens.length]!, { last_name: name }).then(() => void answered.set(name, performance.now())));
          await new Promise((r) => setTimeout(r, 20));
        }
        await Promise.all(pending);
        const all = await until(() => [...answered.keys()].every((n) => receiver.arrivals.has(n)), 30_000);
        const latencies = [...answered].filter(([n]) => receiver.arrivals.has(n)).map(([n, at]) => receiver.arrivals.get(n)! - at).sort((a, b) => a - b);
        lines.push(
          `W commit to delivery with 2 instances (from the change's answer, just after its commit, to the receiver; ${count} changes at 50/s): p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms${all ? "" : `; ${count - latencies.length} NOT delivered within 30 s`}`,
        );
        await call(base, "DELETE", `/api/v1/webhooks/${subscription}`, admin);
      } finally {
        await second.stop();
      }
    }
  } finally {
    await receiver.stop();
  }
  return { W0, W1, lines };
}
