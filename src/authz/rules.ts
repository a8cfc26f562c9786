// Who may do what, beyond profile fields: grants, projects, lists. Every route asks here; no route
// compares ranks or groups itself.
import { permissionType, rankOf } from "./permission-types.ts";
import type { Grant } from "./grants.ts";
import { holdsAdminGlobal, leadsEveryone, ledScopes, type LedScope } from "./relationship.ts";

export interface GrantRequest {
  type: string;
  project: string | null;
  practiceArea: string | null;
}

/**
 * The caller's permission that entitles them to make (or revoke) this grant, or undefined.
 * adminGlobal may do anything. Otherwise only a type of strictly lower power, within the
 * holder's scope: a global type covers every project; a project type covers its own project
 * (and, if it names a practice area, that area only).
 */
export function grantAuthority(callerGrants: readonly Grant[], wanted: GrantRequest): Grant | undefined {
  return revokeAuthority(callerGrants, wanted) ?? peerAdminProject(callerGrants, wanted);
}

/**
 * Project managers add project managers (VRMS #1231): an adminProject of the whole project may grant
 * adminProject in it (of the whole project or one area), though it is their own rank. Not revoke:
 * removing a fellow adminProject stays with the global admin types (revokeAuthority).
 */
function peerAdminProject(callerGrants: readonly Grant[], wanted: GrantRequest): Grant | undefined {
  if (wanted.type !== "adminProject" || wanted.project === null) return undefined;
  return callerGrants.find((g) => g.type === "adminProject" && g.project === wanted.project && g.practiceArea === null);
}

/** Who may revoke a grant: the ranked rule alone (grantAuthority without the adminProject peer rule). */
export function revokeAuthority(callerGrants: readonly Grant[], wanted: GrantRequest): Grant | undefined {
  const admin = callerGrants.find((g) => g.type === "adminGlobal");
  if (admin) return admin;
  const type = permissionType(wanted.type);
  if (!type) return undefined;
  return callerGrants.find((g) => {
    if (rankOf(g.type) >= type.rank) return false;
    if (g.project === null) return true;
    return type.scope === "project" && g.project === wanted.project && (g.practiceArea === null || g.practiceArea === wanted.practiceArea);
  });
}


export const mayCreateProjects = holdsAdminGlobal;
export const mayDeleteProjects = holdsAdminGlobal;
export const mayCreatePracticeAreas = holdsAdminGlobal;
export const mayDeleteUsers = holdsAdminGlobal;
export const maySignOutOthers = holdsAdminGlobal;

/** adminGlobal, or an adminProject of this whole project (not of one practice area). */
export function mayEditProject(callerGrants: readonly Grant[], project: string): boolean {
  return holdsAdminGlobal(callerGrants) || callerGrants.some((g) => g.type === "adminProject" && g.project === project && g.practiceArea === null);
}

/**
 * Who may grant to someone they do not lead yet (a newcomer to the project): the global admin
 * types and the project's adminProject. Anyone else may grant only to people they already lead:
 * otherwise a junior lead could add anyone to the project and so read their contact details.
 */
export function mayAddToProject(callerGrants: readonly Grant[], project: string | null): boolean {
  return holdsAdminGlobal(callerGrants) || leadsEveryone(callerGrants) || (project !== null && mayEditProject(callerGrants, project));
}

/** Anyone who holds a permission in the project, and the global administrators. */
export function maySeeMembers(callerGrants: readonly Grant[], project: string): boolean {
  return holdsAdminGlobal(callerGrants) || leadsEveryone(callerGrants) || callerGrants.some((g) => g.project === project);
}

/** Whose users a caller may list: everyone, the people of the scopes they lead, or nobody (403). */
export type UserListScope = { all: true } | { all: false; scopes: LedScope[] };

export function userListScope(callerGrants: readonly Grant[]): UserListScope | undefined {
  if (holdsAdminGlobal(callerGrants) || leadsEveryone(callerGrants)) return { all: true };
  const scopes = ledScopes(callerGrants);
  return scopes.length > 0 ? { all: false, scopes } : undefined;
}

/** Which grants a caller may see: all, or their own and those in the scopes they lead. */
export function grantVisibility(callerUuid: string, callerGrants: readonly Grant[]): { all: true } | { all: false; user: string; scopes: LedScope[] } {
  if (holdsAdminGlobal(callerGrants) || leadsEveryone(callerGrants)) return { all: true };
  return { all: false, user: callerUuid, scopes: ledScopes(callerGrants) };
}

/**
 * How a granter may name the person a grant is for:
 * - `anyone`: by uuid, email or GitHub handle, even someone they do not lead (services, the global
 *   administrator types);
 * - `newcomers-by-login`: the project's adminProject adds newcomers, named by email or GitHub handle
 *   only (a uuid found elsewhere, e.g. on a grant's granted_by, names no newcomer);
 * - `led-only`: everyone else grants only to people they already lead in this project.
 */
export type Naming = "anyone" | "newcomers-by-login" | "led-only";

export function namingFor(callerGrants: readonly Grant[], project: string | null): Naming {
  if (holdsAdminGlobal(callerGrants) || leadsEveryone(callerGrants)) return "anyone";
  return mayAddToProject(callerGrants, project) ? "newcomers-by-login" : "led-only";
}

/**
 * What `POST /permissions/check` asks of each type: the one thing the routes let a holder of that
 * type there do that no weaker holder may (docs/permissions.md, "What check answers"). "Holds
 * adminProject in P" is "may edit P", whatever ranks say: adminBrigade outranks adminProject but
 * may not edit projects. Each rule is an OR over single grants, so `holding` can name them.
 */
export function capabilityOf(type: string, project: string | null, practiceArea: string | null): ((grants: readonly Grant[]) => boolean) | undefined {
  const grantable = (lower: string, p: string | null, a: string | null) => (grants: readonly Grant[]) =>
    grantAuthority(grants, { type: lower, project: p, practiceArea: a }) !== undefined;
  switch (type) {
    case "adminGlobal":
      return holdsAdminGlobal;
    case "adminVrms":
      return grantable("adminBrigade", null, null);
    case "adminBrigade":
      return (grants) => userListScope(grants)?.all === true;
    case "memberGeneral":
      // No route asks for it (it marks an onboarded volunteer): any global permission amounts to it.
      return (grants) => grants.some((g) => g.project === null);
  }
  if (project === null) return undefined;
  switch (type) {
    case "adminProject":
      return practiceArea === null ? (grants) => mayEditProject(grants, project) : grantable("practiceLeadProject", project, practiceArea);
    case "practiceLeadProject":
      return grantable("practiceLeadJrProject", project, practiceArea);
    case "practiceLeadJrProject":
      return grantable("memberProject", project, practiceArea);
    case "memberProject":
      // No route limits a member to a practice area: the area in the question changes nothing.
      return (grants) => maySeeMembers(grants, project);
  }
  return undefined;
}

/** The permissions that, each on its own, give the capability the type stands for (capabilityOf). */
export function holding(grants: readonly Grant[], type: string, project: string | null, practiceArea: string | null = null): Grant[] {
  const may = capabilityOf(type, project, practiceArea);
  return may ? grants.filter((g) => may([g])) : [];
}
