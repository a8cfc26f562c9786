// The attack corpus: each rule of the trust boundary is a named test that fails without it.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { pglite } from "./support/databases.ts";
import { b64url, claimsOf, signJwt, signJwtWith } from "../support/issuer.ts";
import { issuerAndServer, serverForDescribe, type Reply } from "./support/server.ts";
import { until } from "./support/wait.ts";
import { isPage } from "../src/http/security-headers.ts";

function expect401(res: Reply, code: string): void {
  const { body } = res;
  assert.equal(res.status, 401, `expected 401 ${code}, got ${res.status} ${JSON.stringify(body)}`);
  assert.equal(body.code, code);
  assert.equal(res.headers.get("www-authenticate"), `Bearer realm="api", error="invalid_token", error_description="${code}"`);
}

describe("trust boundary", () => {
  const { issuer, app } = issuerAndServer(pglite);
  // Also the server that allows a CORS origin: `app` shows the default, none.
  const idApp = serverForDescribe(issuer, pglite, { env: { COGNITO_TOKEN_USE: "id", CORS_ORIGINS: "https://app.example.org" } });
  const now = () => Math.floor(Date.now() / 1000);

  describe("header", () => {
    it("header: credentials over 8 KiB are token_invalid", async () => {
      const res = await app.get("/api/v1/me", `${"a".repeat(4000)}.${"b".repeat(4000)}.${"c".repeat(500)}`);
      expect401(res, "token_invalid");
    });

    it("header: headers over Node's limit get a 431 problem+json", async () => {
      const res = await app.get("/api/v1/me", undefined, { "x-filler": "x".repeat(20_000) });
      assert.equal(res.status, 431);
      assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
      assert.equal(res.body.code, "headers_too_large");
      // Written on the socket, before any hook: the headers of every answer all the same.
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
      assert.equal(res.headers.get("cache-control"), "no-store");
    });

    it("header: a token in the query string is ignored even with a Bearer header missing", async () => {
      const token = issuer.mint(issuer.newUser());
      const res = await app.get(`/api/v1/me?token=${token}&id_token=${token}`);
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "token_missing");
    });
  });

  describe("structure", () => {
    const valid = () => issuer.mint(issuer.newUser());
    const cases: Record<string, () => string> = {
      "two parts": () => valid().split(".").slice(0, 2).join("."),
      "four parts": () => `${valid()}.AAAA`,
      "empty signature": () => `${valid().split(".").slice(0, 2).join(".")}.`,
      "header not JSON": () => `${b64url("{not json")}.${valid().split(".").slice(1).join(".")}`,
      "header a JSON array": () => `${b64url("[1,2]")}.${valid().split(".").slice(1).join(".")}`,
      "payload a JSON string": () => {
        const [h, , s] = valid().split(".");
        return `${h}.${b64url('"hello"')}.${s}`;
      },
      "standard base64 characters": () => valid().replace(/-/g, "+").replace(/_/g, "/") + "+/",
      "padded signature": () => `${valid()}=`,
      "signature with non-zero trailing bits (same bytes, another string)": () => {
        const token = valid();
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const last = alphabet.indexOf(token.at(-1)!);
        const variant = token.slice(0, -1) + alphabet[last ^ 1];
        // A 256-byte signature leaves 4 unused bits in its last character: the bytes are unchanged.
        assert.deepEqual(Buffer.from(variant.split(".")[2]!, "base64url"), Buffer.from(token.split(".")[2]!, "base64url"));
        return variant;
      },
    };
    for (const [name, make] of Object.entries(cases)) {
      it(`structure: ${name} is token_invalid`, async () => {
        expect401(await app.get("/api/v1/me", make()), "token_invalid");
      });
    }
  });

  describe("algorithm", () => {
    const payload = () => claimsOf(issuer.mint(issuer.newUser()));

    it("algorithm: alg none is refused", async () => {
      const token = `${b64url(JSON.stringify({ alg: "none", kid: issuer.keys[0]!.kid }))}.${b64url(JSON.stringify(payload()))}.`;
      expect401(await app.get("/api/v1/me", undefined, { authorization: `Bearer ${token}` }), "token_invalid");
    });

    it("algorithm: HS256 keyed with the RSA public key is refused", async () => {
      const publicPem = issuer.keys[0]!.privateKey.export({ format: "pem", type: "pkcs1" }).toString();
      const token = signJwtWith("HS256", { kid: issuer.keys[0]!.kid }, payload(), publicPem);
      expect401(await app.get("/api/v1/me", token), "token_invalid");
    });

    it("algorithm: RS512 and PS256 signed with the pool's own key are refused", async () => {
      for (const alg of ["RS512", "PS256"] as const) {
        const token = signJwtWith(alg, { kid: issuer.keys[0]!.kid }, payload(), issuer.keys[0]!.privateKey);
        expect401(await app.get("/api/v1/me", token), "token_invalid");
      }
    });

    it("algorithm: RS512 is refused by our allow-list even when the JWK names no alg", async () => {
      const key = issuer.keys[0]!;
      const { alg: _alg, ...noAlg } = key.publicJwk;
      issuer.extraJwks = [{ ...noAlg, kid: "no-alg-key" }];
      try {
        const token = signJwtWith("RS512", { kid: "no-alg-key" }, payload(), key.privateKey);
        expect401(await app.get("/api/v1/me", token), "token_invalid");
      } finally {
        issuer.extraJwks = [];
      }
    });

    it("algorithm: ES256 is refused, even with its key in the JWKS", async () => {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      issuer.extraJwks = [{ ...(publicKey.export({ format: "jwk" }) as object), kid: "ec-key", use: "sig", alg: "ES256" }];
      try {
        const token = signJwtWith("ES256", { kid: "ec-key" }, payload(), privateKey);
        expect401(await app.get("/api/v1/me", token), "token_invalid");
      } finally {
        issuer.extraJwks = [];
      }
    });

    it("algorithm: an RSA key published for encryption (use enc) or for RS512 is not trusted", async () => {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const jwk = publicKey.export({ format: "jwk" }) as Record<string, string>;
      issuer.extraJwks = [
        { kty: "RSA", n: jwk.n, e: jwk.e, kid: "enc-key", use: "enc" },
        { kty: "RSA", n: jwk.n, e: jwk.e, kid: "rs512-key", alg: "RS512" },
      ];
      try {
        for (const kid of ["enc-key", "rs512-key"]) {
          const token = signJwt({ kid, alg: "RS256" }, payload(), privateKey);
          expect401(await app.get("/api/v1/me", token), "token_unknown_key");
        }
      } finally {
        issuer.extraJwks = [];
      }
    });
  });

  describe("claims", () => {
    const user = () => issuer.newUser();

    it("claims: iss must match exactly (no trailing slash, no case change)", async () => {
      for (const iss of [`${issuer.issuer}/`, issuer.issuer.toUpperCase(), issuer.issuer.replace("127.0.0.1", "localhost")]) {
        expect401(await app.get("/api/v1/me", issuer.mint(user(), { claims: { iss } })), "token_wrong_issuer");
      }
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { omit: ["iss"] })), "token_wrong_issuer");
    });

    it("claims: exp must be a number", async () => {
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { claims: { exp: String(now() + 3600) } })), "token_invalid");
    });

    it("claims: iat in the future beyond the skew is refused; within it, accepted", async () => {
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { claims: { iat: now() + 600 } })), "token_invalid");
      assert.equal((await app.get("/api/v1/me", issuer.mint(user(), { claims: { iat: now() + 30 } }))).status, 200);
    });

    it("claims: nbf in the future is honoured", async () => {
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { claims: { nbf: now() + 600 } })), "token_invalid");
      assert.equal((await app.get("/api/v1/me", issuer.mint(user(), { claims: { nbf: now() - 10 } }))).status, 200);
    });

    it("claims: token_use must be present and be access (by default)", async () => {
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { omit: ["token_use"] })), "token_wrong_use");
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { claims: { token_use: "refresh" } })), "token_wrong_use");
    });

    it("claims: an access token's client_id must be one of ours; aud does not stand in for it", async () => {
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { omit: ["client_id"], claims: { aud: issuer.clientId } })), "token_wrong_audience");
    });

    it("claims: an id token's aud must be one of ours (COGNITO_TOKEN_USE=id)", async () => {
      assert.equal((await idApp.get("/api/v1/me", issuer.mint(user(), { use: "id" }))).status, 200);
      expect401(await idApp.get("/api/v1/me", issuer.mint(user(), { use: "id", claims: { aud: "other-client" } })), "token_wrong_audience");
      expect401(await idApp.get("/api/v1/me", issuer.mint(user())), "token_wrong_use");
    });

    it("claims: sub must be a non-empty string", async () => {
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { claims: { sub: "" } })), "token_invalid");
      expect401(await app.get("/api/v1/me", issuer.mint(user(), { claims: { sub: 42 } })), "token_invalid");
    });
  });

  describe("web hardening", () => {
    it("sends an API's security headers on every response, errors included, and no page's", async () => {
      for (const res of [await app.get("/healthz"), await app.get("/api/v1/me"), await app.get("/api/v1/nothing-here")]) {
        assert.equal(res.headers.get("x-content-type-options"), "nosniff");
        assert.equal(res.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
        assert.match(res.headers.get("strict-transport-security") ?? "", /^max-age=\d+/);
        assert.equal(res.headers.get("x-frame-options"), "DENY");
        assert.equal(res.headers.get("cross-origin-resource-policy"), "same-origin");
        assert.equal(res.headers.get("cache-control"), "no-store");
        for (const pageOnly of ["referrer-policy", "cross-origin-opener-policy", "x-xss-protection", "origin-agent-cluster"]) {
          assert.equal(res.headers.get(pageOnly), null, pageOnly);
        }
      }
    });

    it("answers paths refused before routing as problems with every answer's headers and a log line", async () => {
      for (const [path, detail] of [
        ["/admin/%ZZ", /not valid percent-encoding/],
        [`/api/v1/users/${"a".repeat(120)}`, /longer than 100 characters/],
      ] as const) {
        const res = await app.get(path, undefined, { "x-request-id": "unroutable-1" });
        assert.equal(res.status, 400, path);
        assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/, path);
        assert.equal(res.body.code, "bad_request", path);
        assert.match(String(res.body.detail), detail, path);
        assert.doesNotMatch(JSON.stringify(res.body), /%ZZ|aaaa/, "the answer does not repeat the path");
        assert.equal(res.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'", path);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
        assert.equal(res.headers.get("cache-control"), "no-store", path);
        assert.equal(res.headers.get("x-request-id"), "unroutable-1", path);
      }
      const lines = () => app.logs().split("\n").filter((l) => l.includes('"reqId":"unroutable-1"') && l.includes('"msg":"request completed"'));
      await until(() => lines().length >= 2, 5000, "their log lines");
      assert.equal(lines().length, 2, "one line each");
      assert.ok(lines().every((l) => l.includes('"statusCode":400')));
    });

    it("knows a page by its content type, whatever its case", () => {
      for (const type of ["text/html", "Text/HTML; charset=utf-8", "application/xhtml+xml", "image/svg+xml"]) assert.ok(isPage(type), type);
      for (const type of ["application/json", "application/problem+json", "text/htmlx", "text/plain", undefined]) assert.ok(!isPage(type), String(type));
    });

    it("sends a page (the /admin page, Swagger UI) helmet's document headers besides, with its own CSP", async () => {
      for (const path of ["/admin", "/api/schema/swagger-ui/"]) {
        const res = await app.get(path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get("content-type") ?? "", /^text\/html/, path);
        assert.equal(res.headers.get("referrer-policy"), "no-referrer", path);
        assert.equal(res.headers.get("cross-origin-opener-policy"), "same-origin", path);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
        assert.equal(res.headers.get("x-frame-options"), "DENY", path);
        const csp = res.headers.get("content-security-policy") ?? "";
        assert.match(csp, /default-src 'self'/, path);
        assert.doesNotMatch(csp, /default-src 'none'/, path);
        // Framed by no one, not even this origin (browsers follow the CSP over X-Frame-Options).
        assert.match(csp, /frame-ancestors 'none'/, path);
        assert.doesNotMatch(csp, /frame-ancestors 'self'/, path);
      }
    });

    it("sends no CORS headers unless CORS_ORIGINS allows the origin", async () => {
      const res = await app.get("/healthz", undefined, { origin: "https://evil.example.org" });
      assert.equal(res.headers.get("access-control-allow-origin"), null);
      const preflight = await idApp.request("OPTIONS", "/api/v1/me", {
        headers: { origin: "https://app.example.org", "access-control-request-method": "PATCH", "access-control-request-headers": "authorization" },
      });
      assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example.org");
      // Answered by the CORS plugin, after the common hook: every answer's headers and request id.
      assert.equal(preflight.headers.get("x-content-type-options"), "nosniff");
      assert.ok(preflight.headers.get("x-request-id"));
      assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /PATCH/);
      const other = await idApp.get("/healthz", undefined, { origin: "https://evil.example.org" });
      assert.equal(other.headers.get("access-control-allow-origin"), null);
    });
  });

  describe("AUTH_FAILURE_RATE_LIMIT", () => {
    // One server for both tests: each counts from its own addresses (the socket's, without
    // X-Forwarded-For; the appended entry, with it).
    const limited = serverForDescribe(issuer, pglite, { env: { AUTH_FAILURE_RATE_LIMIT: "3", TRUST_PROXY: "1" } });

    it("answers 429 rate_limited with Retry-After after the limit of 401s, and never counts successes", async () => {
      const good = issuer.mint(issuer.newUser());
      for (let i = 0; i < 10; i++) assert.equal((await limited.get("/api/v1/me", good)).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await limited.get("/api/v1/me", "bad.token.here")).status, 401);
      const res = await limited.get("/api/v1/me", "bad.token.here");
      assert.equal(res.status, 429);
      assert.equal(res.body.code, "rate_limited");
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    });

    it("never refuses a valid token because of failures from its address, and a client cannot name its address past TRUST_PROXY=1", async () => {
      const victim = "198.51.100.7";
      const attacker = "203.0.113.66";
      // The attacker writes the victim's address first; the load balancer (here: the test, one
      // trusted hop) appends the address it saw. Only that one is believed.
      for (let i = 0; i < 3; i++) {
        assert.equal((await limited.get("/api/v1/me", "bad.token.here", { "x-forwarded-for": `${victim}, ${attacker}` })).status, 401);
      }
      assert.equal((await limited.get("/api/v1/me", "bad.token.here", { "x-forwarded-for": `${victim}, ${attacker}` })).status, 429);
      const valid = issuer.mint(issuer.newUser());
      assert.equal((await limited.get("/api/v1/me", valid, { "x-forwarded-for": victim })).status, 200, "the victim is not blocked");
      assert.equal((await limited.get("/api/v1/me", "bad.token.here", { "x-forwarded-for": victim })).status, 401, "nor counted");
      const fresh = issuer.mint(issuer.newUser());
      assert.equal((await limited.get("/api/v1/me", fresh, { "x-forwarded-for": attacker })).status, 200, "a valid token passes even from a blocked address");
    });

    it("is off by default", async () => {
      for (let i = 0; i < 30; i++) assert.equal((await app.get("/api/v1/me", "bad.token.here")).status, 401);
    });
  });

  describe("secrets", () => {
    it("secrets: a session of valid and invalid requests leaves no token, code or password in the logs", async () => {
      const user = issuer.newUser();
      const tokens = [issuer.mint(user), issuer.mint(user, { use: "id" }), issuer.mint(user, { claims: { exp: now() - 7200 } })];
      for (const token of tokens) {
        await app.get("/api/v1/me", token);
        await app.get(`/api/v1/me?access_token=${token}&id_token=${token}&refresh_token=${token}&code=authcode-123&state=st-456`, token);
        await app.get("/api/v1/me", undefined, { authorization: `Basic ${Buffer.from("user:hunter2-password").toString("base64")}` });
        // The address bar of an OAuth redirect: secrets in the query string (a #fragment never reaches a server).
        const redirect = await app.get(`/admin?code=authcode-123&state=st-456&access_token=${token}&page=2`);
        const logged = app
          .logs()
          .split("\n")
          .filter((l) => l.includes(`"reqId":"${redirect.requestId}"`) && l.includes('"url"'))
          .map((l) => (JSON.parse(l) as { req: { url: string } }).req.url);
        assert.deepEqual(logged, ["/admin?code=REDACTED&state=REDACTED&access_token=REDACTED&page=2"], "the request's logged URL");
      }
      const logs = app.logs();
      assert.ok(logs.includes("request completed"), "requests were logged");
      for (const token of tokens) for (const part of token.split(".")) assert.ok(!logs.includes(part), "a token part reached the logs");
      for (const secret of ["authcode-123", "st-456", "hunter2", Buffer.from("user:hunter2-password").toString("base64")]) {
        assert.ok(!logs.includes(secret), `${secret} reached the logs`);
      }
    });
  });
});
