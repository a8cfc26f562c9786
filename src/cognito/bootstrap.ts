// The pool setup shared by `npm start` and `cli provision`: pool, resource server, app clients,
// group and (on loopback only) demo users, each created only where absent, against any Cognito
// endpoint; existing ones' security settings are compared with ours, and corrected on request.
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  DescribeResourceServerCommand,
  CreateGroupCommand,
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  paginateListGroups,
  paginateListUserPoolClients,
  paginateListUserPools,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { isLoopbackUrl } from "../net.ts";
import {
  BACKEND_CLIENT,
  DEFAULT_RESOURCE_SERVER,
  NEW_CLIENT_TOKEN_UNITS,
  reconcileClient,
  reconcilePool,
  reconcileResourceServer,
  SERVICE_SCOPES,
  serviceClient,
  WEB_CALLBACK_URLS,
  WEB_CLIENT,
  type ClientSettings,
  type Drift,
  type Reconciled,
} from "./pool-settings.ts";

export { APP_CLIENT_SCOPES, DEFAULT_RESOURCE_SERVER, describeDrift, serviceScopes, WEB_CALLBACK_URLS, type Drift } from "./pool-settings.ts";

export interface DemoUser {
  username: string;
  password: string;
  givenName: string;
  familyName: string;
  groups: string[];
}

/** Demo users of the dev stack; their passwords are printed by `npm start` and are no secret. */
export const DEMO_USERS: DemoUser[] = [
  { username: "admin@example.org", password: "Admin-Demo-2026", givenName: "Ada", familyName: "Admin", groups: ["admin"] },
  { username: "member@example.org", password: "Member-Demo-2026", givenName: "Max", familyName: "Member", groups: [] },
];

export interface ProvisionOptions {
  endpoint: string;
  poolName: string;
  clientName?: string;
  /** The backend client's callback and sign-out URL: the /admin page. */
  callbackUrl: string;
  /** Callback and sign-out URLs of the `web` client beyond WEB_CALLBACK_URLS; an existing client keeps its own too. */
  webCallbackUrls?: string[];
  adminGroup?: string;
  /** Identifier of the resource server holding the services' scopes (COGNITO_RESOURCE_SERVER). */
  resourceServer?: string;
  demoUsers?: DemoUser[];
  /** Let people sign themselves up (AllowAdminCreateUserOnly false); off unless asked for. */
  selfSignUp?: boolean;
  /** Correct an existing pool's and client's settings that differ from ours, not only report them. */
  fix?: boolean;
  /** Told of each thing created, for a person watching. */
  onCreate?: (what: string) => void;
  /** Told of each setting that differs, and whether it was corrected. */
  onDrift?: (drift: Drift, fixed: boolean) => void;
}

export interface ProvisionResult {
  userPoolId: string;
  /** The `backend` client: the CLI's and /admin's. */
  clientId: string;
  /** The `web` client, for browser apps. */
  webClientId: string;
  /** The `service` client: apps calling the API as themselves (client credentials). */
  serviceClientId: string;
  created: string[];
  /** Settings of an existing pool or client that differed from ours. */
  drift: Drift[];
  /** Whether that drift was corrected (only with `fix`). */
  fixed: boolean;
}

export async function provision(cognito: CognitoIdentityProviderClient, options: ProvisionOptions): Promise<ProvisionResult> {
  if (options.demoUsers?.length && !isLoopbackUrl(options.endpoint)) {
    throw new Error("demo users are created only on a loopback endpoint (the local emulator), never on a real pool");
  }
  const result: ProvisionResult = { userPoolId: "", clientId: "", webClientId: "", serviceClientId: "", created: [], drift: [], fixed: false };
  const note = (what: string) => {
    result.created.push(what);
    options.onCreate?.(what);
  };
  const reconciled = (found: Reconciled) => {
    result.drift.push(...found.drift);
    result.fixed ||= found.fixed;
    for (const drift of found.drift) options.onDrift?.(drift, found.fixed);
  };
  const adminGroup = options.adminGroup ?? "admin";
  const selfSignUp = options.selfSignUp ?? false;
  const fix = options.fix ?? false;

  // cognito-local (5.3) implements DescribeUserPool(Client) and UpdateUserPool(Client), so the dev
  // stack checks and corrects like AWS; it stores these settings but does not enforce any of them.
  const existingPool = await findPool(cognito, options.poolName);
  if (existingPool) reconciled(await reconcilePool(cognito, existingPool, selfSignUp, fix));
  result.userPoolId = existingPool ?? (await createPool(cognito, options.poolName, selfSignUp, note));

  const ensureClient = async (name: string, settings: ClientSettings, urls: string[], requiredUrls: string[], secret = false) => {
    const existing = await findClient(cognito, result.userPoolId, name);
    if (existing) reconciled(await reconcileClient(cognito, result.userPoolId, existing, fix, settings, requiredUrls));
    return existing ?? (await createClient(cognito, result.userPoolId, { name, settings, urls, secret }, note));
  };
  result.clientId = await ensureClient(options.clientName ?? "backend", BACKEND_CLIENT, [options.callbackUrl], []);
  const extraWebUrls = [...new Set(options.webCallbackUrls ?? [])];
  const webUrls = [...new Set([...WEB_CALLBACK_URLS, ...extraWebUrls])];
  // A real pool's web client gets the local dev servers' callbacks when created; an operator who
  // removes them later is not told they differ. The dev stack's own pool always has them.
  result.webClientId = await ensureClient("web", WEB_CLIENT, webUrls, isLoopbackUrl(options.endpoint) ? webUrls : extraWebUrls);
  // Cognito refuses a client naming scopes of a resource server that does not exist yet.
  const resourceServer = options.resourceServer ?? DEFAULT_RESOURCE_SERVER;
  if (await resourceServerExists(cognito, result.userPoolId, resourceServer)) {
    reconciled(await reconcileResourceServer(cognito, result.userPoolId, resourceServer, fix));
  } else {
    await cognito.send(new CreateResourceServerCommand({ UserPoolId: result.userPoolId, Identifier: resourceServer, Name: resourceServer, Scopes: SERVICE_SCOPES }));
    note(`resource server ${resourceServer}`);
  }
  result.serviceClientId = await ensureClient("service", serviceClient(resourceServer), [], [], true);

  if (!(await groupExists(cognito, result.userPoolId, adminGroup))) {
    await cognito.send(new CreateGroupCommand({ UserPoolId: result.userPoolId, GroupName: adminGroup, Description: "vrms-backend administrators" }));
    note(`group ${adminGroup}`);
  }
  for (const user of options.demoUsers ?? []) await ensureDemoUser(cognito, result.userPoolId, user, note);
  return result;
}

async function createPool(cognito: CognitoIdentityProviderClient, name: string, selfSignUp: boolean, note: (what: string) => void): Promise<string> {
  const out = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: name,
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: !selfSignUp },
    }),
  );
  const id = required(out.UserPool?.Id, "CreateUserPool returned no pool id");
  note(`user pool ${name} (${id})`);
  return id;
}

interface NewClient {
  name: string;
  settings: ClientSettings;
  /** Its callback and sign-out URLs; none for a client that signs in no person. */
  urls: string[];
  /** A confidential client (the client credentials grant needs one). */
  secret: boolean;
}

async function createClient(cognito: CognitoIdentityProviderClient, userPoolId: string, client: NewClient, note: (what: string) => void): Promise<string> {
  const out = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: client.name,
      GenerateSecret: client.secret,
      ...client.settings,
      TokenValidityUnits: NEW_CLIENT_TOKEN_UNITS,
      ...(client.urls.length ? { SupportedIdentityProviders: ["COGNITO"], CallbackURLs: client.urls, LogoutURLs: client.urls } : {}),
    }),
  );
  const id = required(out.UserPoolClient?.ClientId, "CreateUserPoolClient returned no client id");
  note(`app client ${client.name} (${id})`);
  return id;
}

async function ensureDemoUser(cognito: CognitoIdentityProviderClient, userPoolId: string, user: DemoUser, note: (what: string) => void): Promise<void> {
  if (!(await userExists(cognito, userPoolId, user.username))) {
    await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: user.username,
        MessageAction: "SUPPRESS",
        UserAttributes: [
          { Name: "email", Value: user.username },
          { Name: "email_verified", Value: "true" },
          { Name: "given_name", Value: user.givenName },
          { Name: "family_name", Value: user.familyName },
        ],
      }),
    );
    note(`demo user ${user.username}`);
  }
  // Every run, so that the printed password works even if someone changed it.
  await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: user.password, Permanent: true }));
  for (const group of user.groups) {
    await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.username, GroupName: group }));
  }
}

async function findPool(cognito: CognitoIdentityProviderClient, name: string): Promise<string | undefined> {
  const matches: string[] = [];
  for await (const page of paginateListUserPools({ client: cognito, pageSize: 60 }, { MaxResults: 60 })) {
    for (const pool of page.UserPools ?? []) if (pool.Name === name && pool.Id) matches.push(pool.Id);
  }
  if (matches.length > 1) throw new Error(`${matches.length} user pools are named ${name}; pass the one to use as COGNITO_USER_POOL_ID`);
  return matches[0];
}

export async function findClient(cognito: CognitoIdentityProviderClient, userPoolId: string, name: string): Promise<string | undefined> {
  for await (const page of paginateListUserPoolClients({ client: cognito, pageSize: 60 }, { UserPoolId: userPoolId, MaxResults: 60 })) {
    const found = page.UserPoolClients?.find((c) => c.ClientName === name);
    if (found?.ClientId) return found.ClientId;
  }
  return undefined;
}

async function resourceServerExists(cognito: CognitoIdentityProviderClient, userPoolId: string, identifier: string): Promise<boolean> {
  try {
    await cognito.send(new DescribeResourceServerCommand({ UserPoolId: userPoolId, Identifier: identifier }));
    return true;
  } catch (err) {
    if (err instanceof Error && err.name === "ResourceNotFoundException") return false;
    throw err;
  }
}

// ListGroups rather than GetGroup: the emulator's GetGroup fails with a 500 on a pool with no groups.
async function groupExists(cognito: CognitoIdentityProviderClient, userPoolId: string, group: string): Promise<boolean> {
  for await (const page of paginateListGroups({ client: cognito, pageSize: 60 }, { UserPoolId: userPoolId, Limit: 60 })) {
    if (page.Groups?.some((g) => g.GroupName === group)) return true;
  }
  return false;
}

async function userExists(cognito: CognitoIdentityProviderClient, userPoolId: string, username: string): Promise<boolean> {
  try {
    await cognito.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
    return true;
  } catch (err) {
    if (err instanceof Error && err.name === "UserNotFoundException") return false;
    throw err;
  }
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}
