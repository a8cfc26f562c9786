// Cognito's session claims on the emulator's tokens. cognito-local mints every token through one
// TokenGenerator; this one wraps it. A sign-in starts a session: a new origin_jti, carried by the
// access, id and refresh tokens. A refresh continues the session it is run in (refreshing.run),
// keeping origin_jti and auth_time as Cognito does, where cognito-local would start afresh.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { AppClient } from "./cognito-local.ts";
import type { Context } from "./cognito-local.ts";
import type { TokenGenerator, Tokens } from "./cognito-local.ts";
import type { User } from "./cognito-local.ts";
import { claimsOf, restamp } from "./tokens.ts";

export interface Session {
  originJti: string;
  /** When the person signed in (epoch seconds); unchanged by refreshes. */
  authTime: number;
}

/** The session a refresh belongs to, read from its refresh token by the front before the engine runs. */
export const refreshing = new AsyncLocalStorage<Session>();

/** The session a refresh token belongs to; a token from before this wrapper is its own session. */
export function sessionOfRefreshToken(claims: Record<string, unknown>): Session {
  const originJti = typeof claims.origin_jti === "string" ? claims.origin_jti : String(claims.jti ?? "");
  const authTime = typeof claims.auth_time === "number" ? claims.auth_time : Number(claims.iat ?? 0);
  return { originJti, authTime };
}

type Source = Parameters<TokenGenerator["generate"]>[5];

export class SessionTokenGenerator implements TokenGenerator {
  constructor(private readonly engine: TokenGenerator) {}

  async generate(ctx: Context, user: User, groups: readonly string[], client: AppClient, metadata: Record<string, string> | undefined, source: Source): Promise<Tokens> {
    const tokens = await this.engine.generate(ctx, user, groups, client, metadata, source);
    const session = refreshing.getStore() ?? { originJti: randomUUID(), authTime: Number(claimsOf(tokens.AccessToken).auth_time) };
    const claims = { auth_time: session.authTime, origin_jti: session.originJti };
    // Cognito puts origin_jti in access and id tokens only for clients with token revocation on.
    const visible = client.EnableTokenRevocation ? claims : { auth_time: session.authTime };
    return {
      AccessToken: restamp(tokens.AccessToken, visible),
      IdToken: restamp(tokens.IdToken, visible),
      // Cognito's refresh tokens are opaque; the emulator's are JWTs, so they carry the session and
      // the client they were issued to (Cognito refuses a refresh token from another client).
      RefreshToken: restamp(tokens.RefreshToken, { ...claims, client_id: client.ClientId }),
    };
  }
}
