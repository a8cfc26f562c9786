// A permission a person holds: stored (a user_permissions row) or read from a Cognito group on
// every request (COGNITO_GROUP_PERMISSIONS), never stored.
import type { PermissionTypeName } from "./permission-types.ts";

export interface Grant {
  /** The user_permissions row; null for a group-derived permission. */
  uuid: string | null;
  type: PermissionTypeName;
  project: string | null;
  practiceArea: string | null;
  /** The Cognito group it comes from, for group-derived permissions. */
  group?: string;
}

/** Cognito group → global permission type, from configuration. */
export type GroupPermissions = ReadonlyMap<string, PermissionTypeName>;

/** The permissions a token's groups confer, in the order of the mapping. */
export function groupGrants(groups: readonly string[], mapping: GroupPermissions): Grant[] {
  const grants: Grant[] = [];
  for (const [group, type] of mapping) {
    if (groups.includes(group)) grants.push({ uuid: null, type, project: null, practiceArea: null, group });
  }
  return grants;
}
