// The grant cache's shortcut for users just created (authz/grant-cache.ts expectNew): a new row
// holds no grants, so its first request reads none, but never at the cost of hiding a grant made
// on this instance.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GrantCache } from "../src/authz/grant-cache.ts";
import type { Grant } from "../src/authz/grants.ts";

const grant = (uuid: string): Grant => ({ uuid, type: "memberProject", project: "p", practiceArea: null });

/** A cache over a store of grants that counts its reads; `gate` holds reads until released. */
function cacheOver(store: Map<string, Grant[]>) {
  let reads = 0;
  let release: (() => void) | undefined;
  let gated = false;
  const cache = new GrantCache(async (user) => {
    reads++;
    if (gated) await new Promise<void>((r) => (release = r));
    return [...(store.get(user) ?? [])];
  });
  return {
    cache,
    reads: () => reads,
    gate: () => (gated = true),
    release: () => {
      gated = false;
      release?.();
    },
  };
}

describe("grant cache: new users", () => {
  it("answers a user inserted after expectNew with no grants, synchronously and without a read", () => {
    const { cache, reads } = cacheOver(new Map());
    const created = cache.expectNew();
    created("u1");
    assert.deepEqual(cache.grantsOf("u1"), []);
    assert.equal(reads(), 0);
  });

  it("reads the store when a grant changed on this instance between expectNew and the insert", async () => {
    const store = new Map<string, Grant[]>();
    const { cache, reads } = cacheOver(store);
    const created = cache.expectNew();
    // An administrator grants the new user something as soon as the row exists (on this instance).
    store.set("u1", [grant("g1")]);
    cache.forget("u1");
    created("u1");
    const held = await cache.grantsOf("u1");
    assert.deepEqual(held, [grant("g1")]);
    assert.equal(reads(), 1);
  });

  it("lets a read already under way for that user have the last word", async () => {
    const store = new Map<string, Grant[]>([["u1", [grant("g1")]]]);
    const probe = cacheOver(store);
    probe.gate();
    const created = probe.cache.expectNew();
    const reading = probe.cache.grantsOf("u1");
    created("u1");
    probe.release();
    assert.deepEqual(await reading, [grant("g1")]);
    assert.deepEqual(probe.cache.grantsOf("u1"), [grant("g1")]);
  });

  it("forgets the shortcut at the next local change, like any entry", async () => {
    const store = new Map<string, Grant[]>();
    const { cache } = cacheOver(store);
    cache.expectNew()("u1");
    store.set("u1", [grant("g2")]);
    cache.forget("u1");
    assert.deepEqual(await cache.grantsOf("u1"), [grant("g2")]);
  });
});
