// /api/v1/me and /api/v1/users. Every route authenticates in onRequest (before the body is read)
// and loads the principal in preValidation; authz/ decides who may do what before anything is written,
// and which fields of a user the caller sees. The handlers are named below the route table.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from "fastify";
import { notFound } from "../http/problem.ts";
import type { Handler } from "../http/typed-route.ts";
import { BEARER, CONFLICT, JSON_BODY, NOT_FOUND, QUERY_STRING, PERMISSION_CHECKED, problems, SIGNED_IN } from "../http/problem-schema.ts";
import { insufficientScope } from "../auth/problems.ts";
import type { GrantCache } from "../authz/grant-cache.ts";
import { requirePermission, requireVisibleUser, requireWritable } from "../authz/guards.ts";
import { relationship, type Relationship } from "../authz/relationship.ts";
import { principalName, principalOf, serviceReadRelationship, serviceWriteRelationship, userPrincipalOf } from "../authz/principal.ts";
import { mayDeleteUsers, userListScope, type UserListScope } from "../authz/rules.ts";
import { pageLinks, requireShallowPage } from "../http/pagination.ts";
import { refusingLastAdmin } from "./last-admin.ts";
import { refusalFor } from "./fields.ts";
import { meProfileJson, toChanges, toMeProfile, toProfile } from "./profile.ts";
import {
  DEFAULT_ORDERING,
  DEFAULT_PAGE_SIZE,
  MeProfileSchema,
  MeUpdateSchema,
  ProfileRef,
  UserListSchema,
  UsersQuerySchema,
  UserUpdateSchema,
  UuidParamsSchema,
} from "./profile-schema.ts";
import type { ProfileCache } from "./profile-cache.ts";
import { EXACT_COUNT_UP_TO, type ProfileChanges, type UserRepository } from "./repository.ts";
import type { User } from "./tables.ts";

export interface UserRoutesDeps {
  /** The bearer-token check (auth/authenticate.ts). */
  authenticate: onRequestHookHandler;
  /** Who is calling: a person's local user and rights, or a service (load-principal.ts). */
  loadPrincipal: preValidationHookHandler;
  repository: UserRepository;
  /** Written through on every change, so that this instance never serves a stale profile. */
  profiles: ProfileCache;
  /** Forgotten for a deleted user, so that a recreated profile starts with none. */
  grants: GrantCache;
  publicUrl: string;
  /** Told of every administrative change: who, what, which user. */
  audit: (request: FastifyRequest, action: string, target: string, details?: Record<string, unknown>) => void;
}

const tags = ["users"];
const meSchema = {
  tags: ["profile"], operationId: "getMe", summary: "The caller's profile", security: BEARER, response: { 200: MeProfileSchema, ...problems(SIGNED_IN) },
};
const patchMeSchema = {
  tags: ["profile"], operationId: "updateMe", summary: "Update the caller's user-owned fields", security: BEARER, body: MeUpdateSchema,
  response: { 200: MeProfileSchema, ...problems(SIGNED_IN, JSON_BODY) },
};
const listSchema = {
  tags, operationId: "listUsers", summary: "List users (global administrators: everyone; project leads: their projects' members)", security: BEARER, querystring: UsersQuerySchema,
  response: { 200: UserListSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, QUERY_STRING) },
};
const getSchema = {
  tags, operationId: "getUser", summary: "A user's profile, with the fields the caller may read (404 for a user the caller may not see)", security: BEARER, params: UuidParamsSchema,
  response: { 200: ProfileRef, ...problems(SIGNED_IN, NOT_FOUND) },
};
const patchSchema = {
  tags, operationId: "updateUser", summary: "Update a user: the fields the caller may change (GET /api/v1/field-permissions); any other → 400", security: BEARER,
  params: UuidParamsSchema, body: UserUpdateSchema, response: { 200: ProfileRef, ...problems(SIGNED_IN, JSON_BODY, NOT_FOUND, CONFLICT) },
};
const deleteSchema = {
  tags, operationId: "deleteUser", summary: "Delete a user's local profile and grants (global administrators); a later valid token recreates it", security: BEARER, params: UuidParamsSchema,
  response: { 204: { type: "null", description: "Deleted" }, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND, CONFLICT) },
};

export async function userRoutes(fastify: FastifyInstance, deps: UserRoutesDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const h = userHandlers(deps);
  const signedIn = { onRequest: deps.authenticate, preValidation: deps.loadPrincipal };
  const meRefusal = { refusal: (field: string) => refusalFor(field, false) };
  const adminRefusal = { refusal: (field: string) => refusalFor(field, true) };
  app.get("/api/v1/me", { ...signedIn, schema: meSchema }, h.getMe);
  app.patch("/api/v1/me", { ...signedIn, config: meRefusal, schema: patchMeSchema }, h.patchMe);
  app.get("/api/v1/users", { ...signedIn, config: { service: "users.read" }, schema: listSchema }, h.listUsers);
  app.get("/api/v1/users/:uuid", { ...signedIn, config: { service: "users.read" }, schema: getSchema }, h.getUser);
  app.patch("/api/v1/users/:uuid", { ...signedIn, config: { ...adminRefusal, service: "users.write" }, schema: patchSchema }, h.patchUser);
  app.delete("/api/v1/users/:uuid", { ...signedIn, schema: deleteSchema }, h.deleteUser);
}

function userHandlers({ repository: repo, profiles, grants, publicUrl, audit }: UserRoutesDeps) {
  const update = async (request: FastifyRequest, user: User, changes: ProfileChanges): Promise<User> => {
    if (Object.keys(changes).length === 0) return user;
    const updated = await repo.updateProfile(user.uuid, changes, principalName(principalOf(request)));
    if (!updated) throw notFound("No such user.");
    return profiles.remember(updated);
  };

  /**
   * The user and what the caller is to them when reading (`rel`) and writing (`writes`): the same
   * for a person; a service's come from its scopes. A user the caller may not see is a 404.
   */
  const findVisible = async (request: FastifyRequest, id: string): Promise<{ target: User; rel: Relationship; writes: Relationship }> => {
    const principal = principalOf(request);
    if (principal.kind === "service") {
      const target = await repo.findById(id);
      if (!target) throw notFound("No such user.");
      return { target, rel: serviceReadRelationship(principal), writes: serviceWriteRelationship(principal) };
    }
    const target = id === principal.user.uuid ? principal.user : await repo.findById(id);
    if (!target) throw notFound("No such user.");
    const targetGrants = target === principal.user ? principal.grants : await grants.grantsOf(target.uuid);
    const rel = relationship({ uuid: principal.user.uuid, grants: principal.grants }, { uuid: target.uuid, grants: targetGrants });
    requireVisibleUser(rel);
    return { target, rel, writes: rel };
  };

  // The profile goes out as the JSON text profile.ts keeps with it, not through the response
  // serializer (so the reply is taken untyped); openapi.test.ts checks that text against the schema.
  const getMe: Handler<typeof meSchema> = (request, reply) => {
    (reply as FastifyReply).type("application/json; charset=utf-8").send(meProfileJson(toMeProfile(userPrincipalOf(request))));
  };

  const patchMe: Handler<typeof patchMeSchema> = async (request) => {
    const principal = userPrincipalOf(request);
    requireWritable("self", Object.keys(request.body));
    const user = await update(request, principal.user, toChanges(request.body));
    return toMeProfile({ ...principal, user });
  };

  /** Whom the caller may list (all, or the members of some projects), and how each row looks to them. */
  const listView = (request: FastifyRequest): { scope: UserListScope; view: (user: User) => Relationship } => {
    const principal = principalOf(request);
    if (principal.kind === "service") {
      const rel = serviceReadRelationship(principal);
      return { scope: { all: true }, view: () => rel };
    }
    const scope = userListScope(principal.grants);
    requirePermission(scope !== undefined, "Listing users needs adminGlobal, or a lead permission in a project (then its members are listed).");
    // Everyone listed is someone the caller leads (the scope), or the caller.
    const lead: Relationship = principal.isAdmin ? "adminGlobal" : "projectLead";
    const self = principal.user.uuid;
    return { scope: scope!, view: (user) => (user.uuid === self && !principal.isAdmin ? "self" : lead) };
  };

  const listUsers: Handler<typeof listSchema> = async (request) => {
    const { scope, view } = listView(request);
    const q = request.query;
    const led = scope.all ? undefined : scope.scopes.filter((s) => q.project === undefined || s.project === q.project);
    if (led?.length === 0) throw insufficientScope("You may list the members of the projects you lead only.");
    const page = { page: q.page ?? 1, pageSize: q.page_size ?? DEFAULT_PAGE_SIZE };
    const inScopes = led ?? (q.project !== undefined ? [{ project: q.project, practiceArea: null }] : undefined);
    const filter = {
      ...(q.email !== undefined ? { email: q.email } : {}),
      ...(q.username !== undefined ? { username: q.username } : {}),
      ...(q.cognito_sub !== undefined ? { cognitoSub: q.cognito_sub } : {}),
      ...(q.vrms_id !== undefined ? { vrmsId: q.vrms_id } : {}),
      ...(q.is_active !== undefined ? { isActive: q.is_active } : {}),
      ...(q.search ? { search: q.search } : {}),
      ...(inScopes ? { inScopes } : {}),
    };
    // A filter or search reads every match before the page (a short search, every row): its pages
    // end where its count stops being exact, so a list whose count is exact can be read to its
    // end. The whole list walks an ordering's index and is served at any depth.
    if (Object.keys(filter).length > 0) requireShallowPage(page, EXACT_COUNT_UP_TO, "narrow the search or filter (count_is_estimate is true when more match)");
    const { count, countIsEstimate, more, rows } = await repo.list(filter, q.ordering ?? DEFAULT_ORDERING, page.pageSize, (page.page - 1) * page.pageSize);
    return {
      count,
      count_is_estimate: countIsEstimate,
      ...pageLinks(publicUrl, "/api/v1/users", q, page, count, more),
      results: rows.map((user) => toProfile(user, view(user))),
    };
  };

  const getUser: Handler<typeof getSchema> = async (request) => {
    const { target, rel } = await findVisible(request, request.params.uuid);
    return toProfile(target, rel);
  };

  const patchUser: Handler<typeof patchSchema> = async (request) => {
    const { target, rel, writes } = await findVisible(request, request.params.uuid);
    requireWritable(writes, Object.keys(request.body));
    const updated = await refusingLastAdmin("Deactivating this person", () => update(request, target, toChanges(request.body)));
    if (rel !== "self" || principalOf(request).kind === "service") audit(request, "user.update", target.uuid, { fields: Object.keys(request.body) });
    return toProfile(updated, rel);
  };

  const deleteUser: Handler<typeof deleteSchema> = async (request, reply) => {
    const principal = userPrincipalOf(request);
    const { target } = await findVisible(request, request.params.uuid);
    requirePermission(mayDeleteUsers(principal.grants), "Only a global administrator may delete a user.");
    const sub = await refusingLastAdmin("Deleting this person", () => repo.delete(target.uuid, principal.user.uuid));
    if (!sub) throw notFound("No such user.");
    profiles.forget(sub);
    grants.forget(target.uuid);
    audit(request, "user.delete", target.uuid);
    return reply.code(204).send();
  };

  return { getMe, patchMe, listUsers, getUser, patchUser, deleteUser };
}
