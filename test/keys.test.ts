// The signing-key rules: one shared fetch per penalty window, bad JWKS never replaces good keys,
// rotation without restart, removal at the next refresh, timeouts, and the emulator's key.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { EMULATOR_KID } from "../src/auth/jwks-cache.ts";
import { pglite } from "./support/databases.ts";
import { generateSigningKey, TestIssuer } from "./support/issuer.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { sleep } from "./support/wait.ts";

async function codeOf(res: Response): Promise<string> {
  const body = (await res.json()) as { code?: string };
  return res.status === 200 ? "ok" : `${res.status} ${body.code}`;
}

describe("signing keys", () => {
  const issuer = new TestIssuer();
  let app: TestServer;

  before(async () => {
    await issuer.start();
    app = await startTestServer(issuer, pglite, { JWKS_PENALTY_SECONDS: "2" });
    assert.equal(await codeOf(await app.get("/api/v1/me", issuer.mint(issuer.newUser()))), "ok");
    // The launch fetch counts: a kid miss right after it is answered from it.
    await sleep(2100);
  });
  after(async () => {
    await app.close();
    await issuer.stop();
  });

  it("keys: concurrent unknown kids share one fetch, and none follows within the penalty window", async () => {
    const hits = issuer.jwksHits;
    const strangers = Array.from({ length: 20 }, () => generateSigningKey());
    const results = await Promise.all(strangers.map((key) => app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key })).then(codeOf)));
    assert.deepEqual(new Set(results), new Set(["401 token_unknown_key"]));
    assert.equal(issuer.jwksHits - hits, 1, "one JWKS fetch for 20 concurrent misses");
    const later = await app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key: generateSigningKey() }));
    assert.equal(await codeOf(later), "401 token_unknown_key");
    assert.equal(issuer.jwksHits - hits, 1, "no refetch within JWKS_PENALTY_SECONDS");
  });
});

describe("signing keys with a 1-second refresh", () => {
  const issuer = new TestIssuer();
  let app: TestServer;
  const original = issuer.keys[0]!;

  before(async () => {
    await issuer.start();
    app = await startTestServer(issuer, pglite, { JWKS_REFRESH_SECONDS: "1", JWKS_PENALTY_SECONDS: "0", JWKS_TIMEOUT_MS: "300" });
  });
  afterEach(() => {
    issuer.jwksMode = "ok";
    issuer.keys = [original];
  });
  after(async () => {
    await app.close();
    await issuer.stop();
  });

  for (const mode of ["garbage", "empty", "down"] as const) {
    it(`keys: a JWKS endpoint that turns ${mode} leaves the cached keys working`, async () => {
      const user = issuer.newUser();
      assert.equal(await codeOf(await app.get("/api/v1/me", issuer.mint(user))), "ok");
      issuer.jwksMode = mode;
      const hits = issuer.jwksHits;
      while (issuer.jwksHits === hits) await sleep(100);
      await sleep(100);
      assert.equal(await codeOf(await app.get("/api/v1/me", issuer.mint(user))), "ok");
      assert.equal((await app.get("/readyz")).status, 200);
    });
  }

  it("keys: a key removed from the JWKS stops being trusted at the next refresh", async () => {
    const next = generateSigningKey();
    issuer.keys = [original, next];
    const user = issuer.newUser();
    assert.equal(await codeOf(await app.get("/api/v1/me", issuer.mint(user, { key: next }))), "ok");
    issuer.keys = [original];
    const hits = issuer.jwksHits;
    while (issuer.jwksHits === hits) await sleep(100);
    await sleep(100);
    assert.equal(await codeOf(await app.get("/api/v1/me", issuer.mint(user, { key: next }))), "401 token_unknown_key");
  });

  it("keys: a slow JWKS endpoint times out after JWKS_TIMEOUT_MS with 503, not a hang", async () => {
    issuer.jwksMode = "slow";
    const started = Date.now();
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key: generateSigningKey() }));
    assert.equal(await codeOf(res), "503 unavailable");
    assert.ok(res.headers.get("retry-after"));
    assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
    // Known keys are unaffected while the endpoint hangs.
    assert.equal(await codeOf(await app.get("/api/v1/me", issuer.mint(issuer.newUser()))), "ok");
  });
});

describe("signing keys under NODE_ENV=production", () => {
  const issuer = new TestIssuer();
  let app: TestServer;

  before(async () => {
    await issuer.start();
    issuer.keys = [generateSigningKey(EMULATOR_KID)];
    app = await startTestServer(issuer, pglite, { NODE_ENV: "production", JWKS_PENALTY_SECONDS: "0" });
  });
  after(async () => {
    await app.close();
    await issuer.stop();
  });

  it("keys: a JWKS holding the emulator's published key (kid CognitoLocal) is refused", async () => {
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser()));
    assert.equal(await codeOf(res), "503 unavailable");
    const ready = await app.get("/readyz");
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { checks: Record<string, string> }).checks.jwks, "unavailable");
    assert.match(app.logs(), /CognitoLocal/);
  });
});

describe("the verified-token cache", () => {
  const issuer = new TestIssuer();
  let app: TestServer;

  before(async () => {
    await issuer.start();
    app = await startTestServer(issuer, pglite, { COGNITO_CLOCK_SKEW_SECONDS: "0" });
  });
  after(async () => {
    await app.close();
    await issuer.stop();
  });

  it("cache: an entry never outlives its token's exp", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = issuer.mint(issuer.newUser(), { claims: { iat: now - 10, exp: now + 2 } });
    assert.equal(await codeOf(await app.get("/api/v1/me", token)), "ok");
    assert.equal(await codeOf(await app.get("/api/v1/me", token)), "ok");
    await sleep((now + 2) * 1000 - Date.now() + 300);
    assert.equal(await codeOf(await app.get("/api/v1/me", token)), "401 token_expired");
  });
});
