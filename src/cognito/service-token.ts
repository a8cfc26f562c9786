// A service's own access token: the OAuth client credentials grant at the pool's token endpoint
// (`{domain}/oauth2/token` on AWS, the emulator's own URL under the dev stack).
import { DescribeUserPoolClientCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";

export interface ServiceCredentials {
  clientId: string;
  clientSecret: string;
}

export interface ServiceToken {
  access_token: string;
  expires_in: number;
  token_type: string;
}

/** The token endpoint's refusal (its OAuth `error`), or no answer (`status` undefined). */
export class TokenEndpointError extends Error {
  override name = "TokenEndpointError";
  constructor(
    message: string,
    readonly status?: number,
    readonly error?: string,
  ) {
    super(message);
  }
}

export async function clientCredentialsToken(tokenEndpoint: string, credentials: ServiceCredentials, scope?: string): Promise<ServiceToken> {
  const body = new URLSearchParams({ grant_type: "client_credentials", ...(scope ? { scope } : {}) });
  // client_secret_basic, the form AWS documents for this grant.
  const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString("base64");
  let res: Response;
  try {
    res = await fetch(tokenEndpoint, {
      method: "POST",
      headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
      body,
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    throw new TokenEndpointError(`cannot reach the token endpoint at ${new URL(tokenEndpoint).origin}`);
  }
  const answer = (await res.json().catch(() => ({}))) as Partial<ServiceToken> & { error?: string; error_description?: string };
  if (!res.ok || typeof answer.access_token !== "string") {
    const error = answer.error ?? `HTTP ${res.status}`;
    throw new TokenEndpointError(`the token endpoint refused: ${error}${answer.error_description ? ` (${answer.error_description})` : ""}`, res.status, answer.error);
  }
  return { access_token: answer.access_token, expires_in: Number(answer.expires_in), token_type: answer.token_type ?? "Bearer" };
}

/** The app client's secret, as DescribeUserPoolClient shows it to someone allowed to call it. */
export async function clientSecret(cognito: CognitoIdentityProviderClient, userPoolId: string, clientId: string): Promise<string> {
  const out = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
  const secret = out.UserPoolClient?.ClientSecret;
  if (!secret) throw new Error(`app client ${clientId} has no secret: it cannot use the client credentials grant`);
  return secret;
}
