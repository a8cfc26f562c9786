// The claims of a token whose signature verified: aws-jwt-verify's own validators (exp, nbf, iss;
// token_use, client_id/aud) plus the rules Cognito tokens always satisfy, each failure mapped to
// exactly one API code. Then the claims the rest of the server uses, as a VerifiedToken.
import { validateCognitoJwtFields } from "aws-jwt-verify/cognito-verifier";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  JwtExpiredError,
  JwtInvalidIssuerError,
} from "aws-jwt-verify/error";
import { validateJwtFields } from "aws-jwt-verify/jwt";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import { AuthFailure } from "./errors.ts";
import type { Interner } from "./interner.ts";

/** What the rest of the server knows about a verified caller. */
export interface VerifiedToken {
  /**
   * A person, or an app calling as itself with a client-credentials token (`sub` = `client_id`, no
   * `username`, no groups) from a client in COGNITO_SERVICE_CLIENT_IDS. A service is never a user.
   */
  kind: "user" | "service";
  /** The app client: `client_id` of an access token, `aud` of an id token. */
  clientId: string;
  sub: string;
  username: string;
  tokenUse: "access" | "id";
  groups: readonly string[];
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

export interface ClaimRules {
  /** Every accepted `iss`. */
  issuers: string[];
  /** Accepted app clients of people: `client_id` of access tokens, `aud` of id tokens. */
  clientIds: string[];
  /** Accepted app clients of services: client-credentials access tokens only. */
  serviceClientIds: string[];
  tokenUse: "access" | "id" | null;
  clockSkewSeconds: number;
}

/** Undefined when the claims are acceptable; else the failure to answer with. */
export function checkClaims(payload: JwtPayload, rules: ClaimRules): AuthFailure | undefined {
  // JSON allows 1e999 (Infinity): an exp that never comes is no expiry at all.
  if (!Number.isFinite(payload.exp)) return new AuthFailure("token_invalid", "The token has no expiry (exp).");
  if (!Number.isFinite(payload.iat)) return new AuthFailure("token_invalid", "The token has no issue time (iat).");
  if (payload.nbf !== undefined && !Number.isFinite(payload.nbf)) return new AuthFailure("token_invalid", "The token's nbf is not a time.");
  if ((payload.iat as number) > Date.now() / 1000 + rules.clockSkewSeconds) {
    return new AuthFailure("token_invalid", "The token is issued in the future (iat).");
  }
  if (typeof payload.sub !== "string" || payload.sub === "") return new AuthFailure("token_invalid", "The token has no subject (sub).");
  try {
    validateJwtFields(payload, { issuer: rules.issuers, audience: null, graceSeconds: rules.clockSkewSeconds });
    validateCognitoJwtFields(payload, { tokenUse: rules.tokenUse, clientId: [...rules.clientIds, ...rules.serviceClientIds] });
  } catch (err) {
    return toAuthFailure(err);
  }
  return checkKind(payload, rules);
}

/**
 * A service client's tokens must be client-credentials tokens, and a person's client's must not
 * be: otherwise a person could pass for an app (or an app for a person) by the client they use.
 */
function checkKind(payload: JwtPayload, rules: ClaimRules): AuthFailure | undefined {
  const serviceShaped = payload.token_use === "access" && payload.username === undefined && payload.sub === payload.client_id;
  const fromServiceClient = rules.serviceClientIds.includes((payload.token_use === "id" ? audience(payload) : payload.client_id) as string);
  if (fromServiceClient) {
    if (payload.token_use !== "access") return new AuthFailure("token_wrong_use", "A service client's token must be a client-credentials access token.");
    if (!serviceShaped) return new AuthFailure("token_invalid", "A service client's token names a user: it is not a client-credentials token.");
    return undefined;
  }
  if (serviceShaped) return new AuthFailure("token_wrong_audience", "A client-credentials token of an app client not accepted as a service.");
  return undefined;
}

function audience(payload: JwtPayload): unknown {
  return Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
}

/** aws-jwt-verify's typed errors, each mapped to exactly one API code. */
function toAuthFailure(err: unknown): AuthFailure {
  if (err instanceof JwtExpiredError) return new AuthFailure("token_expired");
  if (err instanceof JwtInvalidIssuerError) return new AuthFailure("token_wrong_issuer");
  if (err instanceof CognitoJwtInvalidClientIdError) return new AuthFailure("token_wrong_audience");
  if (err instanceof CognitoJwtInvalidTokenUseError) return new AuthFailure("token_wrong_use");
  return new AuthFailure("token_invalid");
}

/** The sign-in a token descends from, and when it happened: for tokens we verified and tokens Cognito just handed us alike. */
export function sessionOf(payload: Record<string, unknown>): { sessionId: string; authTime: number } {
  return {
    sessionId: typeof payload.origin_jti === "string" ? payload.origin_jti : typeof payload.jti === "string" ? payload.jti : "",
    authTime: typeof payload.auth_time === "number" ? payload.auth_time : typeof payload.iat === "number" ? payload.iat : 0,
  };
}

/** The claims of a token that passed checkClaims; the repeating ones shared through `interner`. */
export function toVerifiedToken(payload: JwtPayload, interner: Interner, rules: Pick<ClaimRules, "serviceClientIds">): VerifiedToken {
  const tokenUse = payload.token_use === "id" ? "id" : "access";
  const groupsClaim = payload["cognito:groups"];
  const groups = Array.isArray(groupsClaim) ? groupsClaim.filter((g): g is string => typeof g === "string") : [];
  const sub = interner.string(payload.sub as string);
  const usernameClaim = tokenUse === "id" ? payload["cognito:username"] : payload.username;
  const clientId = tokenUse === "id" ? audience(payload) : payload.client_id;
  const verified: VerifiedToken = {
    kind: rules.serviceClientIds.includes(clientId as string) ? "service" : "user",
    clientId: interner.string(String(clientId)),
    sub,
    username: typeof usernameClaim === "string" ? interner.string(usernameClaim) : sub,
    tokenUse,
    groups: interner.list(groups),
    exp: payload.exp as number,
    ...sessionOf(payload),
  };
  if (typeof payload.scope === "string") verified.scope = interner.string(payload.scope);
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
