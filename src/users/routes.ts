// /api/v1/me and /api/v1/users. Authentication and the current user come from preHandlers;
// permissions.ts decides who may do what before anything is read or written.
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from "fastify";
import type { ErrorObject } from "ajv";
import { caller } from "../auth/plugin.ts";
import { notFound, validationFailed } from "../http/problem.ts";
import { AUTHENTICATED_ERRORS, problems } from "../http/problem-schema.ts";
import { fieldErrors } from "../http/validation.ts";
import { currentUser, loadCurrentUser } from "./current-user.ts";
import { refusalFor } from "./fields.ts";
import { assertCanChangeActive, assertCanDelete, assertCanSee, requireAdmin, type Actor } from "./permissions.ts";
import { meProfileJson, toChanges, toMeProfile, toProfile } from "./profile.ts";
import {
  MeProfileSchema,
  MeUpdateSchema,
  ProfileRef,
  UserListSchema,
  UsersQuerySchema,
  UserUpdateSchema,
  UuidParamsSchema,
} from "./profile-schema.ts";
import type { ProfileCache } from "./profile-cache.ts";
import type { UserProvisioning } from "./provisioning.ts";
import type { Ordering, ProfileChanges, UserRepository } from "./repository.ts";
import type { User } from "./schema.ts";

export interface UserRoutesDeps {
  /** The bearer-token check (auth/plugin.ts). */
  authenticate: preHandlerHookHandler;
  provisioning: UserProvisioning;
  repository: UserRepository;
  /** Written through on every change, so that this instance never serves a stale profile. */
  profiles: ProfileCache;
  adminGroup: string;
  publicUrl: string;
  /** Told of every administrative change: who, what, which user. */
  audit: (request: FastifyRequest, action: string, target: string, fields?: string[]) => void;
}

const security = [{ bearerAuth: [] }];

interface UuidParams {
  uuid: string;
}

interface UsersQuery {
  page: number;
  page_size: number;
  email?: string;
  username?: string;
  is_active?: boolean;
  search?: string;
  ordering: Ordering;
}

export async function userRoutes(app: FastifyInstance, deps: UserRoutesDeps): Promise<void> {
  const signedIn = [deps.authenticate, loadCurrentUser(deps.provisioning)];
  const repo = deps.repository;
  const update = async (user: User, changes: ProfileChanges): Promise<User> => {
    if (Object.keys(changes).length === 0) return user;
    const updated = await repo.updateProfile(user.uuid, changes);
    if (!updated) throw notFound("No such user.");
    return deps.profiles.remember(updated);
  };

  const actorOf = (request: FastifyRequest): Actor => ({
    user: currentUser(request),
    isAdmin: caller(request).token.groups.includes(deps.adminGroup),
  });

  /** Validation runs after authentication (attachValidation), so anonymous callers get 401 first. */
  const rejectInvalidBody = (request: FastifyRequest, adminRoute: boolean): void => {
    if (!request.validationError) return;
    const errors = (request.validationError as { validation?: ErrorObject[] }).validation ?? [];
    throw validationFailed(fieldErrors(errors, (field) => refusalFor(field, adminRoute)));
  };

  const findVisible = async (actor: Actor, id: string) => {
    assertCanSee(actor, id);
    const user = id === actor.user.uuid ? actor.user : await repo.findById(id);
    if (!user) throw notFound("No such user.");
    return user;
  };

  app.get(
    "/api/v1/me",
    {
      preHandler: signedIn,
      schema: { tags: ["profile"], summary: "The caller's profile", security, response: { 200: MeProfileSchema, ...problems(...AUTHENTICATED_ERRORS) } },
    },
    async (request, reply) => {
      const me = toMeProfile(currentUser(request), caller(request).token.groups, deps.adminGroup);
      return reply.type("application/json; charset=utf-8").send(meProfileJson(me));
    },
  );

  app.patch(
    "/api/v1/me",
    {
      preHandler: signedIn,
      attachValidation: true,
      schema: {
        tags: ["profile"],
        summary: "Update the caller's user-owned fields",
        security,
        body: MeUpdateSchema,
        response: { 200: MeProfileSchema, ...problems(400, 415, ...AUTHENTICATED_ERRORS) },
      },
    },
    async (request) => {
      rejectInvalidBody(request, false);
      const user = currentUser(request);
      const changes = toChanges(request.body as Record<string, unknown>);
      return toMeProfile(await update(user, changes), caller(request).token.groups, deps.adminGroup);
    },
  );

  app.get(
    "/api/v1/users",
    {
      preHandler: signedIn,
      schema: {
        tags: ["users"],
        summary: "List users (administrators)",
        security,
        querystring: UsersQuerySchema,
        response: { 200: UserListSchema, ...problems(400, ...AUTHENTICATED_ERRORS) },
      },
    },
    async (request) => {
      requireAdmin(actorOf(request));
      const q = request.query as UsersQuery;
      const filter = {
        ...(q.email !== undefined ? { email: q.email } : {}),
        ...(q.username !== undefined ? { username: q.username } : {}),
        ...(q.is_active !== undefined ? { isActive: q.is_active } : {}),
        ...(q.search ? { search: q.search } : {}),
      };
      const { count, rows } = await repo.list(filter, q.ordering, q.page_size, (q.page - 1) * q.page_size);
      const pageUrl = (page: number) => {
        const url = new URL(`${deps.publicUrl}/api/v1/users`);
        for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
          if (value !== undefined && key !== "page") url.searchParams.set(key, String(value));
        }
        url.searchParams.set("page", String(page));
        return url.toString();
      };
      return {
        count,
        next: q.page * q.page_size < count ? pageUrl(q.page + 1) : null,
        previous: q.page > 1 ? pageUrl(Math.min(q.page - 1, Math.max(1, Math.ceil(count / q.page_size)))) : null,
        results: rows.map(toProfile),
      };
    },
  );

  app.get(
    "/api/v1/users/:uuid",
    {
      preHandler: signedIn,
      schema: {
        tags: ["users"],
        summary: "A user's profile (administrators, or the user themself)",
        security,
        params: UuidParamsSchema,
        response: { 200: ProfileRef, ...problems(404, ...AUTHENTICATED_ERRORS) },
      },
    },
    async (request) => toProfile(await findVisible(actorOf(request), (request.params as UuidParams).uuid)),
  );

  app.patch(
    "/api/v1/users/:uuid",
    {
      preHandler: signedIn,
      attachValidation: true,
      schema: {
        tags: ["users"],
        summary: "Update a user (administrators: user-owned fields and is_active; the user: user-owned fields)",
        security,
        params: UuidParamsSchema,
        body: UserUpdateSchema,
        response: { 200: ProfileRef, ...problems(400, 404, 415, ...AUTHENTICATED_ERRORS) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const target = await findVisible(actor, (request.params as UuidParams).uuid);
      rejectInvalidBody(request, true);
      const body = request.body as Record<string, unknown>;
      if ("is_active" in body) assertCanChangeActive(actor);
      const changes = toChanges(body);
      const updated = await update(target, changes);
      if (actor.isAdmin && target.uuid !== actor.user.uuid) deps.audit(request, "user.update", target.uuid, Object.keys(body));
      return toProfile(updated);
    },
  );

  app.delete(
    "/api/v1/users/:uuid",
    {
      preHandler: signedIn,
      schema: {
        tags: ["users"],
        summary: "Delete a user's local profile (administrators); a later valid token recreates it",
        security,
        params: UuidParamsSchema,
        response: { 204: { type: "null", description: "Deleted" }, ...problems(404, ...AUTHENTICATED_ERRORS) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const id = (request.params as UuidParams).uuid;
      assertCanDelete(actor, id);
      const sub = await repo.delete(id);
      if (!sub) throw notFound("No such user.");
      deps.profiles.forget(sub);
      deps.audit(request, "user.delete", id);
      return reply.code(204).send();
    },
  );
}
