// The profile as the API shows it: snake_case, ISO 8601 UTC, nothing internal.
import type { User } from "./schema.ts";

export interface Profile {
  uuid: string;
  username: string;
  email: string | null;
  email_verified: boolean;
  is_active: boolean;
  last_login: string | null;
  created_at: string;
  updated_at: string;
}

export interface MeProfile extends Profile {
  groups: string[];
  is_admin: boolean;
}

export function toProfile(user: User): Profile {
  return {
    uuid: user.uuid,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    is_active: user.isActive,
    last_login: user.lastLogin ? user.lastLogin.toISOString() : null,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function toMeProfile(user: User, groups: string[], adminGroup: string): MeProfile {
  return { ...toProfile(user), groups, is_admin: groups.includes(adminGroup) };
}
