// /api/v1/projects and /api/v1/practice-areas. Projects are public to every signed-in person;
// authz/rules.ts decides who may create, edit, delete and see members.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from "fastify";
import { Type } from "typebox";
import type { GrantCache } from "../authz/grant-cache.ts";
import { requirePermission } from "../authz/guards.ts";
import { relationship } from "../authz/relationship.ts";
import { mayCreatePracticeAreas, mayCreateProjects, mayDeleteProjects, mayEditProject, maySeeMembers } from "../authz/rules.ts";
import { conflict, notFound } from "../http/problem.ts";
import { BEARER, CONFLICT, JSON_BODY, NOT_FOUND, PERMISSION_CHECKED, problems, QUERY_STRING, SIGNED_IN } from "../http/problem-schema.ts";
import type { Handler } from "../http/typed-route.ts";
import type { PermissionRepository } from "../permissions/repository.ts";
import type { PracticeArea } from "../permissions/tables.ts";
import type { Project } from "./tables.ts";
import type { Grant } from "../authz/grants.ts";
import { principalName, principalOf, serviceReadRelationship, type Principal } from "../authz/principal.ts";
import { toPermission, toProfile } from "../users/profile.ts";
import { PermissionSchema, ProfileRef, UuidParamsSchema } from "../users/profile-schema.ts";
import type { UserRepository } from "../users/repository.ts";
import type { ProjectChanges, ProjectRepository } from "./repository.ts";
import { PracticeAreaCreateSchema, PracticeAreaSchema, ProjectCreateSchema, ProjectSchema, ProjectsQuerySchema, ProjectUpdateSchema, type ProjectUpdate, type PracticeAreaJson, type ProjectJson } from "./http-schemas.ts";

export interface ProjectRoutesDeps {
  authenticate: onRequestHookHandler;
  loadPrincipal: preValidationHookHandler;
  projects: ProjectRepository;
  permissions: PermissionRepository;
  users: UserRepository;
  grants: GrantCache;
  audit: (request: FastifyRequest, action: string, target: string, details?: Record<string, unknown>) => void;
}

const tags = ["projects"];
const MemberSchema = Type.Object({ user: ProfileRef, permissions: Type.Array(PermissionSchema, { description: "The member's permissions in this project" }) });
const listSchema = { tags, operationId: "listProjects", summary: "Every project (or the one imported from VRMS with ?vrms_id=)", security: BEARER, querystring: ProjectsQuerySchema, response: { 200: Type.Array(ProjectSchema), ...problems(SIGNED_IN, QUERY_STRING) } };
const createSchema = {
  tags, operationId: "createProject", summary: "Create a project (adminGlobal)", security: BEARER, body: ProjectCreateSchema,
  response: { 201: ProjectSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, JSON_BODY, CONFLICT) },
};
const getSchema = {
  tags, operationId: "getProject", summary: "A project", security: BEARER, params: UuidParamsSchema,
  response: { 200: ProjectSchema, ...problems(SIGNED_IN, NOT_FOUND) },
};
const patchSchema = {
  tags, operationId: "updateProject", summary: "Edit a project (adminGlobal, or an adminProject of it)", security: BEARER, params: UuidParamsSchema, body: ProjectUpdateSchema,
  response: { 200: ProjectSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, JSON_BODY, NOT_FOUND, CONFLICT) },
};
const deleteSchema = {
  tags, operationId: "deleteProject", summary: "Delete a project and every grant in it (adminGlobal)", security: BEARER, params: UuidParamsSchema,
  response: { 204: { type: "null", description: "Deleted" }, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND) },
};
const membersSchema = {
  tags, operationId: "listProjectMembers", summary: "Users holding any permission in the project, with their permissions there (its members, its leads, global administrators)", security: BEARER,
  params: UuidParamsSchema, response: { 200: Type.Array(MemberSchema), ...problems(SIGNED_IN, NOT_FOUND) },
};
const areasSchema = {
  tags, operationId: "listPracticeAreas", summary: "Every practice area", security: BEARER,
  response: { 200: Type.Array(PracticeAreaSchema), ...problems(SIGNED_IN) },
};
const createAreaSchema = {
  tags, operationId: "createPracticeArea", summary: "Create a practice area (adminGlobal)", security: BEARER, body: PracticeAreaCreateSchema,
  response: { 201: PracticeAreaSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, JSON_BODY, CONFLICT) },
};

export function toProjectJson(p: Project): ProjectJson {
  return {
    uuid: p.uuid,
    name: p.name,
    description: p.description,
    github_url: p.githubUrl,
    slack_url: p.slackUrl,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

function projectChanges(body: ProjectUpdate): ProjectChanges {
  return {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.github_url !== undefined ? { githubUrl: body.github_url } : {}),
    ...(body.slack_url !== undefined ? { slackUrl: body.slack_url } : {}),
  };
}

function toPracticeAreaJson(a: PracticeArea): PracticeAreaJson {
  return { uuid: a.uuid, name: a.name, created_at: a.createdAt.toISOString() };
}

export async function projectRoutes(fastify: FastifyInstance, deps: ProjectRoutesDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const h = projectHandlers(deps);
  const signedIn = { onRequest: deps.authenticate, preValidation: deps.loadPrincipal };
  const read = { ...signedIn, config: { service: "permissions.read" as const } };
  const write = { ...signedIn, config: { service: "permissions.write" as const } };
  app.get("/api/v1/projects", { ...read, schema: listSchema }, h.list);
  app.post("/api/v1/projects", { ...write, schema: createSchema }, h.create);
  app.get("/api/v1/projects/:uuid", { ...read, schema: getSchema }, h.get);
  app.patch("/api/v1/projects/:uuid", { ...write, schema: patchSchema }, h.patch);
  app.delete("/api/v1/projects/:uuid", { ...write, schema: deleteSchema }, h.remove);
  app.get("/api/v1/projects/:uuid/members", { ...read, schema: membersSchema }, h.members);
  app.get("/api/v1/practice-areas", { ...read, schema: areasSchema }, h.practiceAreas);
  app.post("/api/v1/practice-areas", { ...write, schema: createAreaSchema }, h.createPracticeArea);
}

/**
 * A person's right, by their grants; a service has passed its route's scope check (permissions.write),
 * which is all a service is judged by.
 */
function allowed(request: FastifyRequest, rule: (grants: readonly Grant[]) => boolean, detail: string): Principal {
  const principal = principalOf(request);
  if (principal.kind === "user") requirePermission(rule(principal.grants), detail);
  return principal;
}

function projectHandlers({ projects, permissions, users, grants, audit }: ProjectRoutesDeps) {
  const found = async (uuid: string): Promise<Project> => {
    const project = await projects.find(uuid);
    if (!project) throw notFound("No such project.");
    return project;
  };

  const list: Handler<typeof listSchema> = async (request) =>
    (await projects.list(request.query.vrms_id !== undefined ? { vrmsId: request.query.vrms_id } : {})).map(toProjectJson);

  const create: Handler<typeof createSchema> = async (request, reply) => {
    const principal = allowed(request, mayCreateProjects, "Only a global administrator may create projects.");
    const created = await projects.create(
      {
        name: request.body.name,
        description: request.body.description ?? null,
        githubUrl: request.body.github_url ?? null,
        slackUrl: request.body.slack_url ?? null,
      },
      principalName(principal),
    );
    if (!created.ok) throw conflict(`A project named ${JSON.stringify(request.body.name)} exists.`);
    audit(request, "project.create", created.row.uuid);
    return reply.code(201).send(toProjectJson(created.row));
  };

  const get: Handler<typeof getSchema> = async (request) => toProjectJson(await found(request.params.uuid));

  const patch: Handler<typeof patchSchema> = async (request) => {
    const project = await found(request.params.uuid);
    const principal = allowed(request, (held) => mayEditProject(held, project.uuid), "Only a global administrator or this project's adminProject may edit it.");
    if (Object.keys(request.body).length === 0) return toProjectJson(project);
    const updated = await projects.update(project.uuid, projectChanges(request.body), principalName(principal));
    if (!updated.ok) throw conflict(`A project named ${JSON.stringify(request.body.name)} exists.`);
    if (!updated.row) throw notFound("No such project.");
    audit(request, "project.update", project.uuid, { fields: Object.keys(request.body) });
    return toProjectJson(updated.row);
  };

  const remove: Handler<typeof deleteSchema> = async (request, reply) => {
    const project = await found(request.params.uuid);
    const principal = allowed(request, mayDeleteProjects, "Only a global administrator may delete projects.");
    const { deleted, members } = await projects.delete(project.uuid, principalName(principal));
    if (!deleted) throw notFound("No such project.");
    for (const member of members) grants.forget(member);
    audit(request, "project.delete", project.uuid, { revoked_members: members.length });
    return reply.code(204).send();
  };

  const members: Handler<typeof membersSchema> = async (request) => {
    const project = await found(request.params.uuid);
    const principal = allowed(request, (held) => maySeeMembers(held, project.uuid), "Only the project's members and global administrators may see its members.");
    const rows = await permissions.grantsInProject(project.uuid);
    const ids = rows.map((r) => r.user);
    const [profiles, allGrants] = await Promise.all([users.findByIds(ids), permissions.grantsOfMany(ids)]);
    const byId = new Map(profiles.map((u) => [u.uuid, u]));
    const relationshipTo = (user: string, held: readonly Grant[]) =>
      principal.kind === "service"
        ? serviceReadRelationship(principal)
        : relationship({ uuid: principal.user.uuid, grants: principal.grants }, { uuid: user, grants: held });
    return rows.flatMap(({ user, grants: here }) => {
      const profile = byId.get(user);
      if (!profile) return [];
      const rel = relationshipTo(user, allGrants.get(user) ?? here);
      return [{ user: toProfile(profile, rel), permissions: here.map(toPermission) }];
    });
  };

  const practiceAreas: Handler<typeof areasSchema> = async () => (await projects.practiceAreas()).map(toPracticeAreaJson);

  const createPracticeArea: Handler<typeof createAreaSchema> = async (request, reply) => {
    allowed(request, mayCreatePracticeAreas, "Only a global administrator may create practice areas.");
    const created = await projects.createPracticeArea(request.body.name);
    if (!created.ok) throw conflict(`A practice area named ${JSON.stringify(request.body.name)} exists.`);
    audit(request, "practice_area.create", created.row.uuid);
    return reply.code(201).send(toPracticeAreaJson(created.row));
  };

  return { list, create, get, patch, remove, members, practiceAreas, createPracticeArea };
}
