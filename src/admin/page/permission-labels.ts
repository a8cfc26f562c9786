// How the console names the permission types to people: PeopleDepot's own words where it has them
// (hackforla/peopledepot: app/constants.py "Global Admin", "Project Member"; the first seed,
// 0004_permission_type_seed.py, "Project admin", "Practice area lead for a project"; the later
// seed's descriptions for the rest), never the API's camelCase. The API's name stays on the page
// beside it (a <code>), for administrators who read the API documentation.
import type { PermissionTypeName } from "../../authz/permission-types.ts";
import { h } from "./dom.ts";

// A Record over every type: a new type without a name here fails the type check.
const LABELS: Record<PermissionTypeName, string> = {
  adminGlobal: "Global admin",
  adminVrms: "VRMS (the application)",
  adminBrigade: "Brigade lead",
  adminProject: "Project admin",
  practiceLeadProject: "Practice area lead",
  practiceLeadJrProject: "Junior practice area lead",
  memberProject: "Project member",
  memberGeneral: "Onboarded volunteer",
};

/** The type's name for people ("Project admin"); an unknown name is shown as it is. */
export function permissionLabel(name: string): string {
  return (LABELS as Record<string, string>)[name] ?? name;
}

/** The human name, then the API's own in a <code> (read after it by screen readers too). */
export function permissionName(name: string): HTMLElement {
  return h("span", { className: "ptype" }, permissionLabel(name), " ", h("code", { className: "api-name" }, name));
}
