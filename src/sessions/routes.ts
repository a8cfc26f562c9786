// Sign-in, challenges, refresh and sign-out through the backend, and the administrators' "sign
// this user out everywhere". Cognito does the authentication; this server adds brute-force limits,
// the local is_active rule, and revocation that every instance honours. The route table first,
// then its handlers.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from "fastify";
import { verifiedTokenOf } from "../auth/authenticate.ts";
import { sessionOf } from "../auth/claims.ts";
import { Type } from "typebox";
import { accountDisabled, challengeRequired, invalidCredentials, notAUser, rateLimited, sessionRevoked } from "../auth/problems.ts";
import { ChallengeRequired, type IdentityProvider, type Tokens } from "../cognito/client.ts";
import { cognitoRefusal, isCredentialFailure } from "../cognito/errors.ts";
import { ApiProblem, notFound, unavailable } from "../http/problem.ts";
import { BEARER, CONFLICT, JSON_BODY, NOT_FOUND, PERMISSION_CHECKED, problems, SIGNED_IN, TOKEN_CHECKED, type ProblemCodes } from "../http/problem-schema.ts";
import type { Handler } from "../http/typed-route.ts";
import { userPrincipalOf } from "../authz/principal.ts";
import { refusingLastAdmin } from "../users/last-admin.ts";
import { requirePermission } from "../authz/guards.ts";
import { maySignOutOthers } from "../authz/rules.ts";
import { UuidParamsSchema } from "../users/profile-schema.ts";
import type { UserRepository } from "../users/repository.ts";
import type { Attempt, LoginThrottle } from "./login-throttle.ts";
import type { RevocationStore } from "./revocations.ts";
import { ChallengeBody, LoginBody, LogoutBody, RefreshBody, TokensSchema, type TokensAnswer } from "./http-schemas.ts";

export interface SessionRoutesDeps {
  identity: IdentityProvider;
  authenticate: onRequestHookHandler;
  /** The caller's local user and rights; 403 for deactivated accounts. */
  loadPrincipal: preValidationHookHandler;
  repository: UserRepository;
  revocations: RevocationStore;
  throttle: LoginThrottle;
  /** COGNITO_SERVICE_CLIENT_IDS: the services an administrator may sign out. */
  serviceClientIds: readonly string[];
  audit: (request: FastifyRequest, action: string, target: string) => void;
}

const tags = ["sessions"];
/** Sign-in, challenge and refresh: Cognito's refusals, a signed-out session, a deactivated account. */
const SIGN_IN: ProblemCodes = {
  401: ["invalid_credentials", "challenge_required", "token_revoked"],
  403: ["account_disabled"],
  429: ["rate_limited"],
  503: ["unavailable"],
};
const loginSchema = {
  tags, operationId: "login", summary: "Sign in with username and password (ADMIN_USER_PASSWORD_AUTH)", body: LoginBody,
  response: { 200: TokensSchema, ...problems(SIGN_IN, JSON_BODY) },
};
const challengeSchema = {
  tags, operationId: "answerChallenge", summary: "Answer a sign-in challenge (new password, MFA code)", body: ChallengeBody,
  response: { 200: TokensSchema, ...problems(SIGN_IN, JSON_BODY) },
};
const refreshSchema = {
  tags, operationId: "refreshTokens", summary: "New access and id tokens from a refresh token", body: RefreshBody,
  response: { 200: TokensSchema, ...problems(SIGN_IN, JSON_BODY) },
};
const logoutSchema = {
  tags, operationId: "logout", summary: "Sign out this session: revoke the refresh token and refuse this session's tokens everywhere", security: BEARER, body: LogoutBody,
  response: { 204: { type: "null", description: "Signed out" }, ...problems(TOKEN_CHECKED, JSON_BODY) },
};
const signOutSchema = {
  tags: ["users"], operationId: "signOutUser", summary: "Sign a user out everywhere (administrators)", security: BEARER, params: UuidParamsSchema,
  response: { 204: { type: "null", description: "Signed out everywhere" }, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND, CONFLICT) },
};
// The caller's own: no last-admin rule, since it locks no one out (they sign in again), and an
// administrator who fears a stolen session must be able to end it.
const signOutMeSchema = {
  tags: ["profile"], operationId: "signOutMe", summary: "Sign the caller out of every session, on every device (any signed-in person)", security: BEARER,
  response: { 204: { type: "null", description: "Signed out everywhere" }, ...problems(SIGNED_IN) },
};

const serviceSignOutSchema = {
  tags: ["services"], operationId: "signOutService", summary: "Refuse every token a service (app client) got before now, on every instance (administrators)", security: BEARER,
  params: Type.Object({ client_id: Type.String({ maxLength: 128 }) }),
  response: { 204: { type: "null", description: "Signed out" }, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND) },
};

export async function sessionRoutes(fastify: FastifyInstance, deps: SessionRoutesDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const h = sessionHandlers(deps);
  app.post("/api/v1/auth/login", { schema: loginSchema }, h.login);
  app.post("/api/v1/auth/challenge", { schema: challengeSchema }, h.challenge);
  app.post("/api/v1/auth/refresh", { schema: refreshSchema }, h.refresh);
  app.post("/api/v1/auth/logout", {
    // Deactivated users may sign out: only the token is checked, not the account.
    onRequest: deps.authenticate,
    preValidation: bodyOptional,
    config: { refusal: () => "is not a field of this request" },
    schema: logoutSchema,
  }, h.logout);
  app.post("/api/v1/me/sign-out", { onRequest: deps.authenticate, preValidation: deps.loadPrincipal, schema: signOutMeSchema }, h.signOutMe);
  app.post("/api/v1/users/:uuid/sign-out", { onRequest: deps.authenticate, preValidation: deps.loadPrincipal, schema: signOutSchema }, h.signOutEverywhere);
  app.post("/api/v1/services/:client_id/sign-out", { onRequest: deps.authenticate, preValidation: deps.loadPrincipal, schema: serviceSignOutSchema }, h.signOutService);
}

/** A request with no body at all is read as `{}`; a body that is sent is validated like any other. */
const bodyOptional: preValidationHookHandler = (request, _reply, done) => {
  request.body ??= {};
  done();
};

/** Claims of a token that has just come from Cognito itself (not from a client): read, not verified. */
function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;
}

/** An operation this pool does not implement (the emulator's "Unsupported") is no failure here. */
async function bestEffort(request: FastifyRequest, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (cognitoRefusal(err) !== "unsupported") {
      request.log.warn({ op: what, err: err instanceof Error ? err.name : "unknown" }, "Cognito sign-out step failed; local revocation still applies");
    }
  }
}

const REFUSED = { "sign-in": "Incorrect username or password.", refresh: "The refresh token is invalid, expired or revoked." };

/** Cognito's answer, with the attempt settled by it: kept for a wrong password or code, given back otherwise. */
async function settle(request: FastifyRequest, attempt: Attempt, step: () => Promise<Tokens>, what: "sign-in" | "refresh"): Promise<Tokens> {
  let tokens: Tokens;
  try {
    tokens = await step();
  } catch (err) {
    // A right password that leads to a challenge resets nothing: the code is guessed under the same count.
    if (err instanceof ChallengeRequired) {
      await attempt.release();
      throw challengeRequired(err.challenge, err.session ?? "");
    }
    const refusal = cognitoRefusal(err);
    if (isCredentialFailure(refusal) || refusal === "code_mismatch") {
      await attempt.failed();
      throw invalidCredentials(refusal === "code_mismatch" ? "The challenge answer is not correct." : REFUSED[what]);
    }
    await attempt.release();
    request.log.warn({ err: err instanceof Error ? err.name : "unknown" }, `Cognito ${what} failed`);
    throw unavailable("Cognito is unavailable; try again shortly.");
  }
  await attempt.succeeded();
  return tokens;
}

function sessionHandlers(deps: SessionRoutesDeps) {
  /** Tokens for the caller, unless the local account is deactivated or the session signed out. */
  const issue = async (request: FastifyRequest, tokens: Tokens): Promise<TokensAnswer> => {
    const claims = claimsOf(tokens.access_token);
    const sub = String(claims.sub ?? "");
    const user = await deps.repository.findBySub(sub);
    if (user && !user.isActive) {
      if (tokens.refresh_token) await bestEffort(request, "RevokeToken", () => deps.identity.revokeRefreshToken(tokens.refresh_token!));
      throw accountDisabled();
    }
    if (deps.revocations.isRevoked({ sub, ...sessionOf(claims) })) throw sessionRevoked();
    const exp = typeof claims.exp === "number" ? claims.exp : Math.floor(Date.now() / 1000) + tokens.expires_in;
    return { ...tokens, expires_in: Math.max(0, exp - Math.floor(Date.now() / 1000)) };
  };

  /** Runs a sign-in step under the brute-force limits, mapping Cognito's answers to ours. */
  const signIn = async (request: FastifyRequest, username: string, step: () => Promise<Tokens>): Promise<TokensAnswer> => {
    const attempt = await deps.throttle.reserveLogin(username, request.ip);
    if ("retryAfter" in attempt) throw rateLimited(attempt.retryAfter, "Too many failed sign-ins; try again later.");
    const tokens = await settle(request, attempt, step, "sign-in");
    return issue(request, tokens);
  };

  const login: Handler<typeof loginSchema> = async (request) => {
    const { username, password } = request.body;
    return signIn(request, username, () => deps.identity.passwordLogin(username, password));
  };

  const challenge: Handler<typeof challengeSchema> = async (request) => {
    const { challenge: name, session, username, responses } = request.body;
    return signIn(request, username, () => deps.identity.respondToChallenge(name, session, username, responses));
  };

  const refresh: Handler<typeof refreshSchema> = async (request) => {
    const { refresh_token: refreshToken, username } = request.body;
    const attempt = await deps.throttle.reserveRefresh(refreshToken, request.ip);
    if ("retryAfter" in attempt) throw rateLimited(attempt.retryAfter, "Too many refreshes; try again later.");
    // Whatever Cognito would say: its RevokeToken may have failed at sign-out.
    if (await deps.revocations.isRefreshTokenRevoked(refreshToken)) throw sessionRevoked();
    return issue(request, await settle(request, attempt, () => deps.identity.refresh(refreshToken, username), "refresh"));
  };

  const logout: Handler<typeof logoutSchema> = async (request, reply) => {
    const { token, raw } = verifiedTokenOf(request);
    // An app's client-credentials token has no session to end; an administrator revokes a service.
    if (token.kind === "service") throw notAUser();
    // A token naming no session (no origin_jti, no jti: never Cognito's) cannot be signed out alone:
    // a 204 would leave it valid (attacker review).
    if (token.sessionId === "") throw new ApiProblem(400, "bad_request", "This token names no session (no jti); sign out everywhere instead.");
    const refreshToken = request.body.refresh_token;
    // Ours first: it holds whether or not Cognito's own sign-out calls succeed.
    await deps.revocations.revokeSession(token, refreshToken);
    if (refreshToken) await bestEffort(request, "RevokeToken", () => deps.identity.revokeRefreshToken(refreshToken));
    await bestEffort(request, "GlobalSignOut", () => deps.identity.globalSignOut(raw));
    return reply.code(204).send();
  };

  const signOutEverywhere: Handler<typeof signOutSchema> = async (request, reply) => {
    requirePermission(maySignOutOthers(userPrincipalOf(request).grants), "Only a global administrator may sign a user out everywhere.");
    const target = await deps.repository.findById(request.params.uuid);
    if (!target) throw notFound("No such user.");
    await refusingLastAdmin("Signing this person out everywhere", () => deps.repository.refuseLastAdmin(target.uuid));
    await signOutUser(request, target);
    deps.audit(request, "user.sign_out", target.uuid);
    return reply.code(204).send();
  };

  /** Services never get here: loadPrincipal answers them 403 not_a_user (a route for people only). */
  const signOutMe: Handler<typeof signOutMeSchema> = async (request, reply) => {
    const { user } = userPrincipalOf(request);
    await signOutUser(request, user);
    deps.audit(request, "user.sign_out_self", user.uuid);
    return reply.code(204).send();
  };

  /** Cognito's sign-out where the pool has it; ours, which every instance honours, whatever Cognito says. */
  const signOutUser = async (request: FastifyRequest, user: { username: string; cognitoSub: string }): Promise<void> => {
    await bestEffort(request, "AdminUserGlobalSignOut", () => deps.identity.adminGlobalSignOut(user.username));
    await deps.revocations.revokeUser(user.cognitoSub, userPrincipalOf(request).user.uuid);
  };

  /**
   * A service's tokens carry `sub` = its client id: "signed out everywhere" by that sub refuses every
   * token it got before now, through the same store (and the same second) as a user's.
   */
  const signOutService: Handler<typeof serviceSignOutSchema> = async (request, reply) => {
    requirePermission(maySignOutOthers(userPrincipalOf(request).grants), "Only a global administrator may sign a service out.");
    const clientId = request.params.client_id;
    if (!deps.serviceClientIds.includes(clientId)) throw notFound("No such service (COGNITO_SERVICE_CLIENT_IDS).");
    await deps.revocations.revokeUser(clientId, userPrincipalOf(request).user.uuid);
    deps.audit(request, "service.sign_out", clientId);
    return reply.code(204).send();
  };

  return { login, challenge, refresh, logout, signOutEverywhere, signOutMe, signOutService };
}
