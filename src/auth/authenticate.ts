// Where a request is authenticated: the Authorization header → a verified token on request.auth.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from "fastify";
import { sendProblem, unavailable } from "../http/problem.ts";
import type { OpenSpan, Spans } from "../tracing/spans.ts";
import { parseBearer } from "./bearer.ts";
import { AuthFailure, KeysUnavailableError } from "./errors.ts";
import type { FailureLimiter } from "./failure-limiter.ts";
import { authProblem, keysUnavailableProblem, rateLimited } from "./problems.ts";
import type { TokenVerifier, Verdict, VerifiedToken } from "./verifier.ts";

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
  /** False until the revocations have been read once: until then no token can be told apart from a signed-out one. */
  readonly loaded: boolean;
  isRevoked(token: Pick<VerifiedToken, "sub" | "sessionId" | "authTime">): boolean;
}

export interface AuthenticateOptions {
  verifier: TokenVerifier;
  /** AUTH_FAILURE_RATE_LIMIT: bearer 401s per minute per address. */
  limiter?: FailureLimiter;
  revocations?: RevocationCheck;
  /** Told every outcome: "ok" or the API code (metrics). */
  onOutcome?: (outcome: string) => void;
  /** Tracing: one span per verification, its outcome code and token-cache hit or miss (never the token). */
  spans?: Spans;
}

/**
 * The onRequest hook of every authenticated route: it runs before the body is read or validated,
 * so an anonymous caller learns nothing from a 400. Query-string tokens are never looked at. Callback
 * style, and synchronous whenever verification is: a remembered token costs no promise. A refusal
 * is answered here, not thrown: refusing is routine and must stay cheap.
 */
export function authenticate({ verifier, limiter, revocations, onOutcome, spans }: AuthenticateOptions): onRequestHookHandler {
  // `span` is undefined unless tracing is on: then the path below costs a comparison, no more.
  function outcome(code: string, span: OpenSpan | undefined): void {
    onOutcome?.(code);
    if (!span) return;
    span.set("auth.outcome", code);
    span.end();
  }

  // The limit decides only how a failure is answered: a valid token is never refused because of
  // failures from its address, which other clients behind the same proxy or NAT may have caused.
  function refuse(request: FastifyRequest, reply: FastifyReply, failure: AuthFailure, span: OpenSpan | undefined): void {
    const blockedFor = limiter?.failure(request.ip) ?? 0;
    if (blockedFor > 0) {
      outcome("rate_limited", span);
      sendProblem(reply, rateLimited(blockedFor));
      return;
    }
    outcome(failure.code, span);
    sendProblem(reply, authProblem(failure));
  }

  function isRevoked(token: VerifiedToken, span: OpenSpan | undefined): boolean {
    if (!revocations) return false;
    if (!span) return revocations.isRevoked(token);
    return span.within(() => {
      const check = spans!.start("auth.revocation_check");
      const revoked = revocations.isRevoked(token);
      check.set("auth.revoked", revoked);
      check.end();
      return revoked;
    });
  }

  function settle(
    request: FastifyRequest,
    reply: FastifyReply,
    raw: string,
    verdict: Verdict,
    done: HookHandlerDoneFunction,
    span: OpenSpan | undefined,
  ): void {
    if (verdict instanceof AuthFailure) return refuse(request, reply, verdict, span);
    // The app's gate answers this first; here too, so that no route can accept a token unchecked.
    if (revocations && !revocations.loaded) {
      outcome("unavailable", span);
      sendProblem(reply, unavailable("Revocations are not loaded yet; try again shortly.", 1));
      return;
    }
    if (isRevoked(verdict, span)) return refuse(request, reply, new AuthFailure("token_revoked"), span);
    request.auth = { token: verdict, raw };
    outcome("ok", span);
    done();
  }

  return function authenticateRequest(request, reply, done) {
    const span = spans?.start("auth.verify_token");
    const raw = parseBearer(request.headers.authorization);
    if (raw instanceof AuthFailure) return refuse(request, reply, raw, span);
    // A synchronous throw here reaches Fastify's hook runner, which answers it like done(err).
    // Active while verifying: the token cache's hit or miss and a JWKS fetch attach to this span.
    const verdict = span ? span.within(() => verifier.verify(raw)) : verifier.verify(raw);
    if (!(verdict instanceof Promise)) return settle(request, reply, raw, verdict, done, span);
    verdict
      .then(
        (settled) => settle(request, reply, raw, settled, done, span),
        (err: unknown) => {
          if (!(err instanceof KeysUnavailableError)) {
            span?.fail(err);
            span?.end();
            return done(err as Error);
          }
          outcome("unavailable", span);
          sendProblem(reply, keysUnavailableProblem(err));
        },
      )
      // A bug above must become this request's 500, not an unhandled rejection that ends the process.
      .catch((err: unknown) => {
        if (!reply.sent) done(err as Error);
      });
  };
}

/** The verified token (and its raw text) of a route behind `authenticate`. */
export function verifiedTokenOf(request: FastifyRequest): Authenticated {
  if (!request.auth) throw new Error("route is not behind authenticate()");
  return request.auth;
}
