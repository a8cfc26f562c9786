// What becomes of VRMS's accessLevel: a global permission type per level, as --admin-type and
// --superadmin-type say. adminGlobal is never a default: only an explicit flag grants it.
import type { PermissionTypeName } from "../authz/permission-types.ts";
import type { AccessLevel } from "./clean.ts";

export type GlobalChoice = "none" | "memberGeneral" | "adminBrigade" | "adminGlobal";

/** adminVrms is VRMS the application's type, not a person's; project types need a project. */
export const GLOBAL_CHOICES: readonly GlobalChoice[] = ["none", "memberGeneral", "adminBrigade", "adminGlobal"];

export interface AccessMapping {
  admin: GlobalChoice;
  superadmin: GlobalChoice;
}

/** VRMS admins and superadmins manage every project and person: PeopleDepot's brigade leads. */
export const DEFAULT_ACCESS: AccessMapping = { admin: "adminBrigade", superadmin: "adminBrigade" };

export function parseGlobalChoice(flag: string, value: string | undefined, fallback: GlobalChoice): GlobalChoice {
  if (value === undefined) return fallback;
  if (!(GLOBAL_CHOICES as readonly string[]).includes(value)) {
    throw new Error(`${flag} must be one of ${GLOBAL_CHOICES.join(", ")} (adminVrms is the application's type; project types need a project)`);
  }
  return value as GlobalChoice;
}

export function globalTypeFor(level: AccessLevel, mapping: AccessMapping): PermissionTypeName | null {
  const choice = level === "user" ? "none" : mapping[level];
  return choice === "none" ? null : choice;
}
