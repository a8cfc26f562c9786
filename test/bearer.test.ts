// RFC 6750 §2.1 header parsing, before any token decoding.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_TOKEN_BYTES, parseBearer } from "../src/auth/bearer.ts";
import { randomBytes } from "node:crypto";
import { AuthFailure } from "../src/auth/errors.ts";
import { splitCanonicalJwt } from "../src/auth/jwt-shape.ts";

function codeOf(header: string | undefined): string {
  const parsed = parseBearer(header);
  return parsed instanceof AuthFailure ? parsed.code : "ok";
}

describe("Authorization header parsing", () => {
  it("takes the token after a case-insensitive Bearer and one or more spaces", () => {
    assert.equal(parseBearer("Bearer abc.def.ghi"), "abc.def.ghi");
    assert.equal(parseBearer("bearer   abc.def.ghi"), "abc.def.ghi");
    assert.equal(parseBearer("BEARER abc+/=="), "abc+/==");
  });

  it("is token_missing without a header or under another scheme", () => {
    assert.equal(codeOf(undefined), "token_missing");
    assert.equal(codeOf(""), "token_missing");
    assert.equal(codeOf("Basic dXNlcjpwYXNz"), "token_missing");
    assert.equal(codeOf("Bearerabc"), "token_missing");
  });

  it("is token_invalid for an empty, spaced, tabbed or non-b64token credential", () => {
    for (const h of ["Bearer", "Bearer ", "Bearer a b", "Bearer\tabc", "Bearer abc ", "Bearer a=b", "Bearer é"]) {
      assert.equal(codeOf(h), "token_invalid", JSON.stringify(h));
    }
  });

  it("refuses credentials over 8 KiB before decoding them", () => {
    assert.equal(codeOf(`Bearer ${"a".repeat(MAX_TOKEN_BYTES + 1)}`), "token_invalid");
    assert.equal(parseBearer(`Bearer ${"a".repeat(MAX_TOKEN_BYTES)}`), "a".repeat(MAX_TOKEN_BYTES));
  });
});

describe("canonical token form", () => {
  it("accepts exactly the base64url parts that Buffer re-encodes to themselves", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let length = 1; length < 40; length++) {
      for (const last of alphabet) {
        const part = randomBytes(length).toString("base64url").slice(0, -1) + last;
        const canonical = Buffer.from(part, "base64url").toString("base64url") === part;
        const accepted = !(splitCanonicalJwt(`${part}.${part}.${part}`) instanceof AuthFailure);
        assert.equal(accepted, canonical, part);
      }
    }
  });

  it("refuses padding, extra parts and characters outside base64url", () => {
    for (const token of ["a.b.c=", "a.b", "a.b.c.d", "a+b.c.d", "a.b.c ", ".b.c"]) {
      const split = splitCanonicalJwt(token);
      assert.ok(split instanceof AuthFailure && split.code === "token_invalid", token);
    }
  });
});
