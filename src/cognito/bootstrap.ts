// The pool setup shared by `npm start` and `cli provision`: pool, app client, group and (on
// loopback only) demo users, each created only where absent, against any Cognito endpoint.
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListGroupsCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { isLoopbackUrl } from "../net.ts";

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
  callbackUrl: string;
  adminGroup?: string;
  demoUsers?: DemoUser[];
  /** Told of each thing created, for a person watching. */
  onCreate?: (what: string) => void;
}

export interface ProvisionResult {
  userPoolId: string;
  clientId: string;
  created: string[];
}

export const APP_CLIENT_SCOPES = ["openid", "email", "profile", "aws.cognito.signin.user.admin"];

export async function provision(cognito: CognitoIdentityProviderClient, options: ProvisionOptions): Promise<ProvisionResult> {
  if (options.demoUsers?.length && !isLoopbackUrl(options.endpoint)) {
    throw new Error("demo users are created only on a loopback endpoint (the local emulator), never on a real pool");
  }
  const created: string[] = [];
  const note = (what: string) => {
    created.push(what);
    options.onCreate?.(what);
  };
  const clientName = options.clientName ?? "backend";
  const adminGroup = options.adminGroup ?? "admin";

  let userPoolId = await findPool(cognito, options.poolName);
  if (!userPoolId) {
    const out = await cognito.send(
      new CreateUserPoolCommand({
        PoolName: options.poolName,
        UsernameAttributes: ["email"],
        AutoVerifiedAttributes: ["email"],
      }),
    );
    userPoolId = required(out.UserPool?.Id, "CreateUserPool returned no pool id");
    note(`user pool ${options.poolName} (${userPoolId})`);
  }

  let clientId = await findClient(cognito, userPoolId, clientName);
  if (!clientId) {
    const out = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: clientName,
        GenerateSecret: false,
        ExplicitAuthFlows: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ["code"],
        AllowedOAuthScopes: APP_CLIENT_SCOPES,
        SupportedIdentityProviders: ["COGNITO"],
        CallbackURLs: [options.callbackUrl],
        LogoutURLs: [options.callbackUrl],
        AccessTokenValidity: 60,
        IdTokenValidity: 60,
        TokenValidityUnits: { AccessToken: "minutes", IdToken: "minutes", RefreshToken: "days" },
      }),
    );
    clientId = required(out.UserPoolClient?.ClientId, "CreateUserPoolClient returned no client id");
    note(`app client ${clientName} (${clientId})`);
  }

  if (!(await groupExists(cognito, userPoolId, adminGroup))) {
    await cognito.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: adminGroup, Description: "vrms-backend administrators" }));
    note(`group ${adminGroup}`);
  }

  for (const user of options.demoUsers ?? []) {
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
    await cognito.send(
      new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: user.password, Permanent: true }),
    );
    for (const group of user.groups) {
      await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.username, GroupName: group }));
    }
  }
  return { userPoolId, clientId, created };
}

async function findPool(cognito: CognitoIdentityProviderClient, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  const matches: string[] = [];
  do {
    const out = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: nextToken }));
    for (const pool of out.UserPools ?? []) if (pool.Name === name && pool.Id) matches.push(pool.Id);
    nextToken = out.NextToken;
  } while (nextToken);
  if (matches.length > 1) throw new Error(`${matches.length} user pools are named ${name}; pass the one to use as COGNITO_USER_POOL_ID`);
  return matches[0];
}

async function findClient(cognito: CognitoIdentityProviderClient, userPoolId: string, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const out = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken: nextToken }));
    const found = out.UserPoolClients?.find((c) => c.ClientName === name);
    if (found?.ClientId) return found.ClientId;
    nextToken = out.NextToken;
  } while (nextToken);
  return undefined;
}

// ListGroups rather than GetGroup: the emulator's GetGroup fails with a 500 on a pool with no groups.
async function groupExists(cognito: CognitoIdentityProviderClient, userPoolId: string, group: string): Promise<boolean> {
  let nextToken: string | undefined;
  do {
    const out = await cognito.send(new ListGroupsCommand({ UserPoolId: userPoolId, Limit: 60, NextToken: nextToken }));
    if (out.Groups?.some((g) => g.GroupName === group)) return true;
    nextToken = out.NextToken;
  } while (nextToken);
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
