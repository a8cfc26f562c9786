// A JWS compact serialization in its one canonical form. Base64url decoders accept padding and
// non-zero trailing bits, which would let one signed token be written many ways: refuse all but
// the canonical one, so that a token string names exactly one token (caches, revocation, logs).
import { AuthError } from "./errors.ts";

const PART_RE = /^[A-Za-z0-9_-]+$/;

export function assertCanonicalJwt(token: string): void {
  const parts = token.split(".");
  if (parts.length !== 3) throw new AuthError("token_invalid", "A token has three dot-separated parts.");
  for (const part of parts) {
    if (!PART_RE.test(part) || Buffer.from(part, "base64url").toString("base64url") !== part) {
      throw new AuthError("token_invalid", "The token is not canonical base64url.");
    }
  }
}
