// RFC 6750 §2.1 header parsing, before any token decoding.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_TOKEN_BYTES, parseBearer } from "../src/auth/bearer.ts";
import { AuthError } from "../src/auth/errors.ts";

function codeOf(header: string | undefined): string {
  try {
    parseBearer(header);
  } catch (err) {
    assert.ok(err instanceof AuthError);
    return err.code;
  }
  return "ok";
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
    assert.equal(parseBearer(`Bearer ${"a".repeat(MAX_TOKEN_BYTES)}`).length, MAX_TOKEN_BYTES);
  });
});
