// TypeBox schemas of the profile: validation, serialization and OpenAPI from one source.
import { Type } from "typebox";

const DateTime = Type.String({ format: "date-time" });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const ProfileSchema = Type.Object({
  uuid: Type.String({ format: "uuid" }),
  username: Type.String(),
  email: Nullable(Type.String()),
  email_verified: Type.Boolean(),
  is_active: Type.Boolean(),
  last_login: Nullable(DateTime),
  created_at: DateTime,
  updated_at: DateTime,
});

export const MeProfileSchema = Type.Object({
  ...ProfileSchema.properties,
  groups: Type.Array(Type.String()),
  is_admin: Type.Boolean(),
});
