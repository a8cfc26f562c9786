// TypeBox schemas of permission types, grants and the field table.
import { Type, type Static } from "typebox";
import { RELATIONSHIPS } from "../authz/relationship.ts";
import { MAX_PAGE, PermissionSchema } from "../users/profile-schema.ts";
import { PERMISSION_TYPE_NAMES } from "../authz/permission-types.ts";

const Uuid = Type.String({ format: "uuid", maxLength: 36 });
const NullableUuid = Type.Unsafe<string | null>({ type: ["string", "null"], format: "uuid" });
const TypeName = Type.Unsafe<string>({ type: "string", enum: [...PERMISSION_TYPE_NAMES] });

export const PermissionTypeSchema = Type.Object({
  name: Type.String(),
  rank: Type.Integer({ description: "Lower is more power (PeopleDepot's order)" }),
  description: Type.String(),
  scope: Type.Unsafe<"global" | "project">({ type: "string", enum: ["global", "project"] }),
});

export const GrantSchema = Type.Object({
  uuid: Uuid,
  user: Uuid,
  permission_type: Type.String(),
  project: NullableUuid,
  practice_area: NullableUuid,
  granted_by: NullableUuid,
  created_at: Type.String({ format: "date-time" }),
});

export const GrantCreateSchema = Type.Object(
  {
    user: Type.Optional(Type.String({ format: "uuid", maxLength: 36, description: "The person, by uuid: someone the caller already leads here (any uuid for global administrators and services)" })),
    email: Type.Optional(
      Type.String({ format: "email", maxLength: 254, description: "Or by the exact email Cognito verified (case-insensitive): how the project's adminProject names a newcomer" }),
    ),
    github_handle: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$", description: "Or by the GitHub handle of their profile (case-insensitive)" })),
    permission_type: TypeName,
    project: Type.Optional(NullableUuid),
    practice_area: Type.Optional(NullableUuid),
  },
  { additionalProperties: false },
);

export const GrantsQuerySchema = Type.Object({
  user: Type.Optional(Uuid),
  project: Type.Optional(Uuid),
  permission_type: Type.Optional(Type.Unsafe<string>({ type: "string", enum: [...PERMISSION_TYPE_NAMES], description: "Only grants (or history) of this type: who holds adminGlobal" })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
});

export const GrantListSchema = Type.Object({
  count: Type.Integer(),
  next: Type.Unsafe<string | null>({ type: ["string", "null"], format: "uri" }),
  previous: Type.Unsafe<string | null>({ type: ["string", "null"], format: "uri" }),
  results: Type.Array(GrantSchema),
});

const RelationshipName = Type.Unsafe<string>({ type: "string", enum: [...RELATIONSHIPS] });

export const FieldPermissionsSchema = Type.Object({
  relationships: Type.Array(RelationshipName, { description: "From the most to the least: each may read and change what every weaker one may" }),
  fields: Type.Array(
    Type.Object({
      field: Type.String(),
      read: RelationshipName,
      write: Type.Unsafe<string | null>({ type: ["string", "null"], enum: [...RELATIONSHIPS, null], description: "null: nobody, through the API" }),
    }),
  ),
});

export type GrantJson = Static<typeof GrantSchema>;
export type GrantCreate = Static<typeof GrantCreateSchema>;

export const HistoryEntrySchema = Type.Object({
  id: Type.Integer(),
  action: Type.Unsafe<"grant" | "revoke">({ type: "string", enum: ["grant", "revoke"] }),
  permission: Uuid,
  user: Uuid,
  permission_type: Type.String(),
  project: NullableUuid,
  practice_area: NullableUuid,
  actor: Type.Unsafe<string | null>({ type: ["string", "null"], description: "Who made the change; null when a deleted user or project took the grant with it" }),
  at: Type.String({ format: "date-time" }),
});

export const HistoryListSchema = Type.Object({
  count: Type.Integer(),
  next: Type.Unsafe<string | null>({ type: ["string", "null"], format: "uri" }),
  previous: Type.Unsafe<string | null>({ type: ["string", "null"], format: "uri" }),
  results: Type.Array(HistoryEntrySchema),
});

export const CheckBodySchema = Type.Object(
  {
    user: Uuid,
    permission_type: TypeName,
    project: Type.Optional(NullableUuid),
    practice_area: Type.Optional(NullableUuid),
  },
  { additionalProperties: false },
);

export const CheckAnswerSchema = Type.Object({
  allowed: Type.Boolean(),
  via: Type.Array(PermissionSchema, { description: "The user's permissions that amount to it (the type or a more powerful one covering the project)" }),
});
