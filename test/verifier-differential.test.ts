// The hand-written token path kept honest: on the same generated tokens, our verifier (keys
// fetched over HTTP by our KeyStore) and aws-jwt-verify's own CognitoJwtVerifier must agree.
// Ours is never more permissive; on tokens in canonical form that carry `exp`, `sub` and a past
// `iat` (what Cognito always issues) they agree exactly. Where ours is stricter on purpose, the test
// says so: non-canonical encodings, no (numeric) `exp`, no `sub`, no or a future `iat`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import fc from "fast-check";
import { KeyStore } from "../src/auth/jwks-cache.ts";
import { createTokenVerifier, type TokenVerifier } from "../src/auth/verifier.ts";
import { AuthFailure } from "../src/auth/errors.ts";
import { loadConfig } from "../src/config.ts";
import { b64url, generateSigningKey, signJwt, signJwtWith, TestIssuer } from "../support/issuer.ts";

const POOL = "us-west-2_TestPool1";
const REGION = "us-west-2";
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL}`;
const CLIENT = "testclient1234567890abcdef";
const OTHER_CLIENT = "otherclient1234567890abcd";
const SKEW = 60;

type Claims = Record<string, unknown>;
type Header = Record<string, unknown>;

/** How a generated token departs from a valid access token. */
type Mutation =
  | { kind: "valid" }
  | { kind: "expired"; by: number }
  | { kind: "notYet"; by: number }
  | { kind: "issuer"; iss: string }
  | { kind: "client"; clientId: string }
  | { kind: "use"; use: string }
  | { kind: "idToken"; aud: string }
  | { kind: "claimType"; claim: "exp" | "iss" | "client_id" | "token_use"; value: unknown }
  | { kind: "missing"; claim: "exp" | "iss" | "client_id" | "token_use" }
  | { kind: "alteredSignature"; at: number }
  | { kind: "alteredPayload"; extra: string }
  | { kind: "alg"; alg: "RS512" | "HS256" | "PS256" | "none" }
  | { kind: "unknownKid" };

/** Departures only our verifier refuses, on purpose. */
type Stricter = { kind: "noExp"; value?: unknown } | { kind: "noSub" } | { kind: "futureIat"; by: number } | { kind: "noIat" } | { kind: "padded" } | { kind: "standardBase64" };

const now = () => Math.floor(Date.now() / 1000);

function baseClaims(): Claims {
  const t = now();
  return {
    sub: "5b2c6d0e-2f7a-4c1e-9a0b-1c2d3e4f5a6b",
    iss: ISSUER,
    client_id: CLIENT,
    token_use: "access",
    scope: "openid email",
    auth_time: t - 30,
    iat: t - 30,
    exp: t + 3600,
    jti: "a1b2c3d4-0000-4000-8000-000000000001",
    origin_jti: "a1b2c3d4-0000-4000-8000-000000000002",
    username: "member@example.org",
  };
}

// Times are kept at least 5 s from the skew's edge: the two verifiers read the clock a few
// microseconds apart, and the edge itself (`>` or `>=`) is not what this test is about.
const seconds = (min: number, max: number) => fc.integer({ min, max });
const someString = fc.oneof(fc.constantFrom("", " ", "null", ISSUER + "/", ISSUER.toUpperCase(), `http://cognito-idp.${REGION}.amazonaws.com/${POOL}`), fc.string({ maxLength: 40 }));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: "valid" }),
  seconds(SKEW + 5, 10 * 86400).map((by): Mutation => ({ kind: "expired", by })),
  seconds(-(SKEW - 5), SKEW - 5).map((by): Mutation => ({ kind: "expired", by })),
  seconds(SKEW + 5, 86400).map((by): Mutation => ({ kind: "notYet", by })),
  someString.map((iss): Mutation => ({ kind: "issuer", iss })),
  fc.oneof(fc.constant(OTHER_CLIENT), fc.constant(CLIENT.toUpperCase()), fc.string({ maxLength: 30 })).map((clientId): Mutation => ({ kind: "client", clientId })),
  fc.oneof(fc.constantFrom("id", "ID", "Access", "refresh", ""), fc.string({ maxLength: 10 })).map((use): Mutation => ({ kind: "use", use })),
  fc.constantFrom(CLIENT, OTHER_CLIENT).map((aud): Mutation => ({ kind: "idToken", aud })),
  fc
    .tuple(fc.constantFrom("iss" as const, "client_id" as const, "token_use" as const), fc.oneof(fc.constant(null), fc.boolean(), fc.string({ maxLength: 12 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }), fc.double()))
    .map(([claim, value]): Mutation => ({ kind: "claimType", claim, value })),
  fc.constantFrom("iss" as const, "client_id" as const, "token_use" as const).map((claim): Mutation => ({ kind: "missing", claim })),
  fc.nat({ max: 300 }).map((at): Mutation => ({ kind: "alteredSignature", at })),
  fc.string({ minLength: 1, maxLength: 8 }).map((extra): Mutation => ({ kind: "alteredPayload", extra })),
  fc.constantFrom("RS512" as const, "HS256" as const, "PS256" as const, "none" as const).map((alg): Mutation => ({ kind: "alg", alg })),
  fc.constant<Mutation>({ kind: "unknownKid" }),
);

const stricter: fc.Arbitrary<Stricter> = fc.oneof(
  fc.constant<Stricter>({ kind: "noExp" }),
  fc.oneof(fc.constant(null), fc.boolean(), fc.string({ maxLength: 12 })).map((value): Stricter => ({ kind: "noExp", value })),
  fc.constant<Stricter>({ kind: "noSub" }),
  seconds(SKEW + 5, 86400).map((by): Stricter => ({ kind: "futureIat", by })),
  fc.constant<Stricter>({ kind: "noIat" }),
  fc.constant<Stricter>({ kind: "padded" }),
  fc.constant<Stricter>({ kind: "standardBase64" }),
);

describe("our token path against aws-jwt-verify's CognitoJwtVerifier", () => {
  const key = generateSigningKey();
  const issuer = new TestIssuer();
  let keys: KeyStore;
  let ours: TokenVerifier;
  const theirs = CognitoJwtVerifier.create({ userPoolId: POOL, tokenUse: "access", clientId: CLIENT, graceSeconds: SKEW });

  before(async () => {
    issuer.keys = [key];
    await issuer.start();
    // Our keys come the way the server's do: our KeyStore fetching the JWKS over HTTP. Theirs are
    // handed over (aws-jwt-verify fetches https only): the same JWK.
    keys = new KeyStore({ jwksUri: `${issuer.issuer}/.well-known/jwks.json`, timeoutMs: 3000, penaltySeconds: 60, refreshSeconds: 3600, rejectEmulatorKey: false });
    keys.start();
    await keys.fetchKey(key.kid);
    assert.ok(keys.has(key.kid), "the JWKS was fetched over HTTP");
    theirs.cacheJwks({ keys: [{ ...key.publicJwk, kty: "RSA" }] });
    const config = loadConfig({ COGNITO_USER_POOL_ID: POOL, COGNITO_CLIENT_IDS: CLIENT, COGNITO_CLOCK_SKEW_SECONDS: String(SKEW) });
    assert.ok(config.cognito.issuers.includes(ISSUER));
    ours = createTokenVerifier(config.cognito, keys);
  });
  after(async () => {
    keys.stop();
    await issuer.stop();
  });

  function mint(m: Mutation): string {
    const claims = baseClaims();
    const header: Header = { kid: key.kid, alg: "RS256" };
    switch (m.kind) {
      case "valid":
        break;
      case "expired":
        claims.exp = now() - m.by;
        break;
      case "notYet":
        claims.nbf = now() + m.by;
        break;
      case "issuer":
        claims.iss = m.iss;
        break;
      case "client":
        claims.client_id = m.clientId;
        break;
      case "use":
        claims.token_use = m.use;
        break;
      case "idToken":
        delete claims.client_id;
        delete claims.username;
        Object.assign(claims, { token_use: "id", aud: m.aud, "cognito:username": "member@example.org", email: "member@example.org" });
        break;
      case "claimType":
        claims[m.claim] = m.value;
        break;
      case "missing":
        delete claims[m.claim];
        break;
      case "unknownKid":
        header.kid = "kid-nobody-has";
        break;
      case "alg":
        if (m.alg === "none") return `${b64url(JSON.stringify({ ...header, alg: "none" }))}.${b64url(JSON.stringify(claims))}.`;
        return signJwtWith(m.alg, header, claims, m.alg === "HS256" ? JSON.stringify(key.publicJwk) : key.privateKey);
      case "alteredSignature": {
        const token = signJwt(header, claims, key.privateKey);
        const dot = token.lastIndexOf(".") + 1;
        const i = dot + (m.at % (token.length - dot));
        const swapped = token[i] === "A" ? "B" : "A";
        return token.slice(0, i) + swapped + token.slice(i + 1);
      }
      case "alteredPayload": {
        const token = signJwt(header, claims, key.privateKey);
        const [h, , s] = token.split(".");
        return `${h}.${b64url(JSON.stringify({ ...claims, extra: m.extra }))}.${s}`;
      }
    }
    return signJwt(header, claims, key.privateKey);
  }

  function mintStricter(s: Stricter): string {
    const claims = baseClaims();
    const header: Header = { kid: key.kid, alg: "RS256" };
    if (s.kind === "noExp") {
      if ("value" in s) claims.exp = s.value;
      else delete claims.exp;
    }
    if (s.kind === "noSub") delete claims.sub;
    if (s.kind === "futureIat") claims.iat = now() + s.by;
    if (s.kind === "noIat") delete claims.iat;
    if (s.kind === "padded" || s.kind === "standardBase64") {
      // The same signed bytes, written another way than base64url without padding.
      const token = signJwt(header, claims, key.privateKey);
      const parts = token.split(".").map((part) => Buffer.from(part, "base64url").toString("base64"));
      return s.kind === "padded" ? parts.join(".") : parts.map((p) => p.replace(/=+$/, "")).join(".");
    }
    return signJwt(header, claims, key.privateKey);
  }

  // A kid we do not hold is fetched for (once: the penalty window answers the rest).
  const oursAccepts = async (token: string): Promise<boolean> => !((await ours.verify(token)) instanceof AuthFailure);
  const theirsAccepts = (token: string): boolean => {
    try {
      theirs.verifySync(token);
      return true;
    } catch {
      return false;
    }
  };

  it("agrees with it on valid, expired, not-yet-valid, wrong issuer, client and use, mistyped or missing claims, altered, other algorithms and unknown keys", async () => {
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const token = mint(m);
        const mine = await oursAccepts(token);
        assert.equal(mine, theirsAccepts(token), `${JSON.stringify(m)}: ours ${mine ? "accepts" : "refuses"}, aws-jwt-verify does not agree`);
        seen[mine ? "accepted" : "refused"]++;
      }),
      { numRuns: 600 },
    );
    // Both sides of the question were asked many times.
    assert.ok(seen.accepted > 50 && seen.refused > 300, JSON.stringify(seen));
  });

  it("is stricter only where it says so: no exp, no sub, no or a future iat, an encoding other than canonical base64url", async () => {
    await fc.assert(
      fc.asyncProperty(stricter, async (s) => {
        const token = mintStricter(s);
        assert.equal(await oursAccepts(token), false, `${s.kind}: ours refuses`);
      }),
      { numRuns: 100 },
    );
    // What aws-jwt-verify makes of the same: these are the differences on purpose.
    assert.equal(theirsAccepts(mintStricter({ kind: "noExp" })), true, "aws-jwt-verify does not require exp");
    assert.equal(theirsAccepts(mintStricter({ kind: "noSub" })), true, "aws-jwt-verify does not require sub");
    assert.equal(theirsAccepts(mintStricter({ kind: "noIat" })), true, "aws-jwt-verify does not require iat");
  });

  it("checks each header text on its own: one remembered from a good token is never lent to another", async () => {
    const claims = baseClaims();
    const refusal = async (token: string) => {
      const verdict = await ours.verify(token);
      return verdict instanceof AuthFailure ? `${verdict.code}: ${verdict.detail}` : "accepted";
    };
    const good = signJwt({ kid: key.kid, alg: "RS256" }, claims, key.privateKey);
    for (let round = 0; round < 2; round++) {
      assert.equal(await refusal(good), "accepted");
      assert.match(await refusal(signJwtWith("HS256", { kid: key.kid, alg: "HS256" }, claims, JSON.stringify(key.publicJwk))), /^token_invalid: Only RS256/);
      assert.match(await refusal(`${b64url(JSON.stringify({ kid: key.kid, alg: "none" }))}.${b64url(JSON.stringify(claims))}.`), /^token_invalid/);
      assert.match(await refusal(signJwt({ alg: "RS256" }, claims, key.privateKey)), /^token_invalid: The token names no signing key/);
      assert.equal(await refusal(signJwt({ alg: "RS256", kid: key.kid }, claims, key.privateKey)), "accepted", "the same header in another order");
      // The good header's text with another token's signature: the memory spares the header, never the signature.
      const [h, p] = good.split(".");
      assert.match(await refusal(`${h}.${p}.${signJwt({ alg: "RS256", kid: key.kid }, claims, key.privateKey).split(".")[2]}`), /^token_invalid/);
    }
  });

  it("is never more permissive, whatever the mix of departures", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutation.map((m) => mint(m)), stricter.map((s) => mintStricter(s))), async (token) => {
        if (await oursAccepts(token)) assert.ok(theirsAccepts(token), "ours accepted a token aws-jwt-verify refuses");
      }),
      { numRuns: 300 },
    );
  });
});
