// The verified-token cache on its own: both tiers honour exp, key trust and the size bound.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VerifiedToken } from "../src/auth/claims.ts";
import { TokenCache } from "../src/auth/token-cache.ts";

const trusted = () => true;
/** Seconds since the epoch, `seconds` from now. */
const secondsFromNow = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

function verified(sub: string): VerifiedToken {
  return { kind: "user", clientId: "c", sub, username: sub, tokenUse: "access", groups: [], exp: 0, sessionId: "", authTime: 0 };
}

/** Token-like texts; the front tier holds 1024 tokens that came back, so 1100 push the first ones out of it. */
const tokens = Array.from({ length: 1100 }, (_, i) => `header.payload-${i}.signature`);

describe("verified-token cache", () => {
  it("returns what was stored, from either tier, and reports each lookup", () => {
    const lookups: boolean[] = [];
    const cache = new TokenCache(5000, (hit) => lookups.push(hit));
    for (const [i, token] of tokens.entries()) cache.set(token, verified(`u${i}`), "k1", secondsFromNow(60));
    for (const token of tokens) cache.get(token, trusted); // second uses: into the front tier, the first 76 out again
    assert.equal(cache.get(tokens[0]!, trusted)?.sub, "u0", "an entry only in the hash tier");
    assert.equal(cache.get(tokens[1099]!, trusted)?.sub, "u1099", "an entry in the front tier");
    assert.equal(cache.get("header.payload-0.signaturX", trusted), undefined, "one character off");
    assert.deepEqual(lookups.slice(-3), [true, true, false]);
    assert.ok(lookups.slice(0, -3).every(Boolean));
  });

  it("never returns an entry at or after its expiry, from either tier", (t) => {
    // The cache reads only Date.now(): a mocked clock (no server in this file) stands for the wait.
    t.mock.timers.enable({ apis: ["Date"], now: Date.now() });
    const cache = new TokenCache(5000);
    const validUntil = secondsFromNow(2);
    for (const token of tokens) cache.set(token, verified("u"), "k1", validUntil);
    t.mock.timers.setTime(validUntil * 1000 - 1);
    for (const token of tokens) assert.ok(cache.get(token, trusted), "valid until the last millisecond");
    t.mock.timers.setTime(validUntil * 1000);
    assert.equal(cache.get(tokens[1]!, trusted), undefined, "hash tier");
    assert.equal(cache.get(tokens[1099]!, trusted), undefined, "recent tier");
    cache.set("already.expired.token", verified("u"), "k1", secondsFromNow(-1));
    assert.equal(cache.get("already.expired.token", trusted), undefined);
  });

  it("drops an entry whose signing key is no longer trusted", () => {
    const cache = new TokenCache(5000);
    cache.set(tokens[0]!, verified("u"), "old-kid", secondsFromNow(60));
    assert.equal(cache.get(tokens[0]!, (kid) => kid !== "old-kid"), undefined);
    assert.equal(cache.get(tokens[0]!, trusted), undefined, "the entry is gone, not merely hidden");
  });

  it("holds at most TOKEN_CACHE_SIZE entries, and nothing at size 0", () => {
    const small = new TokenCache(10);
    for (const token of tokens.slice(0, 20)) small.set(token, verified("u"), "k1", secondsFromNow(60));
    assert.equal(small.size, 10);
    assert.equal(small.get(tokens[0]!, trusted), undefined, "the oldest were evicted");
    assert.ok(small.get(tokens[19]!, trusted));
    const off = new TokenCache(0);
    off.set(tokens[0]!, verified("u"), "k1", secondsFromNow(60));
    assert.equal(off.get(tokens[0]!, trusted), undefined);
  });
});
