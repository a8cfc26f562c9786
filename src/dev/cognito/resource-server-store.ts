// OAuth resource servers and their custom scopes, which cognito-local lacks: the store, kept in
// `.cognito/resource-servers.json` in the engine's own store format, beside its config.
import type { Context } from "./cognito-local.ts";
import type { DataStore } from "./cognito-local.ts";
import { StormDBDataStoreFactory } from "./cognito-local.ts";

export interface ResourceServer {
  UserPoolId: string;
  Identifier: string;
  Name: string;
  Scopes: { ScopeName: string; ScopeDescription: string }[];
}

/** The resource servers of every pool, by pool id and identifier. */
export class ResourceServers {
  private constructor(private readonly store: DataStore) {}

  static async open(ctx: Context, dir = ".cognito"): Promise<ResourceServers> {
    // Not under `.cognito/db`: the engine takes every JSON file there for a user pool.
    return new ResourceServers(await new StormDBDataStoreFactory(dir).create(ctx, "resource-servers", {}));
  }

  // One level at a time: the store throws on a path two levels past what exists.
  private async pool(ctx: Context, userPoolId: string): Promise<Record<string, ResourceServer>> {
    return await this.store.get<Record<string, ResourceServer>>(ctx, [userPoolId], {});
  }

  async get(ctx: Context, userPoolId: string, identifier: string): Promise<ResourceServer | undefined> {
    const servers = await this.pool(ctx, userPoolId);
    return Object.hasOwn(servers, identifier) ? servers[identifier] : undefined;
  }

  async list(ctx: Context, userPoolId: string): Promise<ResourceServer[]> {
    return Object.values(await this.pool(ctx, userPoolId));
  }

  async save(ctx: Context, server: ResourceServer): Promise<void> {
    await this.store.set(ctx, [server.UserPoolId, server.Identifier], server);
  }

  async delete(ctx: Context, userPoolId: string, identifier: string): Promise<void> {
    await this.store.delete(ctx, [userPoolId, identifier]);
  }

  /** Every custom scope of the pool, as tokens carry it: `{identifier}/{name}`. */
  async scopes(ctx: Context, userPoolId: string): Promise<Set<string>> {
    const servers = await this.list(ctx, userPoolId);
    return new Set(servers.flatMap((s) => s.Scopes.map((scope) => `${s.Identifier}/${scope.ScopeName}`)));
  }
}
