// The API's scopes, which services hold through the pool's resource server, and how a token's
// `scope` claim names them.
export const SCOPES = ["users.read", "users.write", "permissions.read", "permissions.write", "webhooks.write"] as const;
export type Scope = (typeof SCOPES)[number];

/** What each scope allows, as the OpenAPI document tells app developers. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = {
  "users.read": "Read every user (all fields); look users up by email or Cognito sub",
  "users.write": "Change users as a global administrator may",
  "permissions.read": "Read permission types, projects, members, grants and history; ask /permissions/check",
  "permissions.write": "Manage projects and practice areas; grant and revoke as adminVrms",
  "webhooks.write": "Manage the service's own webhook subscriptions; read the event feed",
};

/** The API's scopes in a token's `scope` claim (`vrms-backend/users.read …`). */
export function apiScopes(scopeClaim: string | undefined, resourceServer: string): Set<Scope> {
  const prefix = `${resourceServer}/`;
  const scopes = new Set<Scope>();
  for (const scope of (scopeClaim ?? "").split(" ")) {
    const name = scope.startsWith(prefix) ? scope.slice(prefix.length) : "";
    if ((SCOPES as readonly string[]).includes(name)) scopes.add(name as Scope);
  }
  return scopes;
}
