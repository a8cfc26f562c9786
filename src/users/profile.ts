// The profile as the API shows it: snake_case, ISO 8601 UTC, nothing internal.
import type { Actor } from "./current-user.ts";
import { USER_OWNED, type UserOwnedField } from "./fields.ts";
import type { MeProfile, MeUpdate, Profile, UserUpdate } from "./profile-schema.ts";
import type { ProfileChanges } from "./repository.ts";
import { DEFAULT_TIME_ZONE, type User } from "./schema.ts";

type UserOwnedValues = { [K in UserOwnedField]: User[(typeof USER_OWNED)[K]] };

const USER_OWNED_ENTRIES = Object.entries(USER_OWNED) as [UserOwnedField, (typeof USER_OWNED)[UserOwnedField]][];

// Cached users are the same object from request to request: so is their rendered profile.
const rendered = new WeakMap<User, Profile>();
const renderedMe = new WeakMap<User, { groupsKey: string; me: MeProfile }>();

export function toProfile(user: User): Profile {
  let profile = rendered.get(user);
  if (!profile) {
    profile = render(user);
    rendered.set(user, profile);
  }
  return profile;
}

function render(user: User): Profile {
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

export function toMeProfile({ user, groups, isAdmin }: Actor): MeProfile {
  // Every token of a user carries its own groups array; equal contents render the same profile.
  const groupsKey = groups.join("\n");
  const memo = renderedMe.get(user);
  if (memo && memo.groupsKey === groupsKey) return memo.me;
  const me = { ...toProfile(user), groups: [...groups], is_admin: isAdmin };
  renderedMe.set(user, { groupsKey, me });
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
