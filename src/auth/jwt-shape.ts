// A JWS compact serialization in its one canonical form. Base64url decoders accept padding and
// non-zero trailing bits, which would let one signed token be written many ways: refuse all but
// the canonical one, so that a token string names exactly one token (caches, revocation, logs).
import { AuthFailure } from "./errors.ts";

const SHAPE_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Unpadded base64url is canonical when its length is possible and its last character's unused bits are zero. */
function canonicalPart(token: string, start: number, end: number): boolean {
  const length = end - start;
  const rest = length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = ALPHABET.indexOf(token[end - 1]!);
  // 2 characters carry 1 byte (4 bits spare); 3 characters carry 2 bytes (2 bits spare).
  return rest === 2 ? (last & 0b1111) === 0 : (last & 0b11) === 0;
}

/** Undefined for a token in canonical form; else why it is not. */
export function checkCanonicalJwt(token: string): AuthFailure | undefined {
  if (!SHAPE_RE.test(token)) return new AuthFailure("token_invalid", "A token is three dot-separated base64url parts.");
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (!canonicalPart(token, 0, first) || !canonicalPart(token, first + 1, second) || !canonicalPart(token, second + 1, token.length)) {
    return new AuthFailure("token_invalid", "The token is not canonical base64url.");
  }
  return undefined;
}
