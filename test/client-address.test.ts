// How limits count a client: IPv4 by its address, IPv6 by its /64, IPv4-mapped IPv6 as IPv4.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { limitKey } from "../src/http/client-address.ts";

describe("limitKey", () => {
  it("counts IPv4 by address, IPv4-mapped IPv6 as the IPv4 it maps, IPv6 by its /64", () => {
    assert.equal(limitKey("203.0.113.7"), "203.0.113.7");
    assert.equal(limitKey("::ffff:203.0.113.7"), "203.0.113.7");
    assert.equal(limitKey("2001:db8:feed:42::1"), "2001:db8:feed:42::/64");
    assert.equal(limitKey("2001:0db8:feed:0042:ffff:ffff:ffff:ffff"), "2001:db8:feed:42::/64");
    assert.notEqual(limitKey("2001:db8:feed:43::1"), limitKey("2001:db8:feed:42::1"));
    assert.equal(limitKey("::1"), "0:0:0:0::/64");
  });

  it("leaves anything else as it is", () => {
    assert.equal(limitKey("not an address"), "not an address");
  });
});
