// GET /api/v1/people/lookup: find the one person to add to a project by exact email or GitHub
// handle, learning only their uuid and name. For those who may add newcomers (authz/rules.ts
// mayAddToProject); administrators keep GET /api/v1/users and its search.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, onRequestHookHandler, preValidationHookHandler } from "fastify";
import { Type } from "typebox";
import { rateLimited } from "../auth/problems.ts";
import { requirePermission } from "../authz/guards.ts";
import { mayAddToProject } from "../authz/rules.ts";
import { conflict, invalidField, notFound } from "../http/problem.ts";
import { BEARER, CONFLICT, NOT_FOUND, PERMISSION_CHECKED, problems, QUERY_STRING, SIGNED_IN } from "../http/problem-schema.ts";
import type { Handler } from "../http/typed-route.ts";
import { userPrincipalOf } from "../authz/principal.ts";
import type { UserRepository } from "../users/repository.ts";
import { CallerLimiter } from "./caller-limiter.ts";

/** Lookups per caller per minute, per instance: enough to add a team by hand, too few to sweep a mailing list. */
export const LOOKUPS_PER_MINUTE = 20;

export interface LookupDeps {
  authenticate: onRequestHookHandler;
  loadPrincipal: preValidationHookHandler;
  users: UserRepository;
  perMinute?: number;
}

const LookupQuery = Type.Object(
  {
    email: Type.Optional(Type.String({ format: "email", maxLength: 254, description: "The exact email Cognito verified (any case)" })),
    github_handle: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$", maxLength: 39, description: "The exact GitHub handle of their profile (any case)" })),
    project: Type.Optional(Type.String({ format: "uuid", maxLength: 36, description: "The project the person is to be added to: its adminProject may look up; without it, the global admin types only" })),
  },
  { additionalProperties: false },
);

const PersonFound = Type.Object({
  uuid: Type.String({ format: "uuid" }),
  first_name: Type.Unsafe<string | null>({ type: ["string", "null"] }),
  last_name: Type.Unsafe<string | null>({ type: ["string", "null"] }),
});

const lookupSchema = {
  tags: ["users"],
  operationId: "lookUpPerson",
  summary: "Find the person to add to a project by exact email or GitHub handle: their uuid and name only (the global admin types, the project's adminProject; rate-limited per caller)",
  security: BEARER,
  querystring: LookupQuery,
  response: { 200: PersonFound, ...problems(SIGNED_IN, PERMISSION_CHECKED, QUERY_STRING, NOT_FOUND, CONFLICT) },
};

export async function lookupRoutes(fastify: FastifyInstance, deps: LookupDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const limiter = new CallerLimiter(deps.perMinute ?? LOOKUPS_PER_MINUTE);

  const lookup: Handler<typeof lookupSchema> = async (request) => {
    const principal = userPrincipalOf(request);
    const q = request.query;
    if ((q.email === undefined) === (q.github_handle === undefined)) throw invalidField(q.email === undefined ? "email" : "github_handle", "give exactly one of email or github_handle");
    requirePermission(
      mayAddToProject(principal.grants, q.project?.toLowerCase() ?? null),
      "Looking a person up needs a global admin type, or adminProject of the whole project named by ?project=.",
    );
    // Counted before the database is read: a refused lookup teaches nothing.
    const wait = limiter.take(principal.user.uuid);
    if (wait > 0) throw rateLimited(wait, `At most ${deps.perMinute ?? LOOKUPS_PER_MINUTE} lookups a minute; try again later.`);
    const found = await deps.users.findByLogin(q.email !== undefined ? { email: q.email } : { githubHandle: q.github_handle! });
    const what = q.email !== undefined ? "verified email" : "GitHub handle";
    if (found.length === 0) throw notFound(`No one who signed in has this ${what}: ask them to sign in first.`);
    if (found.length > 1) throw conflict(`More than one person has this ${what}: ask an administrator.`);
    const person = found[0]!;
    return { uuid: person.uuid, first_name: person.firstName, last_name: person.lastName };
  };

  app.get("/api/v1/people/lookup", { onRequest: deps.authenticate, preValidation: deps.loadPrincipal, schema: lookupSchema }, lookup);
}
