// Who owns which profile field: the one table the schemas, serializer and PATCH handlers share.
import type { User } from "./tables.ts";

/** Editable by the user (and administrators); seeded from Cognito only at creation. */
export const USER_OWNED = {
  first_name: "firstName",
  last_name: "lastName",
  preferred_email: "preferredEmail",
  gmail: "gmail",
  phone: "phone",
  texting_ok: "textingOk",
  time_zone: "timeZone",
  linkedin_account: "linkedinAccount",
  github_handle: "githubHandle",
  slack_member_id: "slackMemberId",
  current_job_title: "currentJobTitle",
  target_job_title: "targetJobTitle",
  current_skills: "currentSkills",
  target_skills: "targetSkills",
} as const satisfies Record<string, keyof User>;

export type UserOwnedField = keyof typeof USER_OWNED;

/** Follow Cognito; read-only through the API. */
export const COGNITO_OWNED = ["username", "email", "email_verified"] as const;

/** Never written through a PATCH of /api/v1/me. */
export const READ_ONLY = ["uuid", "is_active", "last_login", "created_at", "updated_at", "groups", "is_admin"] as const;

/** Why a field the caller may not send was refused: one message per kind of field. */
export function refusalFor(field: string, adminRoute: boolean): string {
  if ((COGNITO_OWNED as readonly string[]).includes(field)) return "is owned by Cognito and cannot be changed here";
  if (field === "is_active") {
    return adminRoute ? "is read-only" : "can be changed only by an administrator, through /api/v1/users/{uuid}";
  }
  if ((READ_ONLY as readonly string[]).includes(field)) return "is read-only";
  return "is not a profile field";
}
