// Who may do what, beyond profile fields: grants, projects, lists. Every route asks here; no route
// compares ranks or groups itself.
import { permissionType, rankOf } from "../permissions/types.ts";
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
 * The permissions that amount to holding `type` (in `project`, and `practiceArea` if named): the
 * type itself or a more powerful one whose scope covers it, as the routes judge. A global
 * permission covers every project; a project permission covers its project only, never a global
 * type; one limited to a practice area counts only when the question names that area (a lead of
 * one area may not do what the whole project's lead may: edit it, add newcomers).
 */
export function holding(grants: readonly Grant[], type: string, project: string | null, practiceArea: string | null = null): Grant[] {
  const wanted = permissionType(type);
  if (!wanted) return [];
  return grants.filter(
    (g) =>
      rankOf(g.type) <= wanted.rank &&
      (g.project === null || (wanted.scope === "project" && g.project === project && (g.practiceArea === null || g.practiceArea === practiceArea))),
  );
}
