// Sign-in and refresh as Cognito does them, in front of cognito-local: the client's allowed flows
// are enforced, USER_SRP_AUTH is added, GetTokensFromRefreshToken is added, and every refresh runs
// inside its session (same origin_jti and auth_time) after the refresh token is checked.
import type { Context } from "./cognito-local.ts";
import { assertFlowAllowed, isRefreshFlow } from "./auth-flows.ts";
import { notAuthorized, requireClient, type Deps, type Operation } from "./deps.ts";
import { refreshing, sessionOfRefreshToken } from "./session-tokens.ts";
import { finishSrp, startSrp } from "./srp-flow.ts";
import { verifiedClaims } from "./tokens.ts";

/**
 * Runs the engine's refresh (`target` with `req`) inside the session of `token`, after the checks
 * Cognito makes and cognito-local does not: the token is genuine, was issued to this client, its
 * session was not signed out, and its user is enabled.
 */
export async function refreshWith(deps: Deps, ctx: Context, target: string, req: Record<string, unknown>, token: unknown, clientId: string): Promise<unknown> {
  const claims = typeof token === "string" ? verifiedClaims(token) : undefined;
  if (!claims || claims.token_use !== undefined) throw notAuthorized("Invalid Refresh Token");
  if (claims.client_id !== undefined && claims.client_id !== clientId) throw notAuthorized("Invalid Refresh Token");
  const session = sessionOfRefreshToken(claims);
  if (deps.revoked.has(session.originJti)) throw notAuthorized("Refresh Token has been revoked");
  const pool = await deps.engine.services.cognito.getUserPoolForClientId(ctx, clientId);
  const user = await pool.getUserByRefreshToken(ctx, token as string);
  if (!user) throw notAuthorized("Refresh Token has been revoked");
  if (user.Enabled === false) throw notAuthorized("User is disabled.");
  return refreshing.run(session, () => deps.engine.route(target)(ctx, req));
}

export function signInOperations(deps: Deps): Record<string, Operation> {
  return {
    InitiateAuth: async (ctx, req) => {
      const client = await requireClient(deps, ctx, req.ClientId);
      assertFlowAllowed(client, req.AuthFlow);
      if (req.AuthFlow === "USER_SRP_AUTH") return startSrp(deps, ctx, client, req.AuthParameters);
      if (isRefreshFlow(req.AuthFlow)) return refreshWith(deps, ctx, "InitiateAuth", req, req.AuthParameters?.REFRESH_TOKEN, client.ClientId);
      return deps.engine.route("InitiateAuth")(ctx, req);
    },
    AdminInitiateAuth: async (ctx, req) => {
      const client = await requireClient(deps, ctx, req.ClientId);
      assertFlowAllowed(client, req.AuthFlow);
      if (isRefreshFlow(req.AuthFlow)) return refreshWith(deps, ctx, "AdminInitiateAuth", req, req.AuthParameters?.REFRESH_TOKEN, client.ClientId);
      return deps.engine.route("AdminInitiateAuth")(ctx, req);
    },
    RespondToAuthChallenge: async (ctx, req) => {
      if (req.ChallengeName !== "PASSWORD_VERIFIER") return deps.engine.route("RespondToAuthChallenge")(ctx, req);
      return finishSrp(deps, ctx, await requireClient(deps, ctx, req.ClientId), req);
    },
    // Amplify v6 refreshes with this operation only. Refresh-token rotation is not emulated: the
    // answer has new access and id tokens, and the refresh token stays the same.
    GetTokensFromRefreshToken: async (ctx, req) => {
      const client = await requireClient(deps, ctx, req.ClientId);
      assertFlowAllowed(client, "REFRESH_TOKEN_AUTH");
      const request = { AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: client.ClientId, AuthParameters: { REFRESH_TOKEN: req.RefreshToken }, ClientMetadata: req.ClientMetadata };
      const out = (await refreshWith(deps, ctx, "InitiateAuth", request, req.RefreshToken, client.ClientId)) as { AuthenticationResult?: unknown };
      return { AuthenticationResult: out.AuthenticationResult };
    },
  };
}
