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

/** preHandler for every authenticated route. Query-string tokens are never looked at. */
export function authenticate(verifier: TokenVerifier, limiter?: FailureLimiter, revocations?: RevocationCheck): preHandlerAsyncHookHandler {
  return async function authenticateRequest(request) {
    const blockedFor = limiter?.blockedFor(request.ip) ?? 0;
    if (blockedFor > 0) throw rateLimited(blockedFor);
    try {
      const raw = parseBearer(request.headers.authorization);
      const token = await verifier.verify(raw);
      if (revocations?.isRevoked(token)) throw new AuthError("token_revoked");
      request.auth = { token, raw };
    } catch (err) {
      if (err instanceof AuthError) {
        limiter?.recordFailure(request.ip);
        throw authProblem(err);
      }
      if (err instanceof KeysUnavailableError) throw keysUnavailableProblem(err);
      throw err;
    }
  };
}

/** The caller of a route behind `authenticate`. */
export function caller(request: FastifyRequest): Authenticated {
  if (!request.auth) throw new Error("route is not behind authenticate()");
  return request.auth;
}
