// TypeBox schemas of projects and practice areas: validation, serialization and OpenAPI from one source.
import { Type, type Static } from "typebox";

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: "\\S", description: "Unique" });
const Description = Type.Unsafe<string | null>({ type: ["string", "null"], maxLength: 2000 });
const DateTime = Type.String({ format: "date-time" });
const Url = Type.Unsafe<string | null>({ type: ["string", "null"], maxLength: 2048, pattern: "^https?://\\S+$", description: "An http(s) URL" });

export const ProjectSchema = Type.Object({
  uuid: Type.String({ format: "uuid" }),
  name: Type.String(),
  description: Type.Unsafe<string | null>({ type: ["string", "null"] }),
  github_url: Type.Unsafe<string | null>({ type: ["string", "null"] }),
  slack_url: Type.Unsafe<string | null>({ type: ["string", "null"] }),
  created_at: DateTime,
  updated_at: DateTime,
});

export const ProjectCreateSchema = Type.Object(
  { name: Name, description: Type.Optional(Description), github_url: Type.Optional(Url), slack_url: Type.Optional(Url) },
  { additionalProperties: false },
);
export const ProjectUpdateSchema = Type.Partial(Type.Object({ name: Name, description: Description, github_url: Url, slack_url: Url }), { additionalProperties: false });

export const ProjectsQuerySchema = Type.Object({
  vrms_id: Type.Optional(Type.String({ pattern: "^[0-9a-fA-F]{24}$", maxLength: 24, description: "The project imported from VRMS with this MongoDB _id" })),
});

export const PracticeAreaSchema = Type.Object({
  uuid: Type.String({ format: "uuid" }),
  name: Type.String(),
  created_at: DateTime,
});

export const PracticeAreaCreateSchema = Type.Object({ name: Name }, { additionalProperties: false });

export type ProjectJson = Static<typeof ProjectSchema>;
export type ProjectUpdate = Static<typeof ProjectUpdateSchema>;
export type PracticeAreaJson = Static<typeof PracticeAreaSchema>;
