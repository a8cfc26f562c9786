// TypeBox schemas of the profile: validation, serialization and OpenAPI from one source.
import { Type, type Static, type TSchema } from "typebox";
import type { UserOwnedField } from "./fields.ts";

/** A nullable string as one JSON Schema type list: one clear error per bad field, not three. */
const nullableString = (options: Record<string, unknown> = {}) =>
  Type.Unsafe<string | null>({ type: ["string", "null"], ...options });
const nullableBoolean = (options: Record<string, unknown> = {}) => Type.Unsafe<boolean | null>({ type: ["boolean", "null"], ...options });
const DateTime = Type.String({ format: "date-time" });

/** Every user-owned field: what it takes; `null` clears it (or restores its default). */
const USER_OWNED_SCHEMAS = {
  first_name: nullableString({ maxLength: 150 }),
  last_name: nullableString({ maxLength: 150 }),
  preferred_email: nullableString({ format: "email", maxLength: 254 }),
  gmail: nullableString({ format: "email", maxLength: 254 }),
  phone: nullableString({ format: "e164-phone", description: "E.164, such as +14155552671" }),
  texting_ok: nullableBoolean({ description: "null restores the default, false" }),
  time_zone: nullableString({ format: "iana-time-zone", description: "IANA name; null restores the default, America/Los_Angeles" }),
  linkedin_account: nullableString({ maxLength: 255 }),
  github_handle: nullableString({ pattern: "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$" }),
  slack_member_id: nullableString({ pattern: "^[A-Z0-9]{2,32}$" }),
  current_job_title: nullableString({ maxLength: 150 }),
  target_job_title: nullableString({ maxLength: 150 }),
  current_skills: nullableString({ maxLength: 2000 }),
  target_skills: nullableString({ maxLength: 2000 }),
} satisfies Record<UserOwnedField, TSchema>;

const UserOwned = Type.Object(USER_OWNED_SCHEMAS);

const PROFILE_PROPERTIES = {
    uuid: Type.String({ format: "uuid" }),
    username: Type.String(),
    email: nullableString(),
    email_verified: Type.Boolean(),
    ...USER_OWNED_SCHEMAS,
    texting_ok: Type.Boolean(),
    time_zone: Type.String(),
    is_active: Type.Boolean(),
    last_login: nullableString({ format: "date-time" }),
    created_at: DateTime,
    updated_at: DateTime,
};

/**
 * A user as the caller may see them: every field the caller may not read is absent, not null
 * (GET /api/v1/field-permissions says which).
 */
export const ProfileSchema = Type.Object(
  { ...Type.Partial(Type.Object(PROFILE_PROPERTIES)).properties, uuid: PROFILE_PROPERTIES.uuid },
  { $id: "Profile", description: "Fields the caller may not read are absent (see GET /api/v1/field-permissions)" },
);

export const PermissionSchema = Type.Object({
  uuid: nullableString({ format: "uuid", description: "The grant; null for a permission from a Cognito group" }),
  permission_type: Type.String(),
  project: nullableString({ format: "uuid" }),
  practice_area: nullableString({ format: "uuid" }),
  cognito_group: nullableString({ description: "The Cognito group it comes from (COGNITO_GROUP_PERMISSIONS); null for a grant" }),
});

export const MeProfileSchema = Type.Object({
  ...PROFILE_PROPERTIES,
  groups: Type.Array(Type.String(), { description: "Cognito groups, from the token" }),
  is_admin: Type.Boolean({ description: "Holds adminGlobal" }),
  permissions: Type.Array(PermissionSchema, { description: "Stored grants, then those of the token's Cognito groups" }),
});

export type PermissionJson = Static<typeof PermissionSchema>;

/** PATCH /api/v1/me: user-owned fields only. */
export const MeUpdateSchema = Type.Partial(UserOwned, { additionalProperties: false });

/** PATCH /api/v1/users/{uuid}: user-owned fields, and is_active for administrators. */
export const UserUpdateSchema = Type.Partial(
  Type.Object({ ...USER_OWNED_SCHEMAS, is_active: Type.Boolean({ description: "administrators only" }) }),
  { additionalProperties: false },
);

export const UuidParamsSchema = Type.Object({ uuid: Type.String() });

export type Profile = Static<typeof ProfileSchema>;
export type MeProfile = Static<typeof MeProfileSchema>;
export type MeUpdate = Static<typeof MeUpdateSchema>;
export type UserUpdate = Static<typeof UserUpdateSchema>;
export type UuidParams = Static<typeof UuidParamsSchema>;
export type UsersQuery = Static<typeof UsersQuerySchema>;
export type Ordering = (typeof ORDERINGS)[number];

export const ORDERINGS = ["created_at", "-created_at", "email", "-email", "last_name", "-last_name"] as const;

/**
 * Pages past the last are empty, but without a bound `?page=1e300` reached the database as an
 * offset it cannot hold (a 500). 100,000 pages of 100 address ten million users.
 */
export const MAX_PAGE = 100_000;

export const DEFAULT_PAGE_SIZE = 20;
export const DEFAULT_ORDERING: Ordering = "-created_at";

/** Optional parameters get their defaults from the validator; the handler's `??` only satisfies the types. */
export const UsersQuerySchema = Type.Object(
  {
    page: Type.Optional(Type.Integer({
      minimum: 1, maximum: MAX_PAGE, default: 1,
      description: "1-based. With any filter or search, page × page_size may be 10,000 at most (deeper: 400 naming page; narrow the search)",
    })),
    page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    username: Type.Optional(Type.String({ maxLength: 254 })),
    cognito_sub: Type.Optional(Type.String({ maxLength: 128, description: "Exact: the user's Cognito sub" })),
    is_active: Type.Optional(Type.Boolean()),
    search: Type.Optional(Type.String({ maxLength: 200 })),
    vrms_id: Type.Optional(Type.String({ pattern: "^[0-9a-fA-F]{24}$", maxLength: 24, description: "The user imported from VRMS with this MongoDB _id (npm run cli -- import vrms)" })),
    project: Type.Optional(Type.String({ format: "uuid", maxLength: 36, description: "Only the members of this project (users holding any permission in it)" })),
    ordering: Type.Optional(Type.Unsafe<Ordering>({ type: "string", enum: [...ORDERINGS], default: DEFAULT_ORDERING })),
  },
  // Every parameter is bounded (openapi.test.ts checks). Unknown query parameters (cache busters)
  // are ignored; bodies are where strictness matters.
);

/** A reference to the shared Profile schema (registered once with addSchema). */
export const ProfileRef = Type.Unsafe({ $ref: "Profile#" });

export const UserListSchema = Type.Object(
  {
    count: Type.Integer(),
    count_is_estimate: Type.Boolean({
      description: "true when more than 10,000 users match: count is then the database's estimate (pages and next links stay exact)",
    }),
    next: nullableString({ format: "uri" }),
    previous: nullableString({ format: "uri" }),
    results: Type.Array(ProfileRef),
  }
);
