// Who is calling, once per request: a principal, either a person (their profile and permissions)
// or a service (an app calling as itself with a client-credentials token, judged by its scopes
// alone). users/load-principal.ts loads it; routes read it here. Routes that services may call
// declare the scope they need in their config.
import type { FastifyRequest } from "fastify";
import type { User } from "../users/tables.ts";
import type { Grant } from "./grants.ts";
import type { Relationship } from "./relationship.ts";
import type { Scope } from "./scopes.ts";

/** A person: the local user, their Cognito groups, and every permission they hold. */
export interface UserPrincipal {
  kind: "user";
  user: User;
  groups: readonly string[];
  /** Stored grants, then those of the token's groups. */
  grants: readonly Grant[];
  /** Holds adminGlobal. */
  isAdmin: boolean;
}

/** An app calling as itself. */
export interface ServicePrincipal {
  kind: "service";
  clientId: string;
  /** The API's scopes the token carries, without the resource server prefix. */
  scopes: ReadonlySet<Scope>;
}

export type Principal = UserPrincipal | ServicePrincipal;

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The scope a service needs on this route; a route without one is for people only (403 not_a_user). */
    service?: Scope;
  }
}

/** The principal of a route behind loadPrincipal: a person, or a service where the route lets one in. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error("route is not behind loadPrincipal()");
  return request.principal;
}

/** The person calling a route for people only (no `service` in its config: loadPrincipal refuses services). */
export function userPrincipalOf(request: FastifyRequest): UserPrincipal {
  const principal = principalOf(request);
  if (principal.kind !== "user") throw new Error("userPrincipalOf() on a route services may call (config.service): use principalOf()");
  return principal;
}

/** How audit lines and history name the principal: a user's uuid, or `service:<client_id>`. */
export function principalName(principal: Principal): string {
  return principal.kind === "user" ? principal.user.uuid : `service:${principal.clientId}`;
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
export function serviceReadRelationship(service: ServicePrincipal): Relationship {
  return service.scopes.has("users.read") ? "adminGlobal" : "projectMember";
}

/**
 * And when it writes (users.write): what the user may change themself, never is_active (attacker
 * review: a service deactivated global administrators, a power no grant gives it).
 */
export function serviceWriteRelationship(service: ServicePrincipal): Relationship {
  return service.scopes.has("users.write") ? "self" : "none";
}
