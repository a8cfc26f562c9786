// What the dev stack's additions to cognito-local share: the engine, the revoked sessions, the
// resource servers, and the form of an operation (one X-Amz-Target), which is cognito-local's own.
import { CognitoError } from "./cognito-local.ts";
import type { AppClient } from "./cognito-local.ts";
import type { Context } from "./cognito-local.ts";
import type { Engine } from "./engine.ts";
import type { ResourceServers } from "./resource-server-store.ts";
import type { RevokedSessions } from "./revocations.ts";

export interface Deps {
  engine: Engine;
  revoked: RevokedSessions;
  resourceServers: ResourceServers;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are JSON, checked field by field
export type Operation = (ctx: Context, req: any) => Promise<unknown>;

export const notAuthorized = (message: string) => new CognitoError("NotAuthorizedException", message);
export const invalidParameter = (message: string) => new CognitoError("InvalidParameterException", message);

export async function requireClient(deps: Deps, ctx: Context, clientId: unknown): Promise<AppClient> {
  const client = typeof clientId === "string" ? await deps.engine.services.cognito.getAppClient(ctx, clientId) : null;
  if (!client) throw new CognitoError("ResourceNotFoundException", `User pool client ${String(clientId)} does not exist.`);
  return client;
}

/** The refresh tokens' and revocations' lifetime bound: the longest an access token can outlive them. */
export const ACCESS_TOKEN_MAX_SECONDS = 24 * 3600;
