// The security-relevant settings `provision` gives the pool, its app clients (`backend`, `web`,
// `service`) and its resource server, how an existing one is compared with them, and how it is
// brought back to them.
import {
  DescribeResourceServerCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  UpdateResourceServerCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
  type CognitoIdentityProviderClient,
  type ExplicitAuthFlowsType,
  type OAuthFlowType,
  type TokenValidityUnitsType,
  type UpdateUserPoolClientCommandInput,
  type UpdateUserPoolCommandInput,
  type UserPoolClientType,
  type UserPoolType,
} from "@aws-sdk/client-cognito-identity-provider";

export const APP_CLIENT_SCOPES = ["openid", "email", "profile", "aws.cognito.signin.user.admin"];

/** One setting of an existing pool or client that is not what `provision` sets. */
export interface Drift {
  /** e.g. `app client backend (abc123)`. */
  subject: string;
  setting: string;
  found: unknown;
  expected: unknown;
}

/** `subject: setting found X, expected Y` — one line, values as JSON, "unset" for none. */
export function describeDrift(drift: Drift): string {
  const show = (value: unknown) => (value === undefined ? "unset" : JSON.stringify(value));
  return `${drift.subject}: ${drift.setting} found ${show(drift.found)}, expected ${show(drift.expected)}`;
}

/**
 * What the backend client must be: sign-in only through the backend (no ALLOW_USER_PASSWORD_AUTH,
 * which would let anyone call Cognito's public InitiateAuth around the backend's brute-force
 * limits), no telling who has an account, revocable refresh tokens, the /admin page's code grant.
 */
export const BACKEND_CLIENT = {
  ExplicitAuthFlows: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
  PreventUserExistenceErrors: "ENABLED",
  EnableTokenRevocation: true,
  AllowedOAuthFlowsUserPoolClient: true,
  AllowedOAuthFlows: ["code"],
  AllowedOAuthScopes: APP_CLIENT_SCOPES,
  AccessTokenValidity: 60,
  IdTokenValidity: 60,
} satisfies Partial<UpdateUserPoolClientCommandInput>;

/**
 * What the web client must be: browser apps (Amplify, amazon-cognito-identity-js, OIDC libraries)
 * sign in with SRP or the Hosted UI's code grant with PKCE, and refresh; no flow sends a password
 * in clear (no ALLOW_USER_PASSWORD_AUTH), and no admin flow (a browser holds no AWS credentials).
 */
export const WEB_CLIENT = {
  ...BACKEND_CLIENT,
  ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
} satisfies Partial<UpdateUserPoolClientCommandInput>;

export type ClientSettings = Omit<typeof BACKEND_CLIENT, "ExplicitAuthFlows" | "AllowedOAuthFlows"> & {
  ExplicitAuthFlows: ExplicitAuthFlowsType[];
  AllowedOAuthFlows: OAuthFlowType[];
};

/** The resource server the API's scopes belong to, unless COGNITO_RESOURCE_SERVER names another. */
export const DEFAULT_RESOURCE_SERVER = "vrms-backend";

/** What a service (an app calling as itself) may be allowed to do, one scope each. */
export const SERVICE_SCOPES = [
  { ScopeName: "users.read", ScopeDescription: "Read volunteers' profiles" },
  { ScopeName: "users.write", ScopeDescription: "Change volunteers' profiles" },
  { ScopeName: "permissions.read", ScopeDescription: "Read and check permissions" },
  { ScopeName: "permissions.write", ScopeDescription: "Grant and revoke permissions" },
  { ScopeName: "webhooks.write", ScopeDescription: "Manage its own webhook subscriptions; read the event feed" },
];

/** Scopes as tokens carry them: `{identifier}/{name}`. */
export const serviceScopes = (resourceServer: string) => SERVICE_SCOPES.map((s) => `${resourceServer}/${s.ScopeName}`);

/**
 * What the service client must be: client credentials only (a token for the app itself, never for
 * a person), with a secret, every service scope. AWS refuses a client whose ALLOW_ flows lack
 * ALLOW_REFRESH_TOKEN_AUTH ("REFRESH_TOKEN_AUTH should always be allowed"), and leaving the list
 * out would allow SRP and custom sign-in; refresh alone lets nobody sign in, and the client
 * credentials grant issues no refresh token.
 */
export function serviceClient(resourceServer: string): ClientSettings {
  return {
    ...BACKEND_CLIENT,
    ExplicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
    AllowedOAuthFlows: ["client_credentials"],
    AllowedOAuthScopes: serviceScopes(resourceServer),
  };
}

/** The local front ends' dev servers (Create React App, Vite), the web client's default callbacks. */
export const WEB_CALLBACK_URLS = ["http://localhost:3000/", "http://localhost:5173/"];

// Access and id token units are ours; the refresh token's unit goes with RefreshTokenValidity,
// which is the deployment's choice (session length), so both are kept as found.
const TOKEN_UNITS = { AccessToken: "minutes", IdToken: "minutes" } satisfies TokenValidityUnitsType;
export const NEW_CLIENT_TOKEN_UNITS: TokenValidityUnitsType = { ...TOKEN_UNITS, RefreshToken: "days" };

/** The settings compared as sets, where Cognito's order means nothing. */
const SET_SETTINGS = new Set(["ExplicitAuthFlows", "AllowedOAuthFlows", "AllowedOAuthScopes"]);

function same(setting: string, found: unknown, expected: unknown): boolean {
  if (SET_SETTINGS.has(setting) && Array.isArray(found) && Array.isArray(expected)) {
    return found.length === expected.length && expected.every((v) => found.includes(v));
  }
  return found === expected;
}

/** URLs `client` must list (sign-in callbacks and sign-out), with those it lists already, in order. */
function withUrls(found: string[] | undefined, required: string[]): string[] {
  return [...(found ?? []), ...required.filter((url) => !found?.includes(url))];
}

export function clientDrift(subject: string, client: UserPoolClientType, settings: ClientSettings = BACKEND_CLIENT, requiredUrls: string[] = []): Drift[] {
  const drift: Drift[] = [];
  for (const setting of ["CallbackURLs", "LogoutURLs"] as const) {
    const found = client[setting];
    if (requiredUrls.some((url) => !found?.includes(url))) drift.push({ subject, setting, found, expected: withUrls(found, requiredUrls) });
  }
  for (const [setting, expected] of Object.entries(settings)) {
    const found = client[setting as keyof UserPoolClientType];
    if (!same(setting, found, expected)) drift.push({ subject, setting, found, expected });
  }
  for (const [unit, expected] of Object.entries(TOKEN_UNITS)) {
    const found = client.TokenValidityUnits?.[unit as keyof TokenValidityUnitsType];
    if (found !== expected) drift.push({ subject, setting: `TokenValidityUnits.${unit}`, found, expected });
  }
  return drift;
}

// Every setting UpdateUserPoolClient takes that DescribeUserPoolClient shows: Cognito resets
// whatever an update leaves out, so what is not ours (callback URLs, refresh-token validity,
// attributes, identity providers, …) is passed back as found.
const CLIENT_UPDATE_KEYS = [
  "ClientName", "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity", "TokenValidityUnits",
  "ReadAttributes", "WriteAttributes", "ExplicitAuthFlows", "SupportedIdentityProviders", "CallbackURLs",
  "LogoutURLs", "DefaultRedirectURI", "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
  "AnalyticsConfiguration", "PreventUserExistenceErrors", "EnableTokenRevocation",
  "EnablePropagateAdditionalUserContextData", "AuthSessionValidity", "RefreshTokenRotation",
] as const satisfies readonly (keyof UpdateUserPoolClientCommandInput & keyof UserPoolClientType)[];

/** Settings present in `from`, by name. */
function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (from[key] !== undefined) picked[key] = from[key];
  return picked;
}

export function clientUpdate(client: UserPoolClientType, settings: ClientSettings = BACKEND_CLIENT, requiredUrls: string[] = []): UpdateUserPoolClientCommandInput {
  return {
    UserPoolId: client.UserPoolId,
    ClientId: client.ClientId,
    ...pick(client, CLIENT_UPDATE_KEYS),
    ...settings,
    ...(requiredUrls.length ? { CallbackURLs: withUrls(client.CallbackURLs, requiredUrls), LogoutURLs: withUrls(client.LogoutURLs, requiredUrls) } : {}),
    TokenValidityUnits: { ...client.TokenValidityUnits, ...TOKEN_UNITS, RefreshToken: client.TokenValidityUnits?.RefreshToken ?? "days" },
  };
}

export function poolDrift(subject: string, pool: UserPoolType, selfSignUp: boolean): Drift[] {
  // Cognito's default for a pool created without AdminCreateUserConfig is false (self sign-up on).
  const found = pool.AdminCreateUserConfig?.AllowAdminCreateUserOnly ?? false;
  const expected = !selfSignUp;
  return found === expected ? [] : [{ subject, setting: "AdminCreateUserConfig.AllowAdminCreateUserOnly", found, expected }];
}

// Every setting UpdateUserPool takes that DescribeUserPool shows, passed back as found for the
// same reason as the client's (AWS: "If you don't provide a value for an attribute, Amazon Cognito
// sets it to its default value").
const POOL_UPDATE_KEYS = [
  "Policies", "DeletionProtection", "LambdaConfig", "AutoVerifiedAttributes", "SmsVerificationMessage",
  "EmailVerificationMessage", "EmailVerificationSubject", "VerificationMessageTemplate", "SmsAuthenticationMessage",
  "UserAttributeUpdateSettings", "MfaConfiguration", "DeviceConfiguration", "EmailConfiguration", "SmsConfiguration",
  "UserPoolTags", "UserPoolAddOns", "DcrConfiguration", "AccountRecoverySetting", "UserPoolTier", "KeyConfiguration",
  "IssuerConfiguration", "AcrConfiguration",
] as const satisfies readonly (keyof UpdateUserPoolCommandInput & keyof UserPoolType)[];

export function poolUpdate(pool: UserPoolType, selfSignUp: boolean): UpdateUserPoolCommandInput {
  const input: UpdateUserPoolCommandInput = { UserPoolId: pool.Id, PoolName: pool.Name, ...pick(pool, POOL_UPDATE_KEYS) };
  // DescribeUserPool shows the deprecated UnusedAccountValidityDays, which UpdateUserPool then
  // refuses ("Please use TemporaryPasswordValidityDays in PasswordPolicy…"): leave it out.
  const { UnusedAccountValidityDays: _deprecated, ...adminCreateUser } = pool.AdminCreateUserConfig ?? {};
  input.AdminCreateUserConfig = { ...adminCreateUser, AllowAdminCreateUserOnly: !selfSignUp };
  return input;
}

export interface Reconciled {
  drift: Drift[];
  fixed: boolean;
}

/** Compares an app client with `settings` (and the URLs it must list) and, with `fix`, brings it back to them. */
export async function reconcileClient(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  clientId: string,
  fix: boolean,
  settings: ClientSettings = BACKEND_CLIENT,
  requiredUrls: string[] = [],
): Promise<Reconciled> {
  const out = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
  const client = out.UserPoolClient ?? {};
  const drift = clientDrift(`app client ${client.ClientName ?? "?"} (${clientId})`, client, settings, requiredUrls);
  if (drift.length === 0 || !fix) return { drift, fixed: false };
  await cognito.send(new UpdateUserPoolClientCommand(clientUpdate({ ...client, UserPoolId: userPoolId, ClientId: clientId }, settings, requiredUrls)));
  return { drift, fixed: true };
}

/** Compares the pool's self sign-up setting with `selfSignUp` and, with `fix`, corrects it. */
export async function reconcilePool(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  selfSignUp: boolean,
  fix: boolean,
): Promise<Reconciled> {
  const out = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
  const pool = out.UserPool ?? {};
  const drift = poolDrift(`user pool ${pool.Name ?? "?"} (${userPoolId})`, pool, selfSignUp);
  if (drift.length === 0 || !fix) return { drift, fixed: false };
  await cognito.send(new UpdateUserPoolCommand(poolUpdate({ ...pool, Id: userPoolId }, selfSignUp)));
  return { drift, fixed: true };
}

/** Compares the resource server's scopes with ours and, with `fix`, adds the missing ones (keeping any others it has). */
export async function reconcileResourceServer(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  identifier: string,
  fix: boolean,
): Promise<Reconciled> {
  const out = await cognito.send(new DescribeResourceServerCommand({ UserPoolId: userPoolId, Identifier: identifier }));
  const found = out.ResourceServer?.Scopes ?? [];
  const missing = SERVICE_SCOPES.filter((scope) => !found.some((f) => f.ScopeName === scope.ScopeName));
  if (missing.length === 0) return { drift: [], fixed: false };
  const expected = [...found, ...missing];
  const names = (scopes: { ScopeName?: string | undefined }[]) => scopes.map((s) => s.ScopeName);
  const drift = [{ subject: `resource server ${identifier}`, setting: "Scopes", found: names(found), expected: names(expected) }];
  if (!fix) return { drift, fixed: false };
  await cognito.send(new UpdateResourceServerCommand({ UserPoolId: userPoolId, Identifier: identifier, Name: out.ResourceServer?.Name ?? identifier, Scopes: expected }));
  return { drift, fixed: true };
}
