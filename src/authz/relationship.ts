// What the caller is to a user, the one input of the field table: the strongest relationship wins.
import { PROJECT_LEAD_TYPES, rankOf } from "../permissions/types.ts";
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

/** The projects the caller leads (adminProject, practiceLead*): they see those projects' members. */
export function ledProjects(grants: readonly Grant[]): string[] {
  return [...new Set(grants.filter((g) => g.project !== null && PROJECT_LEAD_TYPES.includes(g.type)).map((g) => g.project!))];
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
  if (ledProjects(caller.grants).some((p) => targetProjects.has(p))) return "projectLead";
  for (const p of projectsOf(caller.grants)) if (targetProjects.has(p)) return "projectMember";
  return "none";
}
