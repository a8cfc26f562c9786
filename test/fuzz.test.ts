// Property tests: whatever arrives in the Authorization header, the answer is a 4xx problem, never
// a 5xx, and a mutated token is never accepted.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { pglite } from "./support/databases.ts";
import { b64url, claimsOf, signJwt } from "../support/issuer.ts";
import { issuerAndServer } from "./support/server.ts";

const RUNS = 150;

/** Bytes that a header value may carry (fetch refuses CR, LF, NUL and code points above 0xFF). */
const headerChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c));
const headerText = fc.array(headerChar, { maxLength: 300 }).map((cs) => cs.join(""));

describe("fuzzing the Authorization header", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { LOG_LEVEL: "warn" } });
  let token: string;

  before(async () => {
    token = issuer.mint(issuer.newUser());
    assert.equal((await app.get("/api/v1/me", token)).status, 200);
  });

  async function status(authorization: string): Promise<number> {
    const res = await app.get("/api/v1/me", undefined, { authorization });
    if (res.status >= 500) assert.fail(`5xx for ${JSON.stringify(authorization.slice(0, 80))}: ${res.text}`);
    return res.status;
  }

  it("random header values: always 401 (or 4xx), never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(headerText, async (value) => {
        const s = await status(value);
        assert.ok(s >= 400 && s < 500);
      }),
      { numRuns: RUNS },
    );
  });

  it("random text after Bearer: never 5xx, never 200", async () => {
    await fc.assert(
      fc.asyncProperty(headerText, async (value) => {
        assert.equal(await status(`Bearer ${value}`), 401);
      }),
      { numRuns: RUNS },
    );
  });

  it("bit flips in any part of a valid token: never accepted", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 5 }), async (position, bit) => {
        const bytes = Buffer.from(token);
        const i = position % bytes.length;
        if (bytes[i] === 0x2e) return; // the dots are structure, not content
        const mutated = Buffer.from(bytes);
        mutated[i] = bytes[i]! ^ (1 << bit);
        const text = mutated.toString("latin1");
        // Control characters cannot be sent in a header at all.
        fc.pre(text !== token && mutated[i]! >= 0x20 && mutated[i] !== 0x7f);
        assert.notEqual(await status(`Bearer ${text}`), 200);
      }),
      { numRuns: RUNS },
    );
  });

  it("truncation, padding, extra parts and inserted unicode: never accepted", async () => {
    const mutations = fc.oneof(
      fc.nat().map((n) => (t: string) => t.slice(0, n % t.length)),
      // (No trailing space: HTTP strips it before the server sees the header.)
      fc.constantFrom("=", "==", ".", "..", "%3D", "A").map((pad) => (t: string) => t + pad),
      fc.tuple(fc.nat(), fc.constantFrom("é", "ÿ", "\u00a0", "\u00ad")).map(([n, ch]) => (t: string) => t.slice(0, n % t.length) + ch + t.slice(n % t.length)),
    );
    await fc.assert(
      fc.asyncProperty(mutations, async (mutate) => {
        const mutated = mutate(token);
        fc.pre(mutated !== token);
        assert.notEqual(await status(`Bearer ${mutated}`), 200);
      }),
      { numRuns: RUNS },
    );
  });

  it("validly signed tokens with huge numbers, deep nesting and odd claim types: never 5xx", async () => {
    const deep = (depth: number): unknown => (depth === 0 ? "x" : { a: deep(depth - 1) });
    const odd = fc.oneof(
      fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER * 1024, 0, -1, 1.5),
      fc.integer({ min: 1, max: 200 }).map((d) => deep(d)),
      fc.constantFrom(null, true, [], {}, "", "𝕏".repeat(50)),
    );
    const claim = fc.constantFrom("exp", "iat", "nbf", "sub", "token_use", "client_id", "cognito:groups", "username", "iss", "scope");
    await fc.assert(
      fc.asyncProperty(claim, odd, async (name, value) => {
        const payload = { ...claimsOf(issuer.mint(issuer.newUser())), [name]: value };
        const signed = signJwt({ kid: issuer.keys[0]!.kid, alg: "RS256" }, payload, issuer.keys[0]!.privateKey);
        const s = await status(`Bearer ${signed}`);
        assert.ok(s === 200 || (s >= 400 && s < 500));
      }),
      { numRuns: RUNS },
    );
  });

  it("random JSON header and payload objects under a real signature: never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.object({ maxDepth: 3 }), fc.object({ maxDepth: 3 }), async (header, payload) => {
        const forged = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${token.split(".")[2]}`;
        assert.equal(await status(`Bearer ${forged}`), 401);
      }),
      { numRuns: RUNS },
    );
  });
});
