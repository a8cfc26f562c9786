// /api/v1/me and /api/v1/users. Every route authenticates in onRequest (before the body is read)
// and loads the actor in preValidation; permissions.ts decides who may do what before anything is
// read or written. The handlers are named below the route table.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from "fastify";
import { notFound } from "../http/problem.ts";
import type { Handler } from "../http/typed-route.ts";
import { AUTHENTICATED_ERRORS, BEARER, problems } from "../http/problem-schema.ts";
import { actorOf } from "./current-user.ts";
import { refusalFor } from "./fields.ts";
import { assertCanChangeActive, assertCanDelete, assertCanSee, requireAdmin } from "./permissions.ts";
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
import type { ProfileChanges, UserRepository } from "./repository.ts";
import type { User } from "./schema.ts";

export interface UserRoutesDeps {
  /** The bearer-token check (auth/authenticate.ts). */
  authenticate: onRequestHookHandler;
  /** The caller's local user and rights (current-user.ts). */
  loadActor: preValidationHookHandler;
  repository: UserRepository;
  /** Written through on every change, so that this instance never serves a stale profile. */
  profiles: ProfileCache;
  publicUrl: string;
  /** Told of every administrative change: who, what, which user. */
  audit: (request: FastifyRequest, action: string, target: string, fields?: string[]) => void;
}

const tags = ["users"];
const meSchema = {
  tags: ["profile"], summary: "The caller's profile", security: BEARER, response: { 200: MeProfileSchema, ...problems(...AUTHENTICATED_ERRORS) },
};
const patchMeSchema = {
  tags: ["profile"], summary: "Update the caller's user-owned fields", security: BEARER, body: MeUpdateSchema,
  response: { 200: MeProfileSchema, ...problems(400, 415, ...AUTHENTICATED_ERRORS) },
};
const listSchema = {
  tags, summary: "List users (administrators)", security: BEARER, querystring: UsersQuerySchema,
  response: { 200: UserListSchema, ...problems(400, ...AUTHENTICATED_ERRORS) },
};
const getSchema = {
  tags, summary: "A user's profile (administrators, or the user themself)", security: BEARER, params: UuidParamsSchema,
  response: { 200: ProfileRef, ...problems(404, ...AUTHENTICATED_ERRORS) },
};
const patchSchema = {
  tags, summary: "Update a user (administrators: user-owned fields and is_active; the user: user-owned fields)", security: BEARER,
  params: UuidParamsSchema, body: UserUpdateSchema, response: { 200: ProfileRef, ...problems(400, 404, 415, ...AUTHENTICATED_ERRORS) },
};
const deleteSchema = {
  tags, summary: "Delete a user's local profile (administrators); a later valid token recreates it", security: BEARER, params: UuidParamsSchema,
  response: { 204: { type: "null", description: "Deleted" }, ...problems(404, ...AUTHENTICATED_ERRORS) },
};

export async function userRoutes(fastify: FastifyInstance, deps: UserRoutesDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const h = userHandlers(deps);
  const signedIn = { onRequest: deps.authenticate, preValidation: deps.loadActor };
  const meRefusal = { refusal: (field: string) => refusalFor(field, false) };
  const adminRefusal = { refusal: (field: string) => refusalFor(field, true) };
  app.get("/api/v1/me", { ...signedIn, schema: meSchema }, h.getMe);
  app.patch("/api/v1/me", { ...signedIn, config: meRefusal, schema: patchMeSchema }, h.patchMe);
  app.get("/api/v1/users", { ...signedIn, schema: listSchema }, h.listUsers);
  app.get("/api/v1/users/:uuid", { ...signedIn, schema: getSchema }, h.getUser);
  app.patch("/api/v1/users/:uuid", { ...signedIn, config: adminRefusal, schema: patchSchema }, h.patchUser);
  app.delete("/api/v1/users/:uuid", { ...signedIn, schema: deleteSchema }, h.deleteUser);
}

function userHandlers({ repository: repo, profiles, publicUrl, audit }: UserRoutesDeps) {
  const update = async (user: User, changes: ProfileChanges): Promise<User> => {
    if (Object.keys(changes).length === 0) return user;
    const updated = await repo.updateProfile(user.uuid, changes);
    if (!updated) throw notFound("No such user.");
    return profiles.remember(updated);
  };

  /** Someone else's record is invisible (404) to a member. */
  const findVisible = async (request: FastifyRequest, id: string): Promise<User> => {
    const actor = actorOf(request);
    assertCanSee(actor, id);
    const user = id === actor.user.uuid ? actor.user : await repo.findById(id);
    if (!user) throw notFound("No such user.");
    return user;
  };

  // The profile goes out as the JSON text profile.ts keeps with it, not through the response
  // serializer (so the reply is taken untyped); openapi.test.ts checks that text against the schema.
  const getMe: Handler<typeof meSchema> = (request, reply) => {
    (reply as FastifyReply).type("application/json; charset=utf-8").send(meProfileJson(toMeProfile(actorOf(request))));
  };

  const patchMe: Handler<typeof patchMeSchema> = async (request) => {
    const actor = actorOf(request);
    const user = await update(actor.user, toChanges(request.body));
    return toMeProfile({ ...actor, user });
  };

  const listUsers: Handler<typeof listSchema> = async (request) => {
      requireAdmin(actorOf(request));
      const q = request.query;
      const page = q.page ?? 1;
      const pageSize = q.page_size ?? DEFAULT_PAGE_SIZE;
      const filter = {
        ...(q.email !== undefined ? { email: q.email } : {}),
        ...(q.username !== undefined ? { username: q.username } : {}),
        ...(q.is_active !== undefined ? { isActive: q.is_active } : {}),
        ...(q.search ? { search: q.search } : {}),
      };
      const { count, countIsEstimate, more, rows } = await repo.list(filter, q.ordering ?? DEFAULT_ORDERING, pageSize, (page - 1) * pageSize);
      const pageUrl = (to: number) => {
        const url = new URL(`${publicUrl}/api/v1/users`);
        for (const [key, value] of Object.entries(q)) if (value !== undefined && key !== "page") url.searchParams.set(key, String(value));
        url.searchParams.set("page", String(to));
        return url.toString();
      };
      return {
        count,
        count_is_estimate: countIsEstimate,
        next: more ? pageUrl(page + 1) : null,
        previous: page > 1 ? pageUrl(Math.min(page - 1, Math.max(1, Math.ceil(count / pageSize)))) : null,
        results: rows.map(toProfile),
      };
  };

  const getUser: Handler<typeof getSchema> = async (request) => toProfile(await findVisible(request, request.params.uuid));

  const patchUser: Handler<typeof patchSchema> = async (request) => {
      const actor = actorOf(request);
      const target = await findVisible(request, request.params.uuid);
      if ("is_active" in request.body) assertCanChangeActive(actor);
      const updated = await update(target, toChanges(request.body));
      if (actor.isAdmin && target.uuid !== actor.user.uuid) audit(request, "user.update", target.uuid, Object.keys(request.body));
      return toProfile(updated);
  };

  const deleteUser: Handler<typeof deleteSchema> = async (request, reply) => {
      const id = request.params.uuid;
      assertCanDelete(actorOf(request), id);
      const sub = await repo.delete(id);
      if (!sub) throw notFound("No such user.");
      profiles.forget(sub);
      audit(request, "user.delete", id);
      return reply.code(204).send();
  };

  return { getMe, patchMe, listUsers, getUser, patchUser, deleteUser };
}
