// Sign-in, challenges, refresh and sign-out through the backend, and the administrators' "sign
// this user out everywhere". Cognito does the authentication; this server adds brute-force limits,
// the local is_active rule, and revocation that every instance honours.
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from "fastify";
import { Type } from "typebox";
import { caller } from "../auth/plugin.ts";
import { accountDisabled } from "../auth/problems.ts";
import { ChallengeRequired, type IdentityProvider, type Tokens } from "../cognito/client.ts";
import type { ErrorObject } from "ajv";
import { ApiProblem, notFound, unavailable, validationFailed } from "../http/problem.ts";
import { fieldErrors } from "../http/validation.ts";
import { AUTHENTICATED_ERRORS, problems } from "../http/problem-schema.ts";
import { currentUser } from "../users/current-user.ts";
import { requireAdmin } from "../users/permissions.ts";
import type { UserRepository } from "../users/repository.ts";
import type { LoginThrottle } from "./login-throttle.ts";
import type { RevocationStore } from "./revocations.ts";

export interface SessionRoutesDeps {
  identity: IdentityProvider;
  authenticate: preHandlerHookHandler;
  /** authenticate, then the current user (403 for deactivated accounts). */
  signedIn: preHandlerHookHandler[];
  repository: UserRepository;
  revocations: RevocationStore;
  throttle: LoginThrottle;
  adminGroup: string;
  audit: (request: FastifyRequest, action: string, target: string) => void;
}

// Every way Cognito says "no" to a password, told apart by nobody: no user enumeration.
const BAD_CREDENTIALS = new Set([
  "NotAuthorizedException",
  "UserNotFoundException",
  "UserNotConfirmedException",
  "PasswordResetRequiredException",
  "InvalidPasswordException",
]);
const security = [{ bearerAuth: [] }];

const TokensSchema = Type.Object({
  access_token: Type.String(),
  id_token: Type.String(),
  refresh_token: Type.Optional(Type.String()),
  expires_in: Type.Integer({ description: "seconds until the access token's exp" }),
  token_type: Type.Literal("Bearer"),
});
const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
const ChallengeBody = Type.Object(
  {
    challenge: Type.Union([Type.Literal("NEW_PASSWORD_REQUIRED"), Type.Literal("SOFTWARE_TOKEN_MFA"), Type.Literal("SMS_MFA")]),
    session: Type.String({ minLength: 1, maxLength: 4096 }),
    username: Type.String({ minLength: 1, maxLength: 256 }),
    responses: Type.Record(Type.String({ pattern: "^[A-Z_]{1,64}$" }), Type.String({ maxLength: 2048 }), { maxProperties: 10 }),
  },
  { additionalProperties: false },
);
const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 8192 }), username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) },
  { additionalProperties: false },
);
const LogoutBody = Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192 })) }, { additionalProperties: false });

interface LoginInput {
  username: string;
  password: string;
}
interface ChallengeInput {
  challenge: string;
  session: string;
  username: string;
  responses: Record<string, string>;
}
interface RefreshInput {
  refresh_token: string;
  username?: string;
}

function invalidCredentials(detail: string): ApiProblem {
  return new ApiProblem(401, "invalid_credentials", detail, {
    "www-authenticate": 'Bearer realm="api", error="invalid_token", error_description="invalid_credentials"',
  });
}

function challengeRequired(err: ChallengeRequired): ApiProblem {
  return new ApiProblem(
    401,
    "challenge_required",
    `Cognito asks for ${err.challenge}; answer it at /api/v1/auth/challenge.`,
    { "www-authenticate": 'Bearer realm="api", error="invalid_token", error_description="challenge_required"' },
    { challenge: err.challenge, session: err.session ?? "" },
  );
}

function rateLimited(retryAfter: number, detail = "Too many failed sign-ins; try again later."): ApiProblem {
  return new ApiProblem(429, "rate_limited", detail, { "retry-after": String(retryAfter) });
}

function sessionRevoked(): ApiProblem {
  return new ApiProblem(401, "token_revoked", "This session has been signed out; sign in again.", {
    "www-authenticate": 'Bearer realm="api", error="invalid_token", error_description="token_revoked"',
  });
}

/** Claims of a token that has just come from Cognito itself (not from a client): read, not verified. */
function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;
}

/** An operation this pool does not implement (the emulator's "Unsupported") is no failure here. */
async function bestEffort(request: FastifyRequest, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const name = err instanceof Error ? err.name : "unknown";
    if (name !== "Unsupported") request.log.warn({ op: what, err: name }, "Cognito sign-out step failed; local revocation still applies");
  }
}

export async function sessionRoutes(app: FastifyInstance, deps: SessionRoutesDeps): Promise<void> {
  /** Tokens for the caller, unless the local account is deactivated or signed out everywhere. */
  const issue = async (request: FastifyRequest, reply: FastifyReply, tokens: Tokens) => {
    const claims = claimsOf(tokens.access_token);
    const sub = String(claims.sub ?? "");
    const user = await deps.repository.findBySub(sub);
    if (user && !user.isActive) {
      if (tokens.refresh_token) await bestEffort(request, "RevokeToken", () => deps.identity.revokeRefreshToken(tokens.refresh_token!));
      throw accountDisabled();
    }
    const exp = typeof claims.exp === "number" ? claims.exp : Math.floor(Date.now() / 1000) + tokens.expires_in;
    const authTime = typeof claims.auth_time === "number" ? claims.auth_time : Number(claims.iat ?? 0);
    const sessionId = typeof claims.origin_jti === "string" ? claims.origin_jti : String(claims.jti ?? "");
    if (deps.revocations.isRevoked({ sub, sessionId, authTime })) throw sessionRevoked();
    return reply.send({ ...tokens, expires_in: Math.max(0, exp - Math.floor(Date.now() / 1000)) });
  };

  /** Runs a sign-in step under the brute-force limits, mapping Cognito's answers to ours. */
  const signIn = async (request: FastifyRequest, reply: FastifyReply, username: string, step: () => Promise<Tokens>) => {
    const attempt = await deps.throttle.reserveLogin(username, request.ip);
    if ("retryAfter" in attempt) throw rateLimited(attempt.retryAfter);
    let tokens: Tokens;
    try {
      tokens = await step();
    } catch (err) {
      // A right password that leads to a challenge resets nothing: the code is guessed under the same count.
      if (err instanceof ChallengeRequired) {
        await attempt.release();
        throw challengeRequired(err);
      }
      if (err instanceof Error && BAD_CREDENTIALS.has(err.name)) {
        await attempt.failed();
        throw invalidCredentials("Incorrect username or password.");
      }
      if (err instanceof Error && err.name === "CodeMismatchException") {
        await attempt.failed();
        throw invalidCredentials("The challenge answer is not correct.");
      }
      await attempt.release();
      request.log.warn({ err: err instanceof Error ? err.name : "unknown" }, "Cognito sign-in failed");
      throw unavailable("Cognito is unavailable; try again shortly.");
    }
    await attempt.succeeded();
    return issue(request, reply, tokens);
  };

  app.post(
    "/api/v1/auth/login",
    {
      schema: {
        tags: ["sessions"],
        summary: "Sign in with username and password (ADMIN_USER_PASSWORD_AUTH)",
        body: LoginBody,
        response: { 200: TokensSchema, ...problems(400, 401, 403, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body as LoginInput;
      return signIn(request, reply, username, () => deps.identity.passwordLogin(username, password));
    },
  );

  app.post(
    "/api/v1/auth/challenge",
    {
      schema: {
        tags: ["sessions"],
        summary: "Answer a sign-in challenge (new password, MFA code)",
        body: ChallengeBody,
        response: { 200: TokensSchema, ...problems(400, 401, 403, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { challenge, session, username, responses } = request.body as ChallengeInput;
      return signIn(request, reply, username, () => deps.identity.respondToChallenge(challenge, session, username, responses));
    },
  );

  app.post(
    "/api/v1/auth/refresh",
    {
      schema: {
        tags: ["sessions"],
        summary: "New access and id tokens from a refresh token",
        body: RefreshBody,
        response: { 200: TokensSchema, ...problems(400, 401, 403, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { refresh_token: refreshToken, username } = request.body as RefreshInput;
      const attempt = await deps.throttle.reserveRefresh(refreshToken, request.ip);
      if ("retryAfter" in attempt) throw rateLimited(attempt.retryAfter, "Too many refreshes; try again later.");
      // Whatever Cognito would say: its RevokeToken may have failed at sign-out.
      if (await deps.revocations.isRefreshTokenRevoked(refreshToken)) throw sessionRevoked();
      let tokens: Tokens;
      try {
        tokens = await deps.identity.refresh(refreshToken, username);
      } catch (err) {
        if (err instanceof Error && BAD_CREDENTIALS.has(err.name)) throw invalidCredentials("The refresh token is invalid, expired or revoked.");
        await attempt.release();
        request.log.warn({ err: err instanceof Error ? err.name : "unknown" }, "Cognito refresh failed");
        throw unavailable("Cognito is unavailable; try again shortly.");
      }
      await attempt.succeeded();
      return issue(request, reply, tokens);
    },
  );

  app.post(
    "/api/v1/auth/logout",
    {
      // Deactivated users may sign out: only the token is checked, not the account.
      preHandler: deps.authenticate,
      // The body is optional: validated in the handler, after the token, and only when sent.
      attachValidation: true,
      schema: {
        tags: ["sessions"],
        summary: "Sign out this session: revoke the refresh token and refuse this session's tokens everywhere",
        security,
        body: LogoutBody,
        response: { 204: { type: "null", description: "Signed out" }, ...problems(400, 401, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { token, raw } = caller(request);
      if (request.validationError && request.body !== undefined && request.body !== null) {
        const errors = (request.validationError as { validation?: ErrorObject[] }).validation ?? [];
        throw validationFailed(fieldErrors(errors, () => "is not a field of this request"));
      }
      const refreshToken = (request.body as { refresh_token?: string } | undefined)?.refresh_token;
      // Ours first: it holds whether or not Cognito's own sign-out calls succeed.
      await deps.revocations.revokeSession(token, refreshToken);
      if (refreshToken) await bestEffort(request, "RevokeToken", () => deps.identity.revokeRefreshToken(refreshToken));
      await bestEffort(request, "GlobalSignOut", () => deps.identity.globalSignOut(raw));
      return reply.code(204).send();
    },
  );

  app.post(
    "/api/v1/users/:uuid/sign-out",
    {
      preHandler: deps.signedIn,
      schema: {
        tags: ["users"],
        summary: "Sign a user out everywhere (administrators)",
        security,
        params: Type.Object({ uuid: Type.String() }),
        response: { 204: { type: "null", description: "Signed out everywhere" }, ...problems(404, ...AUTHENTICATED_ERRORS) },
      },
    },
    async (request, reply) => {
      requireAdmin({ user: currentUser(request), isAdmin: caller(request).token.groups.includes(deps.adminGroup) });
      const id = (request.params as { uuid: string }).uuid;
      const target = await deps.repository.findById(id);
      if (!target) throw notFound("No such user.");
      await bestEffort(request, "AdminUserGlobalSignOut", () => deps.identity.adminGlobalSignOut(target.username));
      await deps.revocations.revokeUser(target.cognitoSub);
      deps.audit(request, "user.sign_out", target.uuid);
      return reply.code(204).send();
    },
  );
}
