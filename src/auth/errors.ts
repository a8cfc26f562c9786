import { AUTH_CODES } from "../http/problem-schema.ts";

export type AuthCode = (typeof AUTH_CODES)[number];

const DETAILS: Record<AuthCode, string> = {
  token_missing: "Send an access token as 'Authorization: Bearer <token>'.",
  token_invalid: "The token is malformed or its signature does not verify.",
  token_expired: "The token has expired; sign in again or refresh it.",
  token_wrong_issuer: "The token was issued by another user pool or issuer.",
  token_wrong_audience: "The token was issued to an app client this API does not accept.",
  token_wrong_use: "The token is of the wrong kind (id or access) for this API.",
  token_unknown_key: "The token was signed with a key the user pool does not publish.",
  token_revoked: "The token has been revoked; sign in again.",
};

/**
 * A 401: the token (or its absence) is at fault. Never carries the token itself. A value, not an
 * Error: refusing a forged token is routine work, and an Error's stack capture would be most of
 * its cost.
 */
export class AuthFailure {
  constructor(
    readonly code: AuthCode,
    readonly detail: string = DETAILS[code],
  ) {}
}

/** The signing keys cannot be had right now: the token may be valid, so this is a 503, not a 401. */
export class KeysUnavailableError extends Error {
  constructor(message = "The user pool's signing keys could not be fetched.") {
    super(message);
    this.name = "KeysUnavailableError";
  }
}
