// Who is calling, once per request: a person (their profile and permissions, users/current-user.ts)
// or a service (an app calling as itself with a client-credentials token, judged by its scopes
// alone). Routes that services may call declare the scope they need in their config.
import type { FastifyRequest } from "fastify";
import type { Actor } from "../users/current-user.ts";
import type { Grant } from "./grants.ts";
import type { Relationship } from "./relationship.ts";

export const SCOPES = ["users.read", "users.write", "permissions.read", "permissions.write", "webhooks.write"] as const;
export type Scope = (typeof SCOPES)[number];

export interface Service {
  clientId: string;
  /** The API's scopes the token carries, without the resource server prefix. */
  scopes: ReadonlySet<Scope>;
}

declare module "fastify" {
  interface FastifyRequest {
    service: Service | null;
  }
  interface FastifyContextConfig {
    /** The scope a service needs on this route; a route without one is for people only (403 not_a_user). */
    service?: Scope;
  }
}

export type Principal = { kind: "user"; actor: Actor } | { kind: "service"; service: Service };

export function principalOf(request: FastifyRequest): Principal {
  if (request.service) return { kind: "service", service: request.service };
  if (request.actor) return { kind: "user", actor: request.actor };
  throw new Error("route is not behind loadPrincipal()");
}

/** How audit lines and history name the caller: a user's uuid, or `service:<client_id>`. */
export function principalName(principal: Principal): string {
  return principal.kind === "user" ? principal.actor.user.uuid : `service:${principal.service.clientId}`;
}

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

/**
 * A service with permissions.write grants as adminVrms does ("granted to VRMS the application" in
 * PeopleDepot): every type below adminVrms, in any project; never adminGlobal or adminVrms.
 */
export const SERVICE_GRANTOR: readonly Grant[] = Object.freeze([{ uuid: null, type: "adminVrms", project: null, practiceArea: null }]);

/**
 * What a service is to every user when it reads: with users.read, what a global administrator is
 * (every field); otherwise (a project's members, with permissions.read) a fellow member.
 */
export function serviceReadRelationship(service: Service): Relationship {
  return service.scopes.has("users.read") ? "adminGlobal" : "projectMember";
}

/**
 * And when it writes (users.write): what the user may change themself, never is_active (attacker
 * review: a service deactivated global administrators, a power no grant gives it).
 */
export function serviceWriteRelationship(service: Service): Relationship {
  return service.scopes.has("users.write") ? "self" : "none";
}
