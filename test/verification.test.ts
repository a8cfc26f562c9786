// Every way a bearer token is judged, through the real server, real keys over HTTP and PGlite.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pglite } from "./support/databases.ts";
import { claimsOf, generateSigningKey, signJsonTexts, signJwt } from "../support/issuer.ts";
import { issuerAndServer, type Json, type Reply } from "./support/server.ts";

function expectProblem(res: Reply, status: number, code: string): Json {
  const { body } = res;
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${JSON.stringify(body)}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/);
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.equal(typeof body.detail, "string");
  return body;
}

function expectInvalidToken(res: Reply, code: string): void {
  assert.equal(res.headers.get("www-authenticate"), `Bearer realm="api", error="invalid_token", error_description="${code}"`);
}

describe("token verification", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { JWKS_PENALTY_SECONDS: "0" } });

  it("accepts a valid access token and returns the caller's profile", async () => {
    const user = issuer.newUser({ groups: ["admin"] });
    const res = await app.get("/api/v1/me", issuer.mint(user));
    assert.equal(res.status, 200);
    const { body } = res;
    assert.equal(body.username, user.username);
    assert.deepEqual(body.groups, ["admin"]);
    assert.equal(body.is_admin, true);
  });

  it("serves /api/v1/me/ with a trailing slash too", async () => {
    const res = await app.get("/api/v1/me/", issuer.mint(issuer.newUser()));
    assert.equal(res.status, 200);
  });

  it("refuses a request without a token: token_missing and a bare Bearer challenge", async () => {
    const res = await app.get("/api/v1/me");
    expectProblem(res, 401, "token_missing");
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="api"');
  });

  it("treats another scheme as no token", async () => {
    const res = await app.get("/api/v1/me", undefined, { authorization: "Basic dXNlcjpwYXNz" });
    expectProblem(res, 401, "token_missing");
  });

  it("ignores tokens in the query string", async () => {
    const token = issuer.mint(issuer.newUser());
    const res = await app.get(`/api/v1/me?access_token=${token}`);
    expectProblem(res, 401, "token_missing");
  });

  it("refuses a malformed Bearer credential: token_invalid", async () => {
    for (const value of ["Bearer", "Bearer ", "Bearer a b", "Bearer not.a.jwt", "Bearer ###", "Bearer e30.e30.e30"]) {
      const res = await app.get("/api/v1/me", undefined, { authorization: value });
      expectProblem(res, 401, "token_invalid");
      expectInvalidToken(res, "token_invalid");
    }
  });

  it("accepts the scheme in any case and several spaces", async () => {
    const token = issuer.mint(issuer.newUser());
    const res = await app.get("/api/v1/me", undefined, { authorization: `bEaReR   ${token}` });
    assert.equal(res.status, 200);
  });

  it("refuses an expired token: token_expired", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const token = issuer.mint(issuer.newUser(), { claims: { iat: past - 3600, exp: past } });
    const res = await app.get("/api/v1/me", token);
    expectProblem(res, 401, "token_expired");
    expectInvalidToken(res, "token_expired");
  });

  it("allows a token expired by less than the clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = issuer.mint(issuer.newUser(), { claims: { iat: now - 3600, exp: now - 30 } });
    assert.equal((await app.get("/api/v1/me", token)).status, 200);
  });

  it("refuses a token of another issuer: token_wrong_issuer", async () => {
    const token = issuer.mint(issuer.newUser(), { claims: { iss: `${issuer.endpoint}/us-west-2_OtherPool` } });
    const res = await app.get("/api/v1/me", token);
    expectProblem(res, 401, "token_wrong_issuer");
    expectInvalidToken(res, "token_wrong_issuer");
  });

  it("refuses another pool's token signed with that pool's key without fetching the JWKS: token_wrong_issuer", async () => {
    const otherPoolKey = issuer.unpublishedKey();
    const hitsBefore = issuer.jwksHits;
    const token = issuer.mint(issuer.newUser(), { key: otherPoolKey, claims: { iss: `${issuer.endpoint}/us-west-2_OtherPool` } });
    expectProblem(await app.get("/api/v1/me", token), 401, "token_wrong_issuer");
    assert.equal(issuer.jwksHits, hitsBefore, "a foreign issuer's kid made the server fetch its own JWKS");
  });

  it("refuses an exp, iat or nbf that JSON reads as Infinity (1e999), under a valid signature", async () => {
    const key = issuer.keys[0]!;
    for (const claim of ["exp", "iat", "nbf"]) {
      const claims = { ...claimsOf(issuer.mint(issuer.newUser())), nbf: 0 };
      const payload = JSON.stringify(claims).replace(new RegExp(`"${claim}":-?\\d+`), `"${claim}":1e999`);
      assert.ok(payload.includes("1e999"), claim);
      const token = signJsonTexts(JSON.stringify({ alg: "RS256", kid: key.kid }), payload, key.privateKey);
      expectProblem(await app.get("/api/v1/me", token), 401, "token_invalid");
    }
  });

  it("reads a __proto__ claim as a plain claim: a valid token carrying one pollutes nothing", async () => {
    const claims = claimsOf(issuer.mint(issuer.newUser()));
    const payload = JSON.stringify(claims).replace(/^\{/, '{"__proto__":{"polluted":true,"sub":"admin"},');
    const token = signJsonTexts(JSON.stringify({ alg: "RS256", kid: issuer.keys[0]!.kid }), payload, issuer.keys[0]!.privateKey);
    const res = await app.get("/api/v1/me", token);
    assert.equal(res.status, 200);
    assert.equal((res.body as { username: string }).username, claims.username);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("does not trust a published RSA key under 2048 bits: token_unknown_key", async () => {
    const weak = generateSigningKey("kid-weak-1024", 1024);
    issuer.keys.push(weak);
    try {
      const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key: weak }));
      expectProblem(res, 401, "token_unknown_key");
    } finally {
      issuer.keys.pop();
    }
  });

  it("refuses a token of another app client: token_wrong_audience", async () => {
    const token = issuer.mint(issuer.newUser(), { claims: { client_id: "someotherclient" } });
    const res = await app.get("/api/v1/me", token);
    expectProblem(res, 401, "token_wrong_audience");
    expectInvalidToken(res, "token_wrong_audience");
  });

  it("refuses an id token where access tokens are expected: token_wrong_use", async () => {
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser(), { use: "id" }));
    expectProblem(res, 401, "token_wrong_use");
    expectInvalidToken(res, "token_wrong_use");
  });

  it("refuses a tampered signature: token_invalid", async () => {
    const token = issuer.mint(issuer.newUser());
    const [h, p, s] = token.split(".");
    const flipped = `${s!.slice(0, 10)}${s![10] === "A" ? "B" : "A"}${s!.slice(11)}`;
    const res = await app.get("/api/v1/me", `${h}.${p}.${flipped}`);
    expectProblem(res, 401, "token_invalid");
  });

  it("refuses a payload changed after signing: token_invalid", async () => {
    const token = issuer.mint(issuer.newUser());
    const [h, , s] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "someone-else", token_use: "access" })).toString("base64url");
    expectProblem(await app.get("/api/v1/me", `${h}.${forged}.${s}`), 401, "token_invalid");
  });

  it("refuses a token without exp or iat, whatever its signature", async () => {
    for (const claim of ["exp", "iat", "sub"]) {
      const token = issuer.mint(issuer.newUser(), { omit: [claim] });
      expectProblem(await app.get("/api/v1/me", token), 401, "token_invalid");
    }
  });

  it("refuses alg none and HS256", async () => {
    const user = issuer.newUser();
    const payload = JSON.parse(Buffer.from(issuer.mint(user).split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const none = `${enc({ alg: "none", kid: issuer.keys[0]!.kid })}.${enc(payload)}.`;
    expectProblem(await app.get("/api/v1/me", undefined, { authorization: `Bearer ${none}` }), 401, "token_invalid");
    const hs = signJwt({ alg: "HS256", kid: issuer.keys[0]!.kid }, payload, issuer.keys[0]!.privateKey);
    expectProblem(await app.get("/api/v1/me", hs), 401, "token_invalid");
  });

  it("refuses a key the pool does not publish after one refetch: token_unknown_key", async () => {
    const stranger = issuer.unpublishedKey();
    const hitsBefore = issuer.jwksHits;
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key: stranger }));
    expectProblem(res, 401, "token_unknown_key");
    expectInvalidToken(res, "token_unknown_key");
    assert.equal(issuer.jwksHits - hitsBefore, 1, "exactly one JWKS refetch for an unknown kid");
  });

  it("accepts a key rotated into the JWKS without a restart", async () => {
    const rotated = generateSigningKey();
    issuer.keys.push(rotated);
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser(), { key: rotated }));
    assert.equal(res.status, 200);
  });

  it("never writes a token to its logs", async () => {
    const token = issuer.mint(issuer.newUser());
    await app.get("/api/v1/me", token);
    const query = await app.get(`/api/v1/me?access_token=${token}&code=secretcode123`, token);
    const logs = app.logs();
    const line = logs.split("\n").find((l) => l.includes(`"reqId":"${query.requestId}"`) && l.includes('"url"'));
    assert.equal(line && (JSON.parse(line) as { req: { url: string } }).req.url, "/api/v1/me?access_token=REDACTED&code=REDACTED", "the request was logged, its secrets redacted");
    for (const part of token.split(".")) assert.ok(!logs.includes(part), "a token part reached the logs");
    assert.ok(!logs.includes("secretcode123"), "an OAuth code reached the logs");
  });

  it("answers unknown routes with a 404 problem", async () => {
    expectProblem(await app.get("/nope"), 404, "not_found");
  });

  it("reports readiness with its checks", async () => {
    const res = await app.get("/readyz");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: "ready", checks: { jwks: "ok", database: "ok", revocations: "ok" } });
    assert.deepEqual((await app.get("/healthz")).body, { status: "ok" });
  });
});

describe("signing keys unavailable", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { JWKS_PENALTY_SECONDS: "0" } });
  issuer.jwksMode = "down"; // before the server starts

  it("answers 503 with Retry-After while the JWKS cannot be fetched, and /readyz is 503", async () => {
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser()));
    expectProblem(res, 503, "unavailable");
    assert.ok(res.headers.get("retry-after"));
    const ready = await app.get("/readyz");
    const body = expectProblem(ready, 503, "unavailable");
    assert.deepEqual(body.checks, { jwks: "unavailable", database: "ok", revocations: "ok" });
  });

  it("serves once the JWKS endpoint is back, with no restart", async () => {
    issuer.jwksMode = "ok";
    const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser()));
    assert.equal(res.status, 200);
    assert.equal((await app.get("/readyz")).status, 200);
  });
});
