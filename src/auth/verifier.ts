// Cognito token verification: canonical form, RS256 only, the issuer, the signature (node:crypto's
// one-shot verify with the key imported when the JWKS was loaded), then the claims (claims.ts,
// aws-jwt-verify's validators). Not aws-jwt-verify's JwtVerifier end to end: in this server its
// decode (a JSON reviver on every object, three regular expressions) and per-call set-up cost more
// than the RSA check itself; see BENCHMARKS.md for what this path measures against it.
// Verified tokens are remembered (token-cache.ts) so that a client polling with one token pays
// for its signature check once.
import { verify as verifySignature, type KeyObject } from "node:crypto";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { CognitoConfig } from "../config.ts";
import { checkClaims, toVerifiedToken, type ClaimRules, type VerifiedToken } from "./claims.ts";
import { AuthFailure } from "./errors.ts";
import { Interner } from "./interner.ts";
import type { KeyStore } from "./jwks-cache.ts";
import { checkCanonicalJwt } from "./jwt-shape.ts";
import { TokenCache } from "./token-cache.ts";

export type { VerifiedToken } from "./claims.ts";

/** A verified token, or why the token is refused. */
export type Verdict = VerifiedToken | AuthFailure;

export interface TokenVerifier {
  /**
   * Synchronous for a remembered token or a key held now (the common cases: no promise per
   * request); a promise when the JWKS must be fetched first. Rejects with KeysUnavailableError
   * when it cannot be: the token may be valid, so that is not a 401.
   */
  verify(token: string): Verdict | Promise<Verdict>;
}

export function createTokenVerifier(
  config: CognitoConfig,
  keys: KeyStore,
  cacheSize = 0,
  onCacheLookup?: (hit: boolean) => void,
): TokenVerifier {
  const cache = new TokenCache(cacheSize, onCacheLookup);
  const interner = new Interner();
  const trusted = (kid: string) => keys.has(kid);
  const rules: ClaimRules = {
    issuers: config.issuers,
    clientIds: config.clientIds,
    serviceClientIds: config.serviceClientIds,
    tokenUse: config.tokenUse === "any" ? null : config.tokenUse,
    clockSkewSeconds: config.clockSkewSeconds,
  };

  /** The signature, then the claims, of a token whose header passed. */
  function finish(token: string, kid: string, key: KeyObject): Verdict {
    const signatureStart = token.lastIndexOf(".") + 1;
    let valid: boolean;
    try {
      // The signing input is ASCII (canonical form checked), so latin1 is exact and cheapest.
      const input = Buffer.from(token.slice(0, signatureStart - 1), "latin1");
      valid = verifySignature("sha256", input, key, Buffer.from(token.slice(signatureStart), "base64url"));
    } catch {
      valid = false;
    }
    if (!valid) return new AuthFailure("token_invalid");
    const payload = payloadOf(token);
    if (!payload) return new AuthFailure("token_invalid", "The token payload is not a JSON object.");
    const failure = checkClaims(payload, rules);
    if (failure) return failure;
    const verified = toVerifiedToken(payload, interner, rules);
    cache.set(token, verified, interner.string(kid), verified.exp + rules.clockSkewSeconds);
    return verified;
  }

  /** A kid we do not hold: the JWKS is fetched again, but not for another pool's token. */
  function fetchAndFinish(token: string, kid: string): Verdict | Promise<Verdict> {
    const iss = payloadOf(token)?.iss;
    if (typeof iss !== "string" || !rules.issuers.includes(iss)) return new AuthFailure("token_wrong_issuer");
    return keys.fetchKey(kid).then((key) => (key ? finish(token, kid, key) : new AuthFailure("token_unknown_key")));
  }

  return {
    verify(token) {
      const cached = cache.get(token, trusted);
      if (cached) return cached;
      const malformed = checkCanonicalJwt(token);
      if (malformed) return malformed;
      const firstDot = token.indexOf(".");
      const header = parseJsonObject(token, 0, firstDot);
      if (!header) return new AuthFailure("token_invalid", "The token header is not a JSON object.");
      // The allow-list is ours, not the token's: nothing but RS256 reaches the signature check.
      if (header.alg !== "RS256") return new AuthFailure("token_invalid", "Only RS256-signed tokens are accepted.");
      const kid = header.kid;
      if (typeof kid !== "string" || kid === "") return new AuthFailure("token_invalid", "The token names no signing key.");
      const key = keys.key(kid);
      return key ? finish(token, kid, key) : fetchAndFinish(token, kid);
    },
  };
}

function payloadOf(token: string): JwtPayload | undefined {
  return parseJsonObject(token, token.indexOf(".") + 1, token.lastIndexOf("."));
}

/**
 * A base64url JSON object from token[start, end), or undefined. Plain JSON.parse: an own
 * `__proto__` key it creates is an ordinary property, and claims are only ever read by name.
 */
function parseJsonObject(token: string, start: number, end: number): JwtPayload | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token.slice(start, end), "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JwtPayload) : undefined;
  } catch {
    return undefined;
  }
}
