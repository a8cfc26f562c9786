// The resource servers' operations (CreateResourceServer and the rest), which cognito-local lacks,
// and Cognito's checks on the clients that name their scopes. The store is resource-server-store.ts.
import { CognitoError, ResourceNotFoundError } from "./cognito-local.ts";
import type { Context } from "./cognito-local.ts";
import { invalidParameter, type Deps, type Operation } from "./deps.ts";
import type { ResourceServer } from "./resource-server-store.ts";

// Cognito's own scopes: a client may name them without any resource server.
const STANDARD_SCOPES = new Set(["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"]);

function scopesOf(req: Record<string, unknown>): ResourceServer["Scopes"] {
  const scopes = req.Scopes ?? [];
  if (!Array.isArray(scopes)) throw invalidParameter("Scopes must be a list");
  return scopes.map((scope: Record<string, unknown>) => {
    if (typeof scope?.ScopeName !== "string" || !/^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/.test(scope.ScopeName)) {
      throw invalidParameter(`Invalid ScopeName ${JSON.stringify(scope?.ScopeName)}`);
    }
    return { ScopeName: scope.ScopeName, ScopeDescription: String(scope.ScopeDescription ?? "") };
  });
}

export function resourceServerOperations(deps: Deps): Record<string, Operation> {
  const servers = deps.resourceServers;
  const existing = async (ctx: Context, req: Record<string, unknown>) => {
    await deps.engine.services.cognito.getUserPool(ctx, String(req.UserPoolId));
    const server = await servers.get(ctx, String(req.UserPoolId), String(req.Identifier));
    if (!server) throw new ResourceNotFoundError(`Resource server ${String(req.Identifier)} does not exist.`);
    return server;
  };
  return {
    CreateResourceServer: async (ctx, req) => {
      await deps.engine.services.cognito.getUserPool(ctx, String(req.UserPoolId));
      if (typeof req.Identifier !== "string" || !req.Identifier) throw invalidParameter("Missing required parameter Identifier");
      if (typeof req.Name !== "string" || !req.Name) throw invalidParameter("Missing required parameter Name");
      if (await servers.get(ctx, req.UserPoolId, req.Identifier)) throw invalidParameter(`${req.Identifier} already exists in pool ${req.UserPoolId}.`);
      const server = { UserPoolId: req.UserPoolId as string, Identifier: req.Identifier, Name: req.Name, Scopes: scopesOf(req) };
      await servers.save(ctx, server);
      return { ResourceServer: server };
    },
    DescribeResourceServer: async (ctx, req) => ({ ResourceServer: await existing(ctx, req) }),
    ListResourceServers: async (ctx, req) => {
      await deps.engine.services.cognito.getUserPool(ctx, String(req.UserPoolId));
      return { ResourceServers: await servers.list(ctx, String(req.UserPoolId)) };
    },
    UpdateResourceServer: async (ctx, req) => {
      const server = await existing(ctx, req);
      if (typeof req.Name !== "string" || !req.Name) throw invalidParameter("Missing required parameter Name");
      // As on AWS, the update replaces the scopes: what it leaves out is gone.
      const updated = { ...server, Name: req.Name, Scopes: scopesOf(req) };
      await servers.save(ctx, updated);
      return { ResourceServer: updated };
    },
    DeleteResourceServer: async (ctx, req) => {
      const server = await existing(ctx, req);
      await servers.delete(ctx, server.UserPoolId, server.Identifier);
      return {};
    },
    CreateUserPoolClient: async (ctx, req) => {
      await checkClient(deps, ctx, req, req.GenerateSecret === true);
      return deps.engine.route("CreateUserPoolClient")(ctx, req);
    },
    UpdateUserPoolClient: async (ctx, req) => {
      const client = await deps.engine.services.cognito.getAppClient(ctx, String(req.ClientId));
      await checkClient(deps, ctx, { ...client, ...req }, Boolean(client?.ClientSecret));
      return deps.engine.route("UpdateUserPoolClient")(ctx, req);
    },
  };
}

/**
 * Cognito's refusals for a client's OAuth settings, which cognito-local stores unchecked: a custom
 * scope no resource server defines, and the client credentials grant on a client with no secret
 * or beside a grant for people.
 */
async function checkClient(deps: Deps, ctx: Context, req: Record<string, unknown>, hasSecret: boolean): Promise<void> {
  const flows = Array.isArray(req.AllowedOAuthFlows) ? (req.AllowedOAuthFlows as string[]) : [];
  if (flows.includes("client_credentials")) {
    if (!hasSecret) throw new CognitoError("InvalidOAuthFlowException", "client_credentials flow can not be selected if client does not have a client secret.");
    if (flows.length > 1) throw new CognitoError("InvalidOAuthFlowException", "client_credentials flow can not be selected with either code or implicit flows.");
  }
  const scopes = Array.isArray(req.AllowedOAuthScopes) ? (req.AllowedOAuthScopes as string[]) : [];
  const custom = scopes.filter((scope) => !STANDARD_SCOPES.has(scope));
  if (custom.length === 0) return;
  const defined = await deps.resourceServers.scopes(ctx, String(req.UserPoolId));
  const unknown = custom.find((scope) => !defined.has(scope));
  if (unknown) throw new CognitoError("ScopeDoesNotExistException", `Invalid scope requested: ${unknown}`);
}
