// Pure: cleaned records and what the pool and database hold now to the actions that make them
// hold the import. Everything is keyed on VRMS ids, so a plan made after an interrupted run lists
// only what that run did not finish, and one made after a complete run lists nothing to do.
import type { PermissionTypeName } from "../authz/permission-types.ts";
import { globalTypeFor, type AccessMapping } from "./access.ts";
import type { Cleaned, CleanProject, Conflict, Merge, Person, Warning } from "./clean.ts";

export interface CognitoAccount {
  username: string;
  sub: string;
}

/** What the pool and the database hold now, read in bulk (state.ts). */
export interface ImportState {
  /** VRMS user id → profile uuid. */
  userIds: ReadonlyMap<string, string>;
  /** VRMS project id → project uuid. */
  projectIds: ReadonlyMap<string, string>;
  /** Project name → uuid, for projects to link by name. */
  projectsByName: ReadonlyMap<string, string>;
  /** Cognito accounts by lower-cased email (read only for people not imported yet). */
  cognitoByEmail: ReadonlyMap<string, CognitoAccount>;
  /** Profile uuid by Cognito sub, for those accounts. */
  profilesBySub: ReadonlyMap<string, string>;
  /** Grants held by the people concerned: grantKey(user, type, project). */
  grants: ReadonlySet<string>;
}

export const grantKey = (user: string, type: string, project: string | null) => `${user}|${type}|${project ?? ""}`;

export interface PlannedGrant {
  type: PermissionTypeName;
  /** The VRMS project id; null for a global type. */
  project: string | null;
  /** The project's uuid when it exists already; apply resolves the others once it has made them. */
  projectUuid?: string;
}

export type PersonAction =
  /** A new Cognito user (AdminCreateUser) and profile. */
  | { kind: "create" }
  /** The Cognito user exists (same email), its profile does not: the profile is created. */
  | { kind: "link_account"; account: CognitoAccount }
  /** The profile exists, not from this import: its VRMS ids and grants are added, its fields left alone. */
  | { kind: "link_profile"; user: string }
  /** Imported before: ids or grants missing (a record merged in since, an interrupted run). */
  | { kind: "update"; user: string }
  | { kind: "unchanged"; user: string };

export interface PersonPlan {
  person: Person;
  action: PersonAction;
  /** VRMS ids not yet recorded. */
  newIds: string[];
  /** Grants not yet held. */
  grants: PlannedGrant[];
}

export type ProjectAction = { kind: "create" } | { kind: "link"; project: string } | { kind: "unchanged"; project: string };

export interface ProjectPlan {
  project: CleanProject;
  action: ProjectAction;
}

export interface Plan {
  records: { users: number; projects: number };
  people: PersonPlan[];
  projects: ProjectPlan[];
  merges: Merge[];
  conflicts: Conflict[];
  warnings: Warning[];
  slackNamesLeftOut: number;
  access: AccessMapping;
}

export function plan(cleaned: Cleaned, state: ImportState, access: AccessMapping, records: { users: number; projects: number }): Plan {
  const conflicts = [...cleaned.conflicts];
  const warnings = [...cleaned.warnings];

  const projects: ProjectPlan[] = cleaned.projects.map((project) => {
    const mapped = state.projectIds.get(project.vrmsId);
    if (mapped) return { project, action: { kind: "unchanged", project: mapped } };
    const named = state.projectsByName.get(project.name);
    return { project, action: named ? { kind: "link", project: named } : { kind: "create" } };
  });
  // A project this file does not hold but an earlier import brought in still takes grants.
  const knownProjects = new Map<string, string | null>([...state.projectIds].map(([id, uuid]) => [id, uuid]));
  for (const p of projects) knownProjects.set(p.project.vrmsId, p.action.kind === "create" ? null : p.action.project);
  const conflicted = new Set(cleaned.conflicts.filter((c) => c.collection === "projects").map((c) => c.id));

  const people: PersonPlan[] = [];
  for (const person of cleaned.people) {
    const users = [...new Set(person.vrmsIds.flatMap((id) => state.userIds.get(id) ?? []))];
    if (users.length > 1) {
      for (const id of person.vrmsIds) {
        conflicts.push({ collection: "users", id, where: "", reason: `the records merged here were imported before as ${users.length} people (${users.join(", ")})` });
      }
      continue;
    }
    const wanted: PlannedGrant[] = [];
    const globalType = globalTypeFor(person.accessLevel, access);
    if (globalType) wanted.push({ type: globalType, project: null });
    const refer = (field: string, ids: readonly string[], type: PermissionTypeName) => {
      for (const id of ids) {
        if (knownProjects.has(id)) {
          const uuid = knownProjects.get(id);
          wanted.push(uuid ? { type, project: id, projectUuid: uuid } : { type, project: id });
        }
        else {
          const why = conflicted.has(id) ? "a project in conflict" : "no project";
          warnings.push({ collection: "users", id: person.vrmsIds[0]!, field, message: `names ${why} (${id}): no ${type}` });
        }
      }
    };
    refer("projects", person.memberOf, "memberProject");
    refer("managedProjects", person.manages, "adminProject");

    const existing = users[0];
    const account = existing ? undefined : state.cognitoByEmail.get(person.email);
    const profile = existing ?? (account ? state.profilesBySub.get(account.sub) : undefined);
    const newIds = existing ? person.vrmsIds.filter((id) => !state.userIds.has(id)) : person.vrmsIds;
    const held = (g: PlannedGrant) => {
      if (!profile) return false;
      if (g.project === null) return state.grants.has(grantKey(profile, g.type, null));
      const project = knownProjects.get(g.project);
      // A project still to be created holds no grant yet.
      return project != null && state.grants.has(grantKey(profile, g.type, project));
    };
    const missing = wanted.filter((g) => !held(g));
    let action: PersonAction;
    if (existing) action = newIds.length || missing.length ? { kind: "update", user: existing } : { kind: "unchanged", user: existing };
    else if (profile) action = { kind: "link_profile", user: profile };
    else if (account) action = { kind: "link_account", account };
    else action = { kind: "create" };
    people.push({ person, action, newIds, grants: missing });
  }
  return { records, people, projects, merges: cleaned.merges, conflicts, warnings, slackNamesLeftOut: cleaned.slackNamesLeftOut, access };
}

/** Whether the plan has anything to write. */
export function hasWork(p: Plan): boolean {
  return p.projects.some((x) => x.action.kind !== "unchanged") || p.people.some((x) => x.action.kind !== "unchanged");
}
