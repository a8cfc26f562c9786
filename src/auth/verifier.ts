// Cognito token verification: canonical form, RS256 only, the signature (node:crypto's one-shot
// verify, the key imported when the JWKS was loaded), then the claims (claims.ts, aws-jwt-verify's
// validators). Not aws-jwt-verify's JwtVerifier end to end: its decode (a JSON reviver on every
// object, three regular expressions) and per-call set-up cost more than the RSA check itself
// (BENCHMARKS.md). Verified tokens are remembered (token-cache.ts): a polling client pays once.
import { verify as verifySignature, type KeyObject } from "node:crypto";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { CognitoConfig } from "../config.ts";
import { checkClaims, toVerifiedToken, type ClaimRules, type VerifiedToken } from "./claims.ts";
import { AuthFailure } from "./errors.ts";
import { Interner } from "./interner.ts";
import type { KeyStore } from "./jwks-cache.ts";
import { splitCanonicalJwt, type JwtParts } from "./jwt-shape.ts";
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

  /** The last header that passed (a copy: a slice keeps its token alive), and its kid: a pool's tokens share one header a key. */
  let knownHeader = { text: "", kid: "" };
  /** The kid of a header that names a key for RS256; else why not. */
  function kidOf(header: string): string | AuthFailure {
    if (header === knownHeader.text) return knownHeader.kid;
    const fields = parseJsonObject(header);
    if (!fields) return new AuthFailure("token_invalid", "The token header is not a JSON object.");
    // The allow-list is ours, not the token's: nothing but RS256 reaches the signature check.
    if (fields.alg !== "RS256") return new AuthFailure("token_invalid", "Only RS256-signed tokens are accepted.");
    if (typeof fields.kid !== "string" || fields.kid === "") return new AuthFailure("token_invalid", "The token names no signing key.");
    knownHeader = { text: Buffer.from(header, "latin1").toString("latin1"), kid: fields.kid };
    return fields.kid;
  }

  /** The signature, then the claims, of a token whose header passed. */
  function finish(token: string, parts: JwtParts, kid: string, key: KeyObject): Verdict {
    let valid: boolean;
    try {
      // The signing input is ASCII (canonical form checked), so latin1 is exact and cheapest.
      valid = verifySignature("sha256", Buffer.from(parts.signingInput, "latin1"), key, Buffer.from(parts.signature, "base64url"));
    } catch {
      valid = false;
    }
    if (!valid) return new AuthFailure("token_invalid");
    const payload = parseJsonObject(parts.payload);
    if (!payload) return new AuthFailure("token_invalid", "The token payload is not a JSON object.");
    const failure = checkClaims(payload, rules);
    if (failure) return failure;
    const verified = toVerifiedToken(payload, interner, rules);
    cache.set(token, verified, interner.string(kid), verified.exp + rules.clockSkewSeconds);
    return verified;
  }

  /** A kid we do not hold: the JWKS is fetched again, but not for another pool's token. */
  function fetchAndFinish(token: string, parts: JwtParts, kid: string): Verdict | Promise<Verdict> {
    const iss = parseJsonObject(parts.payload)?.iss;
    if (typeof iss !== "string" || !rules.issuers.includes(iss)) return new AuthFailure("token_wrong_issuer");
    return keys.fetchKey(kid).then((key) => (key ? finish(token, parts, kid, key) : new AuthFailure("token_unknown_key")));
  }

  return {
    verify(token) {
      const cached = cache.get(token, trusted);
      if (cached) return cached;
      const parts = splitCanonicalJwt(token);
      if (parts instanceof AuthFailure) return parts;
      const kid = kidOf(parts.header);
      if (kid instanceof AuthFailure) return kid;
      const key = keys.key(kid);
      return key ? finish(token, parts, kid, key) : fetchAndFinish(token, parts, kid);
    },
  };
}

// A base64url JSON object, or undefined. Plain JSON.parse: an own `__proto__` key it makes is an
// ordinary property, and claims are only ever read by name.
function parseJsonObject(part: string): JwtPayload | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JwtPayload) : undefined;
  } catch {
    return undefined;
  }
}
