// Cognito JWT checks: aws-jwt-verify does the signature and standard claims; we add the rules
// Cognito tokens always satisfy (exp, iat, sub present) and map every failure to one API code.
// The generic JwtVerifier serves AWS pools and the emulator alike: CognitoJwtVerifier rejects the
// emulator's `local_…` pool ids. For AWS pools config.issuers holds both issuer forms, as
// CognitoJwtVerifier would accept.
import { JwtVerifier } from "aws-jwt-verify";
import { validateCognitoJwtFields } from "aws-jwt-verify/cognito-verifier";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  JwtExpiredError,
  JwksNotAvailableInCacheError,
  JwtInvalidIssuerError,
  KidNotFoundInJwksError,
  ParameterValidationError,
} from "aws-jwt-verify/error";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { CognitoConfig } from "../config.ts";
import { AuthError, KeysUnavailableError } from "./errors.ts";
import type { KeyStore } from "./jwks-cache.ts";
import { assertCanonicalJwt } from "./jwt-shape.ts";
import { TokenCache } from "./token-cache.ts";

/** What the rest of the server knows about a verified caller. */
export interface VerifiedToken {
  sub: string;
  username: string;
  tokenUse: "access" | "id";
  groups: string[];
  /** Seconds since the epoch. */
  exp: number;
  /** The sign-in this token descends from: origin_jti, else jti (the emulator sets no origin_jti); "" if neither. */
  sessionId: string;
  /** When the user authenticated (auth_time, else iat), in seconds. */
  authTime: number;
  /** Id tokens only: Cognito-owned attributes. */
  email?: string;
  emailVerified?: boolean;
  givenName?: string;
  familyName?: string;
  scope?: string;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

export function createTokenVerifier(
  config: CognitoConfig,
  keys: KeyStore,
  cacheSize = 0,
  onCacheLookup?: (hit: boolean) => void,
): TokenVerifier {
  const cache = new TokenCache(cacheSize, onCacheLookup);
  const trusted = (kid: string) => keys.has(kid);
  const skew = config.clockSkewSeconds;
  const tokenUse = config.tokenUse === "any" ? null : config.tokenUse;
  // Set by the check during a synchronous verification and read right after it: no interleaving.
  let checkedKid = "";
  const customJwtCheck = ({ header, payload }: { header: { alg?: unknown; kid?: unknown }; payload: JwtPayload }): void => {
    if (header.alg !== "RS256") throw new AuthError("token_invalid", "Only RS256-signed tokens are accepted.");
    checkedKid = typeof header.kid === "string" ? header.kid : "";
    if (typeof payload.exp !== "number") throw new AuthError("token_invalid", "The token has no expiry (exp).");
    if (typeof payload.iat !== "number") throw new AuthError("token_invalid", "The token has no issue time (iat).");
    if (payload.iat > Date.now() / 1000 + skew) throw new AuthError("token_invalid", "The token is issued in the future (iat).");
    if (typeof payload.sub !== "string" || payload.sub === "") throw new AuthError("token_invalid", "The token has no subject (sub).");
    validateCognitoJwtFields(payload, { tokenUse, clientId: config.clientIds });
  };
  const verifier = JwtVerifier.create(
    config.issuers.map((issuer) => ({ issuer, jwksUri: config.jwksUri, audience: null, graceSeconds: skew, customJwtCheck })),
    { jwksCache: keys },
  );

  return {
    async verify(token) {
      const key = TokenCache.key(token);
      const cached = cache.get(key, trusted);
      if (cached) return cached;
      let payload: JwtPayload;
      let kid: string;
      try {
        assertCanonicalJwt(token);
        try {
          // The common case, a key we hold, verifies synchronously: no promise hops per request.
          payload = verifier.verifySync(token);
          kid = checkedKid;
        } catch (err) {
          if (!(err instanceof KidNotFoundInJwksError || err instanceof JwksNotAvailableInCacheError)) throw err;
          payload = await verifier.verify(token);
          kid = headerKid(token);
        }
      } catch (err) {
        throw toAuthFailure(err);
      }
      const verified = toVerifiedToken(payload);
      cache.set(key, verified, kid, (verified.exp + skew) * 1000);
      return verified;
    },
  };
}

/** The verifier's typed errors, each mapped to exactly one API code. */
function toAuthFailure(err: unknown): Error {
  if (err instanceof AuthError || err instanceof KeysUnavailableError) return err;
  if (err instanceof JwtExpiredError) return new AuthError("token_expired");
  if (err instanceof JwtInvalidIssuerError) return new AuthError("token_wrong_issuer");
  // Raised by the multi-issuer lookup when `iss` is none of ours.
  if (err instanceof ParameterValidationError && err.message.startsWith("issuer")) return new AuthError("token_wrong_issuer");
  if (err instanceof CognitoJwtInvalidClientIdError) return new AuthError("token_wrong_audience");
  if (err instanceof CognitoJwtInvalidTokenUseError) return new AuthError("token_wrong_use");
  if (err instanceof KidNotFoundInJwksError) return new AuthError("token_unknown_key");
  return new AuthError("token_invalid");
}

/** The kid a token's header names, or "" (the header is checked properly by the verifier). */
function headerKid(token: string): string {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString());
    const kid = (header as { kid?: unknown } | null)?.kid;
    return typeof kid === "string" ? kid : "";
  } catch {
    return "";
  }
}

function toVerifiedToken(payload: JwtPayload): VerifiedToken {
  const tokenUse = payload.token_use === "id" ? "id" : "access";
  const groupsClaim = payload["cognito:groups"];
  const groups = Array.isArray(groupsClaim) ? groupsClaim.filter((g): g is string => typeof g === "string") : [];
  const usernameClaim = tokenUse === "id" ? payload["cognito:username"] : payload.username;
  const verified: VerifiedToken = {
    sub: payload.sub as string,
    username: typeof usernameClaim === "string" ? usernameClaim : (payload.sub as string),
    tokenUse,
    groups,
    exp: payload.exp as number,
    sessionId: typeof payload.origin_jti === "string" ? payload.origin_jti : typeof payload.jti === "string" ? payload.jti : "",
    authTime: typeof payload.auth_time === "number" ? payload.auth_time : (payload.iat as number),
  };
  if (typeof payload.scope === "string") verified.scope = payload.scope;
  if (tokenUse === "id") {
    if (typeof payload.email === "string") verified.email = payload.email;
    const ev = payload.email_verified;
    if (typeof ev === "boolean") verified.emailVerified = ev;
    else if (ev === "true" || ev === "false") verified.emailVerified = ev === "true";
    if (typeof payload.given_name === "string") verified.givenName = payload.given_name;
    if (typeof payload.family_name === "string") verified.familyName = payload.family_name;
  }
  return verified;
}
