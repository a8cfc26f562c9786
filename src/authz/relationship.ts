// What the caller is to a user, the one input of the field table: the strongest relationship wins.
import { PROJECT_LEAD_TYPES, rankOf } from "./permission-types.ts";
import type { Grant } from "./grants.ts";

/** Ordered from the most to the least: each may read (and change) what every weaker one may. */
export const RELATIONSHIPS = ["adminGlobal", "self", "projectLead", "projectMember", "none"] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

const STRENGTH: Record<Relationship, number> = { adminGlobal: 4, self: 3, projectLead: 2, projectMember: 1, none: 0 };

/** Whether `held` is at least `needed`. */
export function atLeast(held: Relationship, needed: Relationship): boolean {
  return STRENGTH[held] >= STRENGTH[needed];
}

export interface Person {
  uuid: string;
  grants: readonly Grant[];
}

export function holdsAdminGlobal(grants: readonly Grant[]): boolean {
  return grants.some((g) => g.type === "adminGlobal");
}

/**
 * adminVrms and adminBrigade: global types below adminGlobal. A brigade is the whole pool here
 * (PeopleDepot has no brigades yet), so they lead every project's people.
 */
export function leadsEveryone(grants: readonly Grant[]): boolean {
  return grants.some((g) => g.project === null && rankOf(g.type) <= rankOf("adminBrigade"));
}

/** Where a lead leads: a project, or one practice area of it. */
export interface LedScope {
  project: string;
  practiceArea: string | null;
}

/**
 * The scopes the caller leads (adminProject, practiceLead*): a lead whose grant names a practice
 * area leads the people of that area in the project, not the whole project.
 */
export function ledScopes(grants: readonly Grant[]): LedScope[] {
  return grants.filter((g) => g.project !== null && PROJECT_LEAD_TYPES.includes(g.type)).map((g) => ({ project: g.project!, practiceArea: g.practiceArea }));
}

/** Whether a grant lies in a led scope. */
export function inScope(scope: LedScope, grant: { project: string | null; practiceArea: string | null }): boolean {
  return grant.project === scope.project && (scope.practiceArea === null || grant.practiceArea === scope.practiceArea);
}

function projectsOf(grants: readonly Grant[]): Set<string> {
  return new Set(grants.filter((g) => g.project !== null).map((g) => g.project!));
}

export function relationship(caller: Person, target: Person): Relationship {
  if (holdsAdminGlobal(caller.grants)) return "adminGlobal";
  if (caller.uuid === target.uuid) return "self";
  if (leadsEveryone(caller.grants)) return "projectLead";
  const targetProjects = projectsOf(target.grants);
  if (targetProjects.size === 0) return "none";
  if (ledScopes(caller.grants).some((scope) => target.grants.some((g) => inScope(scope, g)))) return "projectLead";
  for (const p of projectsOf(caller.grants)) if (targetProjects.has(p)) return "projectMember";
  return "none";
}
