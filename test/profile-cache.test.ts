// The per-instance profile cache on its own: shared reads, and a write never undone by a read.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProfileCache } from "../src/users/profile-cache.ts";
import type { User } from "../src/users/tables.ts";

function user(sub: string, firstName: string, updatedAt: number): User {
  return { cognitoSub: sub, firstName, updatedAt: new Date(updatedAt) } as User;
}

/** A read the test settles by hand. */
function heldRead(result: User | undefined) {
  let calls = 0;
  let release = () => {};
  const read = () => {
    calls++;
    return new Promise<User | undefined>((resolve) => {
      release = () => resolve(result);
    });
  };
  return { read, release: () => release(), calls: () => calls };
}

describe("profile cache", () => {
  it("makes one read of 50 concurrent misses of one sub, and a new read once it has ended", async () => {
    const cache = new ProfileCache(100);
    const held = heldRead(user("s1", "Ada", 1000));
    const loads = Array.from({ length: 50 }, () => cache.load("s1", held.read));
    held.release();
    const users = await Promise.all(loads);
    assert.equal(held.calls(), 1);
    assert.ok(users.every((u) => u?.firstName === "Ada"));
    const again = heldRead(undefined);
    const next = cache.load("s1", again.read);
    again.release();
    assert.equal(await next, undefined);
    assert.equal(again.calls(), 1, "a finished read is not reused");
  });

  it("never lets a read that ends after a write replace the written row, nor be joined after the write", async () => {
    const cache = new ProfileCache(100);
    const stale = heldRead(user("s1", "Old", 1000));
    const before = cache.load("s1", stale.read);
    cache.remember(user("s1", "New", 2000)); // a PATCH on this instance
    const fresh = heldRead(user("s1", "New", 2000));
    const after = cache.load("s1", fresh.read);
    assert.equal(fresh.calls(), 1, "a request after the write does not join the older read");
    stale.release();
    fresh.release();
    cache.remember((await before)!);
    assert.equal((await after)?.firstName, "New");
    assert.equal(cache.get("s1")?.firstName, "New", "the older row did not replace the newer");
  });
});
