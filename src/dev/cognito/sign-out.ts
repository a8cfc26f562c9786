// Signing out as Cognito does, where cognito-local cannot: GlobalSignOut and AdminUserGlobalSignOut
// end every session of the user, RevokeToken ends one whole session, and an access token of an
// ended session is refused by every operation that takes one. A session's refresh token is taken
// out of the engine's store, so every refresh path the engine has refuses it too.
import type { Context } from "./cognito-local.ts";
import type { User, UserPoolService } from "./cognito-local.ts";
import { CognitoError } from "./cognito-local.ts";
import { ACCESS_TOKEN_MAX_SECONDS, notAuthorized, requireClient, type Deps, type Operation } from "./deps.ts";
import { sessionOfRefreshToken } from "./session-tokens.ts";
import { claimsOf, verifiedClaims, type Claims } from "./tokens.ts";

/** The claims of a live access token of a session still signed in; Cognito's errors otherwise. */
export function liveAccessToken(deps: Deps, token: unknown): Claims {
  const claims = typeof token === "string" ? verifiedClaims(token) : undefined;
  if (!claims) {
    const expired = typeof token === "string" && verifiedClaims(token, 0) !== undefined;
    throw notAuthorized(expired ? "Access Token has expired" : "Invalid Access Token");
  }
  if (claims.token_use !== "access") throw notAuthorized("Invalid Access Token");
  const session = typeof claims.origin_jti === "string" ? claims.origin_jti : String(claims.jti ?? "");
  if (deps.revoked.has(session)) throw notAuthorized("Access Token has been revoked");
  return claims;
}

function expiryOf(claims: Claims): number {
  const exp = typeof claims.exp === "number" ? claims.exp : Math.floor(Date.now() / 1000);
  return exp + ACCESS_TOKEN_MAX_SECONDS;
}

/** Ends every session of `user`: their refresh tokens leave the engine's store and are remembered as revoked. */
async function signOutEverywhere(deps: Deps, ctx: Context, pool: UserPoolService, user: User, also: Claims[] = []): Promise<void> {
  const tokens = Array.isArray(user.RefreshTokens) ? user.RefreshTokens : [];
  const sessions = [...tokens.map(claimsOf), ...also].map((claims) => ({ originJti: sessionOfRefreshToken(claims).originJti, expires: expiryOf(claims) }));
  await deps.revoked.add(sessions);
  await pool.saveUser(ctx, { ...user, RefreshTokens: [] });
}

/** RevokeToken's work, shared with the OAuth revocation endpoint. */
export async function revokeRefreshToken(deps: Deps, ctx: Context, token: unknown, clientId: unknown): Promise<void> {
  const client = await requireClient(deps, ctx, clientId);
  if (client.EnableTokenRevocation === false) throw new CognitoError("UnsupportedOperationException", "Token revocation is not enabled for this app client.");
  const claims = typeof token === "string" ? verifiedClaims(token) : undefined;
  if (!claims || claims.token_use !== undefined) throw new CognitoError("UnsupportedTokenTypeException", "Only refresh tokens can be revoked.");
  if (claims.client_id !== undefined && claims.client_id !== client.ClientId) throw new CognitoError("UnauthorizedException", "The token was not issued to this client.");
  await deps.revoked.add([{ originJti: sessionOfRefreshToken(claims).originJti, expires: expiryOf(claims) }]);
  const pool = await deps.engine.services.cognito.getUserPoolForClientId(ctx, client.ClientId);
  const user = await pool.getUserByRefreshToken(ctx, token as string);
  // Revoking a token that is already gone succeeds, as RFC 7009 has it.
  if (user) await pool.saveUser(ctx, { ...user, RefreshTokens: (user.RefreshTokens ?? []).filter((t) => t !== token) });
}

export function signOutOperations(deps: Deps): Record<string, Operation> {
  return {
    GlobalSignOut: async (ctx, req) => {
      const claims = liveAccessToken(deps, req.AccessToken);
      const pool = await deps.engine.services.cognito.getUserPoolForClientId(ctx, String(claims.client_id));
      const user = await pool.getUserByUsername(ctx, String(claims.sub));
      if (!user) throw new CognitoError("UserNotFoundException", "User does not exist.");
      await signOutEverywhere(deps, ctx, pool, user, [claims]);
      return {};
    },
    AdminUserGlobalSignOut: async (ctx, req) => {
      const pool = await deps.engine.services.cognito.getUserPool(ctx, String(req.UserPoolId));
      const user = await pool.getUserByUsername(ctx, String(req.Username));
      if (!user) throw new CognitoError("UserNotFoundException", "User does not exist.");
      await signOutEverywhere(deps, ctx, pool, user);
      return {};
    },
    RevokeToken: async (ctx, req) => {
      await revokeRefreshToken(deps, ctx, req.Token, req.ClientId);
      return {};
    },
  };
}
