// Where a request is authenticated: the Authorization header → a verified token on request.auth.
import type { FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { parseBearer } from "./bearer.ts";
import { AuthError, KeysUnavailableError } from "./errors.ts";
import type { FailureLimiter } from "./failure-limiter.ts";
import { authProblem, keysUnavailableProblem, rateLimited } from "./problems.ts";
import type { TokenVerifier, VerifiedToken } from "./verifier.ts";

export interface Authenticated {
  token: VerifiedToken;
  /** The raw bearer token, for calls made on the user's behalf (GetUser). Never logged. */
  raw: string;
}

declare module "fastify" {
  interface FastifyRequest {
    auth: Authenticated | null;
  }
}

/** Signed-out sessions and users; checked on every request, cached tokens included. */
export interface RevocationCheck {
  isRevoked(token: Pick<VerifiedToken, "sub" | "sessionId" | "authTime">): boolean;
}

export interface AuthenticateOptions {
  verifier: TokenVerifier;
  /** AUTH_FAILURE_RATE_LIMIT: bearer 401s per minute per address. */
  limiter?: FailureLimiter;
  revocations?: RevocationCheck;
  /** Told every outcome: "ok" or the API code (metrics). */
  onOutcome?: (outcome: string) => void;
}

/** preHandler for every authenticated route. Query-string tokens are never looked at. */
export function authenticate({ verifier, limiter, revocations, onOutcome }: AuthenticateOptions): preHandlerAsyncHookHandler {
  return async function authenticateRequest(request) {
    const blockedFor = limiter?.blockedFor(request.ip) ?? 0;
    if (blockedFor > 0) {
      onOutcome?.("rate_limited");
      throw rateLimited(blockedFor);
    }
    try {
      const raw = parseBearer(request.headers.authorization);
      const token = await verifier.verify(raw);
      if (revocations?.isRevoked(token)) throw new AuthError("token_revoked");
      request.auth = { token, raw };
      onOutcome?.("ok");
    } catch (err) {
      if (err instanceof AuthError) {
        limiter?.recordFailure(request.ip);
        onOutcome?.(err.code);
        throw authProblem(err);
      }
      if (err instanceof KeysUnavailableError) {
        onOutcome?.("unavailable");
        throw keysUnavailableProblem(err);
      }
      throw err;
    }
  };
}

/** The caller of a route behind `authenticate`. */
export function caller(request: FastifyRequest): Authenticated {
  if (!request.auth) throw new Error("route is not behind authenticate()");
  return request.auth;
}
