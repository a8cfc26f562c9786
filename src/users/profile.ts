// The profile as the API shows it: snake_case, ISO 8601 UTC, nothing internal, and only the fields
// the caller may read (authz/field-permissions.ts).
import { readableFields } from "../authz/field-permissions.ts";
import type { Grant } from "../authz/grants.ts";
import type { Relationship } from "../authz/relationship.ts";
import type { UserPrincipal } from "../authz/principal.ts";
import { USER_OWNED, type UserOwnedField } from "./fields.ts";
import type { MeProfile, MeUpdate, PermissionJson, Profile, UserUpdate } from "./profile-schema.ts";
import type { ProfileChanges } from "./repository.ts";
import { DEFAULT_TIME_ZONE, type User } from "./tables.ts";

type UserOwnedValues = { [K in UserOwnedField]: User[(typeof USER_OWNED)[K]] };

const USER_OWNED_ENTRIES = Object.entries(USER_OWNED) as [UserOwnedField, (typeof USER_OWNED)[UserOwnedField]][];

// Cached users are the same object from request to request: so is their rendered profile.
const rendered = new WeakMap<User, Map<Relationship, Profile>>();
const renderedMe = new WeakMap<User, { groupsKey: string; grants: readonly Grant[]; me: MeProfile }>();

/** The profile as someone with this relationship to the user sees it: unreadable fields absent. */
export function toProfile(user: User, rel: Relationship): Profile {
  let byRelationship = rendered.get(user);
  if (!byRelationship) {
    byRelationship = new Map();
    rendered.set(user, byRelationship);
  }
  let profile = byRelationship.get(rel);
  if (!profile) {
    const full = render(user);
    profile = Object.fromEntries(readableFields(rel).map((field) => [field, full[field]])) as Profile;
    byRelationship.set(rel, profile);
  }
  return profile;
}

function render(user: User): Required<Profile> {
  const owned = {} as Record<string, unknown>;
  for (const [field, column] of USER_OWNED_ENTRIES) owned[field] = user[column];
  return {
    uuid: user.uuid,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    ...(owned as UserOwnedValues),
    is_active: user.isActive,
    last_login: user.lastLogin ? user.lastLogin.toISOString() : null,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function toPermission(grant: Grant): PermissionJson {
  return { uuid: grant.uuid, permission_type: grant.type, project: grant.project, practice_area: grant.practiceArea, cognito_group: grant.group ?? null };
}

export function toMeProfile({ user, groups, grants, isAdmin }: UserPrincipal): MeProfile {
  // Every token of a user carries its own groups array; equal contents render the same profile.
  const groupsKey = groups.join("\n");
  const memo = renderedMe.get(user);
  if (memo && memo.groupsKey === groupsKey && memo.grants === grants) return memo.me;
  const me = { ...(toProfile(user, "self") as Required<Profile>), groups: [...groups], is_admin: isAdmin, permissions: grants.map(toPermission) };
  renderedMe.set(user, { groupsKey, grants, me });
  return me;
}

/** A validated PATCH body → the columns to write. `null` clears a field or restores its default. */
export function toChanges(body: MeUpdate | UserUpdate): ProfileChanges {
  const changes: Record<string, unknown> = {};
  for (const [field, column] of USER_OWNED_ENTRIES) {
    if (!(field in body)) continue;
    const value = body[field];
    if (value === null && field === "texting_ok") changes[column] = false;
    else if (value === null && field === "time_zone") changes[column] = DEFAULT_TIME_ZONE;
    else changes[column] = value;
  }
  if ("is_active" in body && typeof body.is_active === "boolean") changes.isActive = body.is_active;
  return changes as ProfileChanges;
}

const serialized = new WeakMap<MeProfile, string>();

/**
 * The JSON of a rendered profile, kept with it: a user polling /me gets the same bytes until the
 * profile changes. Only fields rendered above are in it, exactly as the response schema says.
 */
export function meProfileJson(me: MeProfile): string {
  let json = serialized.get(me);
  if (json === undefined) {
    json = JSON.stringify(me);
    serialized.set(me, json);
  }
  return json;
}
