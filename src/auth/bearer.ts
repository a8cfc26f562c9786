import { AuthFailure } from "./errors.ts";

/** Credentials longer than this are refused before any decoding. */
export const MAX_TOKEN_BYTES = 8 * 1024;

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 9110 §11.1).
// "Bearer" followed by the end or any whitespace is this scheme; only spaces may separate the token.
const SCHEME_RE = /^bearer(?=$|\s)/i;
const SEPARATOR_RE = /^ +/;
const B64TOKEN_RE = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token of an Authorization header value. No header or another scheme: token_missing;
 * a Bearer credential that is empty, too long or not a b64token: token_invalid.
 */
export function parseBearer(header: string | undefined): string | AuthFailure {
  if (header === undefined || header === "") return new AuthFailure("token_missing");
  const scheme = SCHEME_RE.exec(header);
  if (!scheme) return new AuthFailure("token_missing");
  const rest = header.slice(scheme[0].length);
  const separator = SEPARATOR_RE.exec(rest);
  if (!separator) return new AuthFailure("token_invalid", "The Bearer credential is not a token.");
  const credential = rest.slice(separator[0].length);
  if (credential.length > MAX_TOKEN_BYTES) return new AuthFailure("token_invalid", "The token is too long.");
  if (!B64TOKEN_RE.test(credential)) return new AuthFailure("token_invalid", "The Bearer credential is not a token.");
  return credential;
}
