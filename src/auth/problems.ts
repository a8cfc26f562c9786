// 401 and 403 answers of the bearer scheme, with RFC 6750 WWW-Authenticate headers.
import { ApiProblem, forbidden, unavailable } from "../http/problem.ts";
import type { AuthFailure, KeysUnavailableError } from "./errors.ts";

const REALM = 'Bearer realm="api"';

// One problem per (code, detail), built once: details are fixed texts, and a server refusing a flood
// of forged tokens should not capture an Error's stack for each.
const authProblems = new Map<string, ApiProblem>();

export function authProblem(err: AuthFailure): ApiProblem {
  const key = `${err.code}\n${err.detail}`;
  let problem = authProblems.get(key);
  if (!problem) {
    const challenge =
      err.code === "token_missing" ? REALM : `${REALM}, error="invalid_token", error_description="${err.code}"`;
    problem = new ApiProblem(401, err.code, err.detail, { "www-authenticate": challenge });
    if (authProblems.size < 64) authProblems.set(key, problem);
  }
  return problem;
}

export function keysUnavailableProblem(_err: KeysUnavailableError): ApiProblem {
  return unavailable("The user pool's signing keys cannot be fetched right now; try again shortly.", 5);
}

/** 403 for a caller who lacks a Cognito group the route needs. */
export function insufficientScope(detail: string): ApiProblem {
  return forbidden(detail, "forbidden", { "www-authenticate": `${REALM}, error="insufficient_scope"` });
}

export function accountDisabled(): ApiProblem {
  return forbidden("This account has been deactivated.", "account_disabled");
}

export function rateLimited(retryAfterSeconds: number): ApiProblem {
  return new ApiProblem(429, "rate_limited", "Too many failed authentication attempts; try again later.", {
    "retry-after": String(retryAfterSeconds),
  });
}
