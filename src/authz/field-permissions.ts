// Who may read and who may change each profile field: the one table every serializer and every
// PATCH goes through, served to apps at GET /api/v1/field-permissions (like PeopleDepot's
// field_permissions.csv). Each entry names the weakest relationship that may; `null` = nobody
// through the API (Cognito-owned fields and timestamps).
import type { Profile } from "../users/profile-schema.ts";
import { atLeast, type Relationship } from "./relationship.ts";

export interface FieldRule {
  read: Relationship;
  write: Relationship | null;
}

export const FIELD_PERMISSIONS = {
  uuid: { read: "projectMember", write: null },
  username: { read: "projectMember", write: null },
  email: { read: "projectLead", write: null },
  email_verified: { read: "projectLead", write: null },
  first_name: { read: "projectMember", write: "self" },
  last_name: { read: "projectMember", write: "self" },
  preferred_email: { read: "projectLead", write: "self" },
  gmail: { read: "projectLead", write: "self" },
  phone: { read: "projectLead", write: "self" },
  texting_ok: { read: "projectLead", write: "self" },
  time_zone: { read: "projectMember", write: "self" },
  linkedin_account: { read: "projectMember", write: "self" },
  github_handle: { read: "projectMember", write: "self" },
  slack_member_id: { read: "projectMember", write: "self" },
  current_job_title: { read: "projectMember", write: "self" },
  target_job_title: { read: "projectMember", write: "self" },
  current_skills: { read: "projectMember", write: "self" },
  target_skills: { read: "projectMember", write: "self" },
  is_active: { read: "projectLead", write: "adminGlobal" },
  last_login: { read: "projectLead", write: null },
  created_at: { read: "projectLead", write: null },
  updated_at: { read: "projectLead", write: null },
} as const satisfies Record<keyof Profile, FieldRule>;

export type ProfileField = keyof typeof FIELD_PERMISSIONS;

const ENTRIES = Object.entries(FIELD_PERMISSIONS) as [ProfileField, FieldRule][];

/** Whether the caller may know the user exists at all: may they read the uuid? */
export function maySeeUser(rel: Relationship): boolean {
  return atLeast(rel, FIELD_PERMISSIONS.uuid.read);
}

/** The fields a relationship may read, in the profile's order. */
export function readableFields(rel: Relationship): ProfileField[] {
  return ENTRIES.filter(([, rule]) => atLeast(rel, rule.read)).map(([field]) => field);
}

export function mayWrite(rel: Relationship, field: string): boolean {
  const rule = (FIELD_PERMISSIONS as Record<string, FieldRule>)[field];
  return rule?.write != null && atLeast(rel, rule.write);
}

/** Why a field the caller may not change was refused. */
export function writeRefusal(field: string): string {
  const rule = (FIELD_PERMISSIONS as Record<string, FieldRule>)[field];
  if (!rule || rule.write === null) return "is read-only";
  if (rule.write === "adminGlobal") return "may be changed only by a global administrator";
  return "may be changed only by the user or a global administrator";
}
