// AWS SDK calls to Cognito: one client factory, and the calls made on a user's behalf.
import { createHmac } from "node:crypto";
import {
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  GetUserCommand,
  GlobalSignOutCommand,
  RevokeTokenCommand,
  type AuthenticationResultType,
} from "@aws-sdk/client-cognito-identity-provider";
import type { CognitoEndpointSettings } from "../config.ts";
import type { CognitoAttributes, UserAttributeSource } from "../users/provisioning.ts";

export interface ClientOptions {
  /** 1 where retrying is pointless (the emulator's unsupported operations, user-facing calls). */
  maxAttempts?: number;
  timeoutMs?: number;
}

export function createCognitoClient(settings: CognitoEndpointSettings, options: ClientOptions = {}): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    region: settings.region,
    endpoint: settings.endpoint,
    maxAttempts: options.maxAttempts ?? 3,
    // The emulator ignores signatures, but the SDK refuses to send Admin* calls unsigned.
    ...(settings.useDummyCredentials ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
    ...(options.timeoutMs ? { requestHandler: { requestTimeout: options.timeoutMs, connectionTimeout: options.timeoutMs } } : {}),
  });
}

export interface AppClient {
  userPoolId: string;
  clientId: string;
  clientSecret?: string | undefined;
}

/** SECRET_HASH, required by Cognito when the app client has a secret. */
export function secretHash(client: AppClient, username: string): string | undefined {
  if (!client.clientSecret) return undefined;
  return createHmac("sha256", client.clientSecret).update(username + client.clientId).digest("base64");
}

export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
  expires_in: number;
  token_type: "Bearer";
}

function toTokens(result: AuthenticationResultType | undefined, refreshToken?: string): Tokens {
  if (!result?.AccessToken || !result.IdToken) throw new Error("Cognito returned no tokens");
  const tokens: Tokens = {
    access_token: result.AccessToken,
    id_token: result.IdToken,
    expires_in: result.ExpiresIn ?? 3600,
    token_type: "Bearer",
  };
  const refresh = result.RefreshToken ?? refreshToken;
  if (refresh) tokens.refresh_token = refresh;
  return tokens;
}

/** A challenge (new password, MFA) stands between the user and their tokens. */
export class ChallengeRequired extends Error {
  constructor(
    readonly challenge: string,
    readonly session: string | undefined,
  ) {
    super(`Cognito asks for a challenge: ${challenge}`);
    this.name = "ChallengeRequired";
  }
}

/** Cognito's answer to a sign-in step: tokens, or the next challenge. */
function tokensOrChallenge(out: { ChallengeName?: string | undefined; Session?: string | undefined; AuthenticationResult?: AuthenticationResultType | undefined }): Tokens {
  if (out.ChallengeName) throw new ChallengeRequired(out.ChallengeName, out.Session);
  return toTokens(out.AuthenticationResult);
}

/** The SECRET_HASH parameter, where the client has a secret. */
function withSecretHash(client: AppClient, username: string | undefined, parameters: Record<string, string>): Record<string, string> {
  const hash = username ? secretHash(client, username) : undefined;
  return hash ? { ...parameters, SECRET_HASH: hash } : parameters;
}

export async function adminRespondToChallenge(
  cognito: CognitoIdentityProviderClient,
  client: AppClient,
  challenge: string,
  session: string,
  username: string,
  responses: Record<string, string>,
): Promise<Tokens> {
  const ChallengeResponses = withSecretHash(client, username, { ...responses, USERNAME: username });
  const input = { UserPoolId: client.userPoolId, ClientId: client.clientId, ChallengeName: challenge as never, Session: session, ChallengeResponses };
  return tokensOrChallenge(await cognito.send(new AdminRespondToAuthChallengeCommand(input)));
}

export async function adminGlobalSignOut(cognito: CognitoIdentityProviderClient, client: AppClient, username: string): Promise<void> {
  await cognito.send(new AdminUserGlobalSignOutCommand({ UserPoolId: client.userPoolId, Username: username }));
}

export async function adminPasswordLogin(
  cognito: CognitoIdentityProviderClient,
  client: AppClient,
  username: string,
  password: string,
): Promise<Tokens> {
  const AuthParameters = withSecretHash(client, username, { USERNAME: username, PASSWORD: password });
  const input = { UserPoolId: client.userPoolId, ClientId: client.clientId, AuthFlow: "ADMIN_USER_PASSWORD_AUTH" as const, AuthParameters };
  return tokensOrChallenge(await cognito.send(new AdminInitiateAuthCommand(input)));
}

/** New access and id tokens; `username` is needed for SECRET_HASH when the client has a secret. */
export async function refreshTokens(
  cognito: CognitoIdentityProviderClient,
  client: AppClient,
  refreshToken: string,
  username?: string,
): Promise<Tokens> {
  const AuthParameters = withSecretHash(client, username, { REFRESH_TOKEN: refreshToken });
  const out = await cognito.send(
    new AdminInitiateAuthCommand({ UserPoolId: client.userPoolId, ClientId: client.clientId, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters }),
  );
  return toTokens(out.AuthenticationResult, refreshToken);
}

export async function revokeRefreshToken(cognito: CognitoIdentityProviderClient, client: AppClient, refreshToken: string): Promise<void> {
  await cognito.send(
    new RevokeTokenCommand({ Token: refreshToken, ClientId: client.clientId, ...(client.clientSecret ? { ClientSecret: client.clientSecret } : {}) }),
  );
}

export async function globalSignOut(cognito: CognitoIdentityProviderClient, accessToken: string): Promise<void> {
  await cognito.send(new GlobalSignOutCommand({ AccessToken: accessToken }));
}

export interface CognitoUser {
  username: string;
  attributes: Record<string, string>;
}

export async function getUser(cognito: CognitoIdentityProviderClient, accessToken: string): Promise<CognitoUser> {
  const out = await cognito.send(new GetUserCommand({ AccessToken: accessToken }));
  const attributes: Record<string, string> = {};
  for (const a of out.UserAttributes ?? []) if (a.Name && a.Value !== undefined) attributes[a.Name] = a.Value;
  return { username: out.Username ?? "", attributes };
}

/** GetUser as the server's source of Cognito-owned attributes for access-token callers. */
export function cognitoAttributeSource(cognito: CognitoIdentityProviderClient): UserAttributeSource {
  return {
    async getUserAttributes(accessToken) {
      const { attributes } = await getUser(cognito, accessToken);
      const found: CognitoAttributes = {};
      if (attributes.email !== undefined) found.email = attributes.email;
      if (attributes.email_verified !== undefined) found.emailVerified = attributes.email_verified === "true";
      if (attributes.given_name !== undefined) found.givenName = attributes.given_name;
      if (attributes.family_name !== undefined) found.familyName = attributes.family_name;
      return found;
    },
  };
}

/** The sign-in operations the backend performs, bound to one app client. */
export interface IdentityProvider {
  passwordLogin(username: string, password: string): Promise<Tokens>;
  respondToChallenge(challenge: string, session: string, username: string, responses: Record<string, string>): Promise<Tokens>;
  refresh(refreshToken: string, username?: string): Promise<Tokens>;
  revokeRefreshToken(refreshToken: string): Promise<void>;
  globalSignOut(accessToken: string): Promise<void>;
  adminGlobalSignOut(username: string): Promise<void>;
}

export function cognitoIdentityProvider(cognito: CognitoIdentityProviderClient, client: AppClient): IdentityProvider {
  return {
    passwordLogin: (username, password) => adminPasswordLogin(cognito, client, username, password),
    respondToChallenge: (challenge, session, username, responses) =>
      adminRespondToChallenge(cognito, client, challenge, session, username, responses),
    refresh: (refreshToken, username) => refreshTokens(cognito, client, refreshToken, username),
    revokeRefreshToken: (refreshToken) => revokeRefreshToken(cognito, client, refreshToken),
    globalSignOut: (accessToken) => globalSignOut(cognito, accessToken),
    adminGlobalSignOut: (username) => adminGlobalSignOut(cognito, client, username),
  };
}
