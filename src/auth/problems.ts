// Every 401, 403 and 429 answer, with its RFC 6750 WWW-Authenticate header: the one place that
// writes the bearer scheme's challenge.
import { ApiProblem, forbidden, unavailable } from "../http/problem.ts";
import type { AuthFailure, KeysUnavailableError } from "./errors.ts";

const REALM = 'Bearer realm="api"';

function unauthorized(code: string, detail: string, extensions: Record<string, unknown> = {}): ApiProblem {
  const challenge = code === "token_missing" ? REALM : `${REALM}, error="invalid_token", error_description="${code}"`;
  return new ApiProblem(401, code, detail, { "www-authenticate": challenge }, extensions);
}

// One problem per (code, detail), built once: details are fixed texts, and a server refusing a flood
// of forged tokens should not capture an Error's stack for each.
const authProblems = new Map<string, ApiProblem>();

export function authProblem(err: AuthFailure): ApiProblem {
  const key = `${err.code}\n${err.detail}`;
  let problem = authProblems.get(key);
  if (!problem) {
    problem = unauthorized(err.code, err.detail);
    if (authProblems.size < 64) authProblems.set(key, problem);
  }
  return problem;
}

/** /metrics has a realm of its own: its token is not a user's. */
export function keysUnavailableProblem(_err: KeysUnavailableError): ApiProblem {
  return unavailable("The user pool's signing keys cannot be fetched right now; try again shortly.", 5);
}

/** A wrong password, code or refresh token: one answer for all, so that nobody learns which. */
export function invalidCredentials(detail: string): ApiProblem {
  return unauthorized("invalid_credentials", detail);
}

/** Cognito asks for more (a new password, an MFA code) before it hands out tokens. */
export function challengeRequired(challenge: string, session: string): ApiProblem {
  return unauthorized("challenge_required", `Cognito asks for ${challenge}; answer it at /api/v1/auth/challenge.`, { challenge, session });
}

export function sessionRevoked(): ApiProblem {
  return unauthorized("token_revoked", "This session has been signed out; sign in again.");
}

/** 403 for a caller who lacks a permission the route needs. */
export function insufficientScope(detail: string): ApiProblem {
  return forbidden(detail, "forbidden", { "www-authenticate": `${REALM}, error="insufficient_scope"` });
}

export function accountDisabled(): ApiProblem {
  return forbidden("This account has been deactivated.", "account_disabled");
}

export function rateLimited(retryAfterSeconds: number, detail = "Too many failed authentication attempts; try again later."): ApiProblem {
  return new ApiProblem(429, "rate_limited", detail, { "retry-after": String(retryAfterSeconds) });
}

/** A service lacking the scope a route needs: RFC 6750 §3.1 names it in the challenge. */
export function missingScope(scope: string): ApiProblem {
  return forbidden(`This route needs the scope ${scope}.`, "forbidden", { "www-authenticate": `${REALM}, error="insufficient_scope", scope="${scope}"` });
}

/** A service token on a route for people only (/me, sign-out, …). */
export function notAUser(): ApiProblem {
  return forbidden("This route is for people; an app's client-credentials token has no profile.", "not_a_user", {
    "www-authenticate": `${REALM}, error="insufficient_scope"`,
  });
}
