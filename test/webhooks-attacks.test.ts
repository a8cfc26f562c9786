// Issue 25's attacker review: a webhook is the server making requests where a caller says, so
// every way of pointing it inside the network is refused: at creation (400 naming why), and at
// delivery on each address the name resolves to (DNS rebinding), with no redirect followed, at
// most 64 KB of an answer read, and 10 s at most. Secrets are shown once and never logged.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import pino from "pino";
import { WebhookDispatcher } from "../src/webhooks/dispatcher.ts";
import { WebhookRepository } from "../src/webhooks/repository.ts";
import { unsafeUrl } from "../src/webhooks/safe-url.ts";
import { MAX_ANSWER_BYTES, SEND_TIMEOUT_MS, WebhookSender, type Resolve } from "../src/webhooks/send.ts";
import { openTestDatabase, pglite } from "./support/databases.ts";
import { people } from "./support/people.ts";
import { issuerAndServer, type Json } from "./support/server.ts";
import { until } from "./support/wait.ts";

/** URLs refused at creation by a server without WEBHOOK_ALLOW_HTTP_LOOPBACK, and why. */
const REFUSED: [string, RegExp][] = [
  ["http://example.org/hook", /https/],
  ["ftp://example.org/hook", /https/],
  ["file:///etc/passwd", /https/],
  ["javascript:alert(1)", /https/],
  ["not-a-url", /absolute URL/],
  ["https://exam\tple.org/hook", /control characters/], // the parser would call https://example.org/hook
  ["https://example.org/ho\nok", /control characters/],
  ["https://127.0.0.1/hook", /loopback/],
  ["https://2130706433/hook", /loopback/], // 127.0.0.1 written as one number
  ["https://0x7f.1/hook", /loopback/],
  ["https://localhost/hook", /loopback/],
  ["https://api.localhost/hook", /loopback/],
  ["https://localhost./hook", /loopback/], // fully qualified
  ["https://[::a9fe:a9fe]/", /IPv4-compatible/], // ::169.254.169.254, deprecated but routed by some hosts
  ["https://[::1]/hook", /loopback/],
  ["https://10.1.2.3/hook", /private/],
  ["https://172.16.0.1/hook", /private/],
  ["https://192.168.1.10/hook", /private/],
  ["https://169.254.169.254/latest/meta-data/", /link-local/],
  ["https://100.100.100.200/", /carrier-grade/], // Alibaba Cloud's metadata
  ["https://[fd00:ec2::254]/", /unique-local/], // AWS's IPv6 metadata
  ["https://[fe80::1]/", /link-local/],
  ["https://[::ffff:127.0.0.1]/", /IPv4-mapped/],
  ["https://[::ffff:a9fe:a9fe]/", /IPv4-mapped/],
  ["https://[64:ff9b::a9fe:a9fe]/", /not a public one/], // NAT64 of 169.254.169.254
  ["https://0.0.0.0/", /unspecified/],
  ["https://224.0.0.1/", /multicast/],
  ["https://user:pass@example.org/hook", /credentials/],
  [`https://example.org/${"a".repeat(2001)}`, /more than 2000 characters/],
];

/** A local server answering every request with `answer`; counts what it got. */
async function localServer(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    req.resume();
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const resolvingTo = (...addresses: string[]): Resolve => (_host, _options, callback) =>
  callback(null, addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })));

describe("webhook URLs refused at creation", () => {
  const { issuer, app } = issuerAndServer(pglite, { env: { COGNITO_TOKEN_USE: "any", LOG_LEVEL: "info", COGNITO_SERVICE_CLIENT_IDS: "testservice1234567890abcd" } });
  const who = people(issuer, app);
  let admin: { token: string };

  before(async () => {
    admin = await who.signedIn(["admin"]);
  });

  it("every unsafe URL is a 400 naming why, on create and on change", async () => {
    for (const [url, why] of REFUSED) {
      const res = await app.request("POST", "/api/v1/webhooks", { token: admin.token, body: { url, events: ["*"] } });
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.headers.get("content-type"), "application/problem+json; charset=utf-8");
      const errors = res.body.errors as { field: string; message: string }[];
      assert.equal(errors[0]!.field, "url");
      assert.match(errors[0]!.message, why, url);
    }
    const made = await app.request("POST", "/api/v1/webhooks", { token: admin.token, body: { url: "https://example.org/hook", events: ["user.created"] } });
    assert.equal(made.status, 201);
    const moved = await app.request("PATCH", `/api/v1/webhooks/${made.body.uuid as string}`, { token: admin.token, body: { url: "https://169.254.169.254/" } });
    assert.equal(moved.status, 400);
    // The secret: in the create answer once, never in a read, never in a log line.
    const read = await app.request("GET", `/api/v1/webhooks/${made.body.uuid as string}`, { token: admin.token });
    assert.equal(read.body.secret, undefined);
    assert.doesNotMatch(read.text, /whsec_/);
    assert.ok(!app.logs().includes(made.body.secret as string), "the secret is never logged");
    assert.doesNotMatch(app.logs(), /whsec_/);
  });

  it("a URL is stored, shown and called in its parsed form: what an administrator reads is what is called", async () => {
    const stored: [string, string][] = [
      ["HTTPS://Example.ORG:443/Hook?a=1", "https://example.org/Hook?a=1"],
      // A right-to-left override would show "…/kooh.exe" reversed; percent-encoded it shows as it is.
      ["https://example.org/\u202Eexe.hook", "https://example.org/%E2%80%AEexe.hook"],
      // A Cyrillic "а" in the name: shown as its punycode, not as a look-alike of example.org.
      ["https://ex\u0430mple.org/hook", "https://xn--exmple-4nf.org/hook"],
      ["  https://example.org/a b  ", "https://example.org/a%20b"],
    ];
    for (const [given, expected] of stored) {
      const made = await app.request("POST", "/api/v1/webhooks", { token: admin.token, body: { url: given, events: ["user.created"] } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal(made.body.url, expected);
      assert.equal((await app.request("GET", `/api/v1/webhooks/${made.body.uuid as string}`, { token: admin.token })).body.url, expected);
      const moved = await app.request("PATCH", `/api/v1/webhooks/${made.body.uuid as string}`, { token: admin.token, body: { url: "https://EXAMPLE.org/\u202Enew" } });
      assert.equal(moved.body.url, "https://example.org/%E2%80%AEnew", "and on change");
      await app.request("DELETE", `/api/v1/webhooks/${made.body.uuid as string}`, { token: admin.token });
    }
  });

  it("only global administrators and services with webhooks.write manage webhooks", async () => {
    const member = await who.signedIn();
    const asMember = await app.request("POST", "/api/v1/webhooks", { token: member.token, body: { url: "https://example.org/", events: ["*"] } });
    assert.equal(asMember.status, 403);
    assert.equal((await app.request("GET", "/api/v1/events", { token: member.token })).status, 403, "nor read the feed");
    const unknownType = await app.request("POST", "/api/v1/webhooks", { token: admin.token, body: { url: "https://example.org/", events: ["user.everything"] } });
    assert.equal(unknownType.status, 400);
  });

  it("an owner has at most 20 subscriptions (each one is a row every change writes), even created all at once", async () => {
    const token = issuer.mintService({ scopes: ["vrms-backend/webhooks.write"] });
    const made = await Promise.all(
      Array.from({ length: 25 }, (_, i) => app.request("POST", "/api/v1/webhooks", { token, body: { url: `https://example.org/${i}`, events: ["*"] } })),
    );
    assert.equal(made.filter((r) => r.status === 201).length, 20);
    const refused = made.find((r) => r.status === 409)!;
    assert.equal(refused.body.code, "conflict");
    assert.match(refused.body.detail as string, /20 webhook subscriptions/);
  });

  it("with WEBHOOK_ALLOW_HTTP_LOOPBACK=true, http is still for loopback only", () => {
    assert.equal(unsafeUrl("http://127.0.0.1:9000/hook", true), undefined);
    assert.equal(unsafeUrl("http://localhost:9000/hook", true), undefined);
    assert.match(unsafeUrl("http://10.0.0.1/hook", true)!, /https/);
    assert.match(unsafeUrl("http://example.org/hook", true)!, /https/);
    assert.match(unsafeUrl("https://169.254.169.254/", true)!, /link-local/);
  });
});

describe("webhook deliveries refused or bounded when they connect", () => {
  let receiver: Awaited<ReturnType<typeof localServer>>;
  before(async () => {
    receiver = await localServer((_req, res) => res.writeHead(204).end());
  });
  after(() => receiver.close());
  const port = () => new URL(receiver.url).port;

  it("a name that resolves to an unsafe address is refused and never connected to (DNS rebinding)", async () => {
    for (const addresses of [["127.0.0.1"], ["93.184.215.14", "10.0.0.7"], ["169.254.169.254"], ["::ffff:127.0.0.1"], ["fd00:ec2::254"]]) {
      const sender = new WebhookSender(false, resolvingTo(...addresses));
      try {
        const outcome = await sender.send(`https://rebound.example:${port()}/hook`, {}, "{}");
        assert.equal(outcome.ok, false, addresses.join(","));
        assert.match((outcome as { error: string }).error, /^refused: the host resolves to/);
      } finally {
        sender.close();
      }
    }
    // An address literal is never looked up: checked before connecting.
    const plain = new WebhookSender(false);
    assert.match((await plain.send(`https://127.0.0.1:${port()}/hook`, {}, "{}") as { error: string }).error, /refused: a loopback/);
    assert.match((await plain.send(receiver.url, {}, "{}") as { error: string }).error, /refused: a loopback/);
    assert.match((await plain.send(`http://rebound.example:${port()}/hook`, {}, "{}") as { error: string }).error, /refused: not https/);
    plain.close();
    assert.equal(receiver.hits(), 0, "nothing reached the local server");
    // The same name resolving to loopback is delivered where loopback is allowed (the dev stack).
    const dev = new WebhookSender(true, resolvingTo("127.0.0.1"));
    assert.deepEqual(await dev.send(`http://rebound.example:${port()}/hook`, {}, "{}"), { ok: true, status: 204 });
    dev.close();
  });

  it("a redirect is not followed; it is a failed attempt", async () => {
    const target = await localServer((_req, res) => res.writeHead(204).end());
    const redirecting = await localServer((_req, res) => res.writeHead(307, { location: target.url }).end());
    const sender = new WebhookSender(true);
    try {
      assert.deepEqual(await sender.send(redirecting.url, {}, "{}"), { ok: false, status: 307, error: "HTTP 307" });
      assert.equal(target.hits(), 0);
    } finally {
      sender.close();
      await Promise.all([target.close(), redirecting.close()]);
    }
  });

  it("at most 64 KB of an answer is read, and no answer in time is a failure", async () => {
    let written = 0;
    const endless = await localServer((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 120);
      const pump = () => {
        while (!res.destroyed && written < 50 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (!res.destroyed && written < 50 * 1024 * 1024) res.once("drain", pump);
      };
      pump();
    });
    const silent = await localServer(() => {});
    const sender = new WebhookSender(true);
    try {
      assert.deepEqual(await sender.send(endless.url, {}, "{}"), { ok: true, status: 200 });
      await until(() => true, 100, "the socket to close");
      assert.ok(written < 4 * 1024 * 1024, `the sender stopped reading (${written} bytes written; limit ${MAX_ANSWER_BYTES})`);
      const started = Date.now();
      const outcome = await sender.send(silent.url, {}, "{}", 300);
      assert.deepEqual(outcome, { ok: false, status: null, error: "no answer within 300 ms" });
      assert.ok(Date.now() - started < 2000);
      assert.equal(SEND_TIMEOUT_MS, 10_000, "10 s in production");
    } finally {
      sender.close();
      await Promise.all([endless.close(), silent.close()]);
    }
  });
});

describe("a subscription whose receiver redirects (through the server)", () => {
  const { issuer, app } = issuerAndServer(pglite, { env: { WEBHOOK_ALLOW_HTTP_LOOPBACK: "true", WEBHOOK_RETRY_BASE_MS: "60000" } });
  const who = people(issuer, app);

  it("records the 3xx as a failed attempt and sends nothing to where it points", async () => {
    const target = await localServer((_req, res) => res.writeHead(204).end());
    const redirecting = await localServer((_req, res) => res.writeHead(302, { location: target.url }).end());
    try {
      const admin = await who.signedIn(["admin"]);
      const made = await app.request("POST", "/api/v1/webhooks", { token: admin.token, body: { url: redirecting.url, events: ["project.created"] } });
      assert.equal(made.status, 201);
      assert.equal((await app.request("POST", "/api/v1/projects", { token: admin.token, body: { name: `Redirected ${process.pid}` } })).status, 201);
      let deliveries: Json[] = [];
      await until(async () => {
        deliveries = (await app.request("GET", `/api/v1/webhooks/${made.body.uuid as string}/deliveries`, { token: admin.token })).body as unknown as Json[];
        return deliveries[0]?.last_status === 302;
      }, 5000, "the failed attempt");
      assert.equal(deliveries[0]!.state, "pending", "retried later");
      assert.equal(deliveries[0]!.last_error, "HTTP 302");
      assert.equal(target.hits(), 0);
    } finally {
      await Promise.all([target.close(), redirecting.close()]);
    }
  });
});

describe("a receiver that hangs does not hold back other subscriptions' deliveries", () => {
  it("a healthy receiver gets a burst of 40 subjects' events in seconds while another hangs for its 10 s each", async () => {
    const copy = await pglite.create();
    const database = await openTestDatabase(copy);
    const hanging = await localServer(() => {});
    const got = new Set<string>();
    const healthy = await localServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        got.add((JSON.parse(body) as { subject: string }).subject);
        res.end();
      });
    });
    const repository = new WebhookRepository(database.db);
    for (const url of [hanging.url, healthy.url]) {
      await repository.create({ owner: "service:testservice1234567890abcd", ownerScopes: [], url, eventTypes: ["*"], description: "", enabled: true, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
    }
    // 40 subjects' events, each with a delivery to both: every batch in event order holds both.
    await database.db.execute(sql`select events_emit('project.updated', 'subject-' || g, '{}'::jsonb, null) from generate_series(1, 40) g`);
    const dispatcher = new WebhookDispatcher(database, { retryBaseMs: 60_000, leaseMs: 30_000, allowHttpLoopback: true, retentionDays: 30, pollMs: 50 }, pino({ level: "silent" }));
    const started = Date.now();
    dispatcher.start();
    try {
      await until(() => got.size === 40, 5000, "the healthy receiver's 40 events");
      assert.ok(Date.now() - started < SEND_TIMEOUT_MS / 2, `${Date.now() - started} ms`);
    } finally {
      await hanging.close();
      await dispatcher.stop();
      await healthy.close();
      await database.close();
      await copy.drop();
    }
  });
});
