// TypeBox schemas of projects and practice areas: validation, serialization and OpenAPI from one source.
import { Type, type Static } from "typebox";

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: "\\S", description: "Unique" });
const Description = Type.Unsafe<string | null>({ type: ["string", "null"], maxLength: 2000 });
const DateTime = Type.String({ format: "date-time" });

export const ProjectSchema = Type.Object({
  uuid: Type.String({ format: "uuid" }),
  name: Type.String(),
  description: Type.Unsafe<string | null>({ type: ["string", "null"] }),
  created_at: DateTime,
  updated_at: DateTime,
});

export const ProjectCreateSchema = Type.Object({ name: Name, description: Type.Optional(Description) }, { additionalProperties: false });
export const ProjectUpdateSchema = Type.Partial(Type.Object({ name: Name, description: Description }), { additionalProperties: false });

export const PracticeAreaSchema = Type.Object({
  uuid: Type.String({ format: "uuid" }),
  name: Type.String(),
  created_at: DateTime,
});

export const PracticeAreaCreateSchema = Type.Object({ name: Name }, { additionalProperties: false });

export type ProjectJson = Static<typeof ProjectSchema>;
export type PracticeAreaJson = Static<typeof PracticeAreaSchema>;
