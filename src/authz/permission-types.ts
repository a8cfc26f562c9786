// The permission types, as PeopleDepot defines them (hackforla/peopledepot,
// app/data/migrations/0004_permission_type_seed.py): a lower rank is more power. PeopleDepot
// later reversed its numbers (0015_reverse_rank_permissiontype_seed.py: (9 - rank) * 10, higher
// is more); this server keeps the original order, which its apps' issues (#150, #298) use.
// The migration seeds the same rows; permission-types.test.ts checks that both agree.

export type PermissionScope = "global" | "project";

export interface PermissionType {
  name: string;
  rank: number;
  scope: PermissionScope;
  description: string;
}

export const PERMISSION_TYPES = [
  { name: "adminGlobal", rank: 1, scope: "global", description: "People Depot administrators: may do anything." },
  { name: "adminVrms", rank: 2, scope: "global", description: "Granted to VRMS the application: reads everything, grants up to adminBrigade." },
  { name: "adminBrigade", rank: 3, scope: "global", description: "Brigade leads: manage users and projects of the brigade (here, the whole pool)." },
  { name: "adminProject", rank: 4, scope: "project", description: "Product managers: read and update anything of their project." },
  { name: "practiceLeadProject", rank: 5, scope: "project", description: "Practice area lead of a project: reads and updates the people of their practice area." },
  { name: "practiceLeadJrProject", rank: 6, scope: "project", description: "Junior practice area lead of a project." },
  { name: "memberProject", rank: 7, scope: "project", description: "Project team member: reads what the project shows its members." },
  { name: "memberGeneral", rank: 8, scope: "global", description: "Onboarded volunteer: may express interest in a project's open roles." },
] as const satisfies readonly PermissionType[];

export type PermissionTypeName = (typeof PERMISSION_TYPES)[number]["name"];

export const PERMISSION_TYPE_NAMES = PERMISSION_TYPES.map((t) => t.name) as PermissionTypeName[];

const BY_NAME = new Map<string, PermissionType>(PERMISSION_TYPES.map((t) => [t.name, t]));

export function permissionType(name: string): PermissionType | undefined {
  return BY_NAME.get(name);
}

export function rankOf(name: string): number {
  const type = BY_NAME.get(name);
  if (!type) throw new Error(`unknown permission type ${name}`);
  return type.rank;
}

/** Types whose holders lead a project: they see its members' contact fields and may grant below their rank. */
export const PROJECT_LEAD_TYPES: readonly string[] = ["adminProject", "practiceLeadProject", "practiceLeadJrProject"];
