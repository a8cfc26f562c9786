// A JWS compact serialization in its one canonical form. Base64url decoders accept padding and
// non-zero trailing bits, which would let one signed token be written many ways: refuse all but
// the canonical one, so that a token string names exactly one token (caches, revocation, logs).
import { AuthFailure } from "./errors.ts";

const SHAPE_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A canonical token's three base64url parts, and its signing input (header.payload). */
export interface JwtParts { header: string; payload: string; signature: string; signingInput: string }

/** Unpadded base64url is canonical when its length is possible and its last character's unused bits are zero. */
function canonicalPart(part: string): boolean {
  const rest = part.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = ALPHABET.indexOf(part[part.length - 1]!);
  // 2 characters carry 1 byte (4 bits spare); 3 characters carry 2 bytes (2 bits spare).
  return rest === 2 ? (last & 0b1111) === 0 : (last & 0b11) === 0;
}

/** The parts of a token in canonical form; else why it is not one. */
export function splitCanonicalJwt(token: string): JwtParts | AuthFailure {
  if (!SHAPE_RE.test(token)) return new AuthFailure("token_invalid", "A token is three dot-separated base64url parts.");
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  const parts = { header: token.slice(0, first), payload: token.slice(first + 1, second), signature: token.slice(second + 1), signingInput: token.slice(0, second) };
  if (canonicalPart(parts.header) && canonicalPart(parts.payload) && canonicalPart(parts.signature)) return parts;
  return new AuthFailure("token_invalid", "The token is not canonical base64url.");
}
