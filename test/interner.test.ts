// Shared claims of cached tokens: equal values give one copy, and the tables stay bounded.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toVerifiedToken } from "../src/auth/claims.ts";
import { Interner } from "../src/auth/interner.ts";

describe("claim interning", () => {
  it("gives equal group lists of two tokens one frozen array", () => {
    const interner = new Interner();
    const claims = (jti: string) => ({ sub: "s-1", username: "u", token_use: "access", exp: 2, iat: 1, jti, "cognito:groups": ["admin", "x"] });
    const a = toVerifiedToken(claims("j1"), interner, { serviceClientIds: [] });
    const b = toVerifiedToken(claims("j2"), interner, { serviceClientIds: [] });
    assert.equal(a.groups, b.groups);
    assert.ok(Object.isFrozen(a.groups));
    assert.deepEqual(a.groups, ["admin", "x"]);
    assert.notEqual(a.sessionId, b.sessionId);
    assert.notEqual(interner.list(["admin"]), a.groups);
  });

  it("starts over when a table reaches its limit, and still answers equal values", () => {
    const interner = new Interner(3);
    const first = interner.list(["a"]);
    for (const name of ["b", "c", "d"]) interner.list([name]);
    const again = interner.list(["a"]);
    assert.notEqual(again, first, "the table was cleared at its limit");
    assert.deepEqual(again, ["a"]);
    assert.equal(interner.list(["a"]), again);
    assert.equal(interner.string("s"), "s");
  });
});
