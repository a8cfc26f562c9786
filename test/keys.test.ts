// The signing-key rules: one shared fetch per penalty window, bad JWKS never replaces good keys,
// rotation without restart, removal at the next refresh, timeouts, and the emulator's key.
import assert from "node:assert/strict";
import { afterEach, before, describe, it } from "node:test";
import { EMULATOR_KID } from "../src/auth/jwks-cache.ts";
import { pglite } from "./support/databases.ts";
import { generateSigningKey } from "../support/issuer.ts";
import { issuerAndServer, type Reply, type TestServer } from "./support/server.ts";
import { sleep, sleepUntil, until } from "./support/wait.ts";

function codeOf(res: Reply): string {
  return res.status === 200 ? "ok" : `${res.status} ${String(res.body.code)}`;
}

/** Resolves once the server has logged the outcome of a JWKS fetch that started after this call. */
function nextJwksFetch(app: TestServer): Promise<void> {
  const outcomes = () => (app.logs().match(/signing keys (loaded|could not be fetched)/g) ?? []).length;
  const seen = outcomes();
  return until(() => outcomes() > seen, 5000, "the next scheduled JWKS fetch");
}

describe("signing keys", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { JWKS_PENALTY_SECONDS: "2" } });

  before(async () => {
    assert.equal(codeOf(await app.get("/api/v1/me", issuer.mint(issuer.newUser()))), "ok");
    // The launch fetch counts: a kid miss right after it is answered from it. (The server's own
    // clock: it runs in this process, so mocked timers would stop it too.)
    await sleep(2100);
  });

  it("keys: concurrent unknown kids share one fetch, and none follows within the penalty window", async () => {
    const hits = issuer.jwksHits;
    const strangers = Array.from({ length: 20 }, () => issuer.unpublishedKey());
    const results = await Promise.all(strangers.map((key) => app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key })).then(codeOf)));
    assert.deepEqual(new Set(results), new Set(["401 token_unknown_key"]));
    assert.equal(issuer.jwksHits - hits, 1, "one JWKS fetch for 20 concurrent misses");
    const later = await app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key: issuer.unpublishedKey() }));
    assert.equal(codeOf(later), "401 token_unknown_key");
    assert.equal(issuer.jwksHits - hits, 1, "no refetch within JWKS_PENALTY_SECONDS");
  });
});

describe("signing keys with a 1-second refresh", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { JWKS_REFRESH_SECONDS: "1", JWKS_PENALTY_SECONDS: "0", JWKS_TIMEOUT_MS: "300" } });
  const original = issuer.keys[0]!;
  afterEach(() => {
    issuer.jwksMode = "ok";
    issuer.keys = [original];
  });

  for (const mode of ["garbage", "empty", "down"] as const) {
    it(`keys: a JWKS endpoint that turns ${mode} leaves the cached keys working`, async () => {
      const user = issuer.newUser();
      assert.equal(codeOf(await app.get("/api/v1/me", issuer.mint(user))), "ok");
      // A refresh already in flight when the endpoint turns may still succeed: wait for one that fails.
      const failures = () => (app.logs().match(/signing keys could not be fetched/g) ?? []).length;
      const before = failures();
      issuer.jwksMode = mode;
      await until(() => failures() > before, 5000, "a scheduled JWKS fetch that fails");
      assert.equal(codeOf(await app.get("/api/v1/me", issuer.mint(user))), "ok");
      assert.equal((await app.get("/readyz")).status, 200);
    });
  }

  it("keys: a key removed from the JWKS stops being trusted at the next refresh", async () => {
    const next = generateSigningKey();
    issuer.keys = [original, next];
    const user = issuer.newUser();
    assert.equal(codeOf(await app.get("/api/v1/me", issuer.mint(user, { key: next }))), "ok");
    const fetched = nextJwksFetch(app);
    issuer.keys = [original];
    await fetched;
    assert.equal(codeOf(await app.get("/api/v1/me", issuer.mint(user, { key: next }))), "401 token_unknown_key");
  });

  it("keys: a slow JWKS endpoint times out after JWKS_TIMEOUT_MS with 503, not a hang", async () => {
    issuer.jwksMode = "slow";
    const started = Date.now();
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key: issuer.unpublishedKey() }));
    assert.equal(codeOf(res), "503 unavailable");
    assert.ok(res.headers.get("retry-after"));
    assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
    // Known keys are unaffected while the endpoint hangs.
    assert.equal(codeOf(await app.get("/api/v1/me", issuer.mint(issuer.newUser()))), "ok");
  });
});

describe("signing keys under NODE_ENV=production", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { NODE_ENV: "production", JWKS_PENALTY_SECONDS: "0" } });
  issuer.keys = [generateSigningKey(EMULATOR_KID)];

  it("keys: a JWKS holding the emulator's published key (kid CognitoLocal) is refused", async () => {
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser()));
    assert.equal(codeOf(res), "503 unavailable");
    const ready = await app.get("/readyz");
    assert.equal(ready.status, 503);
    assert.equal((ready.body as { checks: Record<string, string> }).checks.jwks, "unavailable");
    assert.match(app.logs(), /CognitoLocal/);
  });
});

describe("the verified-token cache", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { COGNITO_CLOCK_SKEW_SECONDS: "0" } });

  it("cache: an entry never outlives its token's exp", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = issuer.mint(issuer.newUser(), { claims: { iat: now - 10, exp: now + 2 } });
    assert.equal(codeOf(await app.get("/api/v1/me", token)), "ok");
    assert.equal(codeOf(await app.get("/api/v1/me", token)), "ok");
    // The server's clock decides (it runs in this process: mocked timers would stop it too).
    await sleepUntil((now + 2) * 1000 + 300);
    assert.equal(codeOf(await app.get("/api/v1/me", token)), "401 token_expired");
  });
});
