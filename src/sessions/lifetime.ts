// How long a signed-out session must stay revoked: as long as any token of it could still be
// valid. A refresh token mints access tokens until it expires, and the last of those lives one
// access-token validity longer; both are the app clients' settings in Cognito.
import { DescribeUserPoolClientCommand, type CognitoIdentityProviderClient, type TimeUnitsType } from "@aws-sdk/client-cognito-identity-provider";

export interface SessionLifetime {
  /** Seconds a revocation is kept: refresh-token validity + access-token validity + clock skew. */
  retainSeconds: number;
  /** Where the refresh-token validity came from, for the start-up log line. */
  source: "DescribeUserPoolClient" | "SESSION_MAX_SECONDS" | "default";
}

/** Cognito's defaults: refresh tokens 30 days, access tokens 1 hour; at most 1 day for access tokens. */
export const DEFAULT_SESSION_SECONDS = 30 * 86400;
const MAX_ACCESS_SECONDS = 86400;

const UNIT_SECONDS: Record<TimeUnitsType, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

export interface LifetimeSource {
  cognito: CognitoIdentityProviderClient;
  userPoolId: string;
  clientIds: string[];
}

/**
 * The longest refresh-token validity among the accepted app clients, read with
 * DescribeUserPoolClient where the credentials permit, and never less than SESSION_MAX_SECONDS
 * (a setting shorter than Cognito's own would hand sessions back). Where a client cannot be read:
 * SESSION_MAX_SECONDS, else 30 days.
 */
export async function sessionLifetime(
  configured: number | undefined,
  clockSkewSeconds: number,
  source: LifetimeSource,
): Promise<SessionLifetime> {
  const retain = (session: number, access: number) => session + access + clockSkewSeconds;
  let session = configured ?? 0;
  let access = 0;
  for (const clientId of source.clientIds) {
    try {
      const out = await source.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: source.userPoolId, ClientId: clientId }));
      const client = out.UserPoolClient;
      const units = client?.TokenValidityUnits;
      session = Math.max(session, (client?.RefreshTokenValidity ?? 30) * UNIT_SECONDS[units?.RefreshToken ?? "days"]);
      access = Math.max(access, (client?.AccessTokenValidity ?? 1) * UNIT_SECONDS[units?.AccessToken ?? "hours"]);
    } catch {
      // Not permitted (no cognito-idp:DescribeUserPoolClient) or not implemented: for this client,
      // the setting or Cognito's default, and the longest access token Cognito issues.
      return {
        retainSeconds: retain(Math.max(session, configured ?? DEFAULT_SESSION_SECONDS), MAX_ACCESS_SECONDS),
        source: configured === undefined ? "default" : "SESSION_MAX_SECONDS",
      };
    }
  }
  return { retainSeconds: retain(session, access), source: "DescribeUserPoolClient" };
}
