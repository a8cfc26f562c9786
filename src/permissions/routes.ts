// /api/v1/permission-types, /api/v1/field-permissions and /api/v1/user-permissions: what can be
// held, who sees which profile field, and who holds what. authz/rules.ts decides who may grant.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from "fastify";
import { Type } from "typebox";
import { FIELD_PERMISSIONS } from "../authz/field-permissions.ts";
import type { GrantCache } from "../authz/grant-cache.ts";
import { requirePermission } from "../authz/guards.ts";
import { inScope, leadsEveryone, ledScopes, RELATIONSHIPS } from "../authz/relationship.ts";
import type { Grant } from "../authz/grants.ts";
import { grantAuthority, grantVisibility, holding, namingFor, revokeAuthority } from "../authz/rules.ts";
import { toPermission } from "../users/profile.ts";
import { refusingLastAdmin } from "../users/last-admin.ts";
import { pageLinks } from "../http/pagination.ts";
import { conflict, invalidField, notFound } from "../http/problem.ts";
import { BEARER, CONFLICT, JSON_BODY, NOT_FOUND, QUERY_STRING, PERMISSION_CHECKED, problems, SIGNED_IN } from "../http/problem-schema.ts";
import type { Handler } from "../http/typed-route.ts";
import type { ProjectRepository } from "../projects/repository.ts";
import { principalName, principalOf, SERVICE_GRANTOR, type Principal } from "../authz/principal.ts";
import { UuidParamsSchema } from "../users/profile-schema.ts";
import type { UserRepository } from "../users/repository.ts";
import type { User } from "../users/tables.ts";
import type { GrantFilter, PermissionRepository } from "./repository.ts";
import type { UserPermission } from "./tables.ts";
import {
  CheckAnswerSchema,
  CheckBodySchema,
  FieldPermissionsSchema,
  GrantCreateSchema,
  GrantListSchema,
  GrantSchema,
  GrantsQuerySchema,
  HistoryListSchema,
  PermissionTypeSchema,
  type GrantCreate,
  type GrantJson,
} from "./http-schemas.ts";
import { PERMISSION_TYPES, permissionType, type PermissionTypeName } from "../authz/permission-types.ts";

export interface PermissionRoutesDeps {
  authenticate: onRequestHookHandler;
  loadPrincipal: preValidationHookHandler;
  permissions: PermissionRepository;
  projects: ProjectRepository;
  users: UserRepository;
  /** Forgotten on every change on this instance, so that the next request sees it. */
  grants: GrantCache;
  publicUrl: string;
  audit: (request: FastifyRequest, action: string, target: string, details?: Record<string, unknown>) => void;
}

const tags = ["permissions"];
const typesSchema = {
  tags, operationId: "listPermissionTypes", summary: "The permission types, ranked (lower rank is more power)", security: BEARER,
  response: { 200: Type.Array(PermissionTypeSchema), ...problems(SIGNED_IN) },
};
const fieldsSchema = {
  tags, operationId: "getFieldPermissions", summary: "Who may read and change each profile field, by relationship to the user", security: BEARER,
  response: { 200: FieldPermissionsSchema, ...problems(SIGNED_IN) },
};
const listSchema = {
  tags, operationId: "listGrants", summary: "Grants the caller may see: their own, those in projects they lead; global administrators all", security: BEARER,
  querystring: GrantsQuerySchema, response: { 200: GrantListSchema, ...problems(SIGNED_IN, QUERY_STRING) },
};
const historySchema = {
  tags, operationId: "listPermissionHistory", summary: "Every grant and revocation, newest first (append-only), under the same visibility as grants", security: BEARER,
  querystring: GrantsQuerySchema, response: { 200: HistoryListSchema, ...problems(SIGNED_IN, QUERY_STRING) },
};
const checkSchema = {
  tags, operationId: "checkPermission", summary: "Whether a user may do what a permission type lets its holder do (in a project), by the routes' own rules: the question other apps ask", security: BEARER,
  body: CheckBodySchema, response: { 200: CheckAnswerSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, JSON_BODY, NOT_FOUND) },
};
const createSchema = {
  tags, operationId: "createGrant", summary: "Grant a permission: only a type of strictly lower power than the caller's own, within its scope, to the person named by uuid, email or GitHub handle", security: BEARER,
  body: GrantCreateSchema, response: { 201: GrantSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, JSON_BODY, CONFLICT) },
};
const deleteSchema = {
  tags, operationId: "revokeGrant", summary: "Revoke a grant (by the same rule as granting it)", security: BEARER, params: UuidParamsSchema,
  response: { 204: { type: "null", description: "Revoked" }, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND, CONFLICT) },
};

export function toGrantJson(row: UserPermission): GrantJson {
  return {
    uuid: row.uuid,
    user: row.userUuid,
    permission_type: row.permissionType,
    project: row.projectUuid,
    practice_area: row.practiceAreaUuid,
    granted_by: row.grantedBy,
    created_at: row.createdAt.toISOString(),
  };
}

const FIELD_TABLE = {
  relationships: [...RELATIONSHIPS],
  fields: Object.entries(FIELD_PERMISSIONS).map(([field, rule]) => ({ field, read: rule.read, write: rule.write })),
};

export async function permissionRoutes(fastify: FastifyInstance, deps: PermissionRoutesDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const h = permissionHandlers(deps);
  const signedIn = { onRequest: deps.authenticate, preValidation: deps.loadPrincipal };
  const read = { ...signedIn, config: { service: "permissions.read" as const } };
  const write = { ...signedIn, config: { service: "permissions.write" as const } };
  app.get("/api/v1/permission-types", { ...read, schema: typesSchema }, async () => [...PERMISSION_TYPES]);
  app.get("/api/v1/field-permissions", { ...read, schema: fieldsSchema }, async () => FIELD_TABLE);
  app.get("/api/v1/user-permissions", { ...read, schema: listSchema }, h.list);
  app.post("/api/v1/user-permissions", { ...write, schema: createSchema }, h.create);
  app.delete("/api/v1/user-permissions/:uuid", { ...write, schema: deleteSchema }, h.revoke);
  app.get("/api/v1/permission-history", { ...read, schema: historySchema }, h.history);
  app.post("/api/v1/permissions/check", { ...read, schema: checkSchema }, h.check);
}

/** How a grant's body names its person: exactly one of user (uuid), email, github_handle. */
type Named = { by: "user" | "email" | "github_handle"; field: string; value: string };

function namedIn(body: GrantCreate): Named {
  const given = (["user", "email", "github_handle"] as const).filter((field) => body[field] !== undefined);
  if (given.length !== 1) throw invalidField(given[1] ?? "user", "name the person once: by user (uuid), email or github_handle");
  const field = given[0]!;
  return { by: field, field, value: body[field]! };
}

/** Services see every grant (permissions.read); a person their own and those in the projects they lead. */
function visibilityOf(principal: Principal): GrantFilter["visible"] {
  return principal.kind === "service" ? { all: true } : grantVisibility(principal.user.uuid, principal.grants);
}

/** Whose power a grant or revocation is judged by: a person's grants, or a service's (as adminVrms). */
const grantorGrants = (principal: Principal) => (principal.kind === "service" ? SERVICE_GRANTOR : principal.grants);

function permissionHandlers({ permissions, projects, users, grants, publicUrl, audit }: PermissionRoutesDeps) {
  const list: Handler<typeof listSchema> = async (request) => {
    const q = request.query;
    const page = { page: q.page ?? 1, pageSize: q.page_size ?? 50 };
    const visible = visibilityOf(principalOf(request));
    const { count, rows } = await permissions.list(
      { ...(q.user ? { user: q.user } : {}), ...(q.project ? { project: q.project } : {}), ...(q.permission_type ? { type: q.permission_type } : {}), visible },
      page.pageSize,
      (page.page - 1) * page.pageSize,
    );
    return { count, ...pageLinks(publicUrl, "/api/v1/user-permissions", q, page, count), results: rows.map(toGrantJson) };
  };

  /**
   * The person a grant is for, as the granter may name them (authz/rules.ts namingFor). Refusals
   * tell nothing the caller may not know: a lead gets one 403 whether or not anyone is so named;
   * the project's adminProject naming by uuid someone it does not lead gets the same 403 for an
   * unknown uuid. Only who may add newcomers learns that no one has an email or handle.
   */
  async function grantee(principal: Principal, named: Named, project: string | null): Promise<User> {
    if (principal.kind === "service" && named.by !== "user") {
      requirePermission(principal.scopes.has("users.read"), "Naming a person by email or GitHub handle needs users.read too; name them by uuid.");
    }
    const login = named.by === "email" ? { email: named.value } : { githubHandle: named.value };
    const naming = principal.kind === "service" ? "anyone" : namingFor(principal.grants, project);
    if (principal.kind === "user" && naming !== "anyone" && (naming === "led-only" || named.by === "user")) {
      // Only people the caller already leads (a lead: in this project, for leading someone in
      // another let a junior lead of P and Q draft Q's people into P), found among them by the
      // database in one statement, so that an unknown name and someone else's get one refusal in
      // the same time.
      const among =
        naming === "led-only"
          ? { self: null, scopes: ledScopes(principal.grants).filter((s) => s.project === project) }
          : // Leading them anywhere, the adminProject already reads them: their uuid tells nothing new.
            { self: principal.user.uuid, scopes: ledScopes(principal.grants) };
      const found = await users.findNamedAmong(named.by === "user" ? { uuid: named.value } : login, among);
      requirePermission(
        found.length === 1,
        naming === "led-only"
          ? "You may grant only to people you already lead in this project; its adminProject adds newcomers."
          : "Name a newcomer to the project by email or github_handle; by uuid, only people you already lead.",
      );
      return found[0]!;
    }
    const found = named.by === "user" ? [await users.findById(named.value)].filter((u) => u !== undefined) : await users.findByLogin(login);
    const what = named.by === "user" ? "uuid" : named.by === "email" ? "verified email" : "GitHub handle";
    // A project's adminProject drafts volunteers, never an administrator: one who holds a global
    // admin type is answered as no one (a public GitHub handle would otherwise let a project manager
    // draft them and read their phone and email; they see every project without being drafted).
    if (naming === "newcomers-by-login" && found.length === 1 && leadsEveryone(await permissions.grantsOf(found[0]!.uuid))) {
      throw invalidField(named.field, `no user has this ${what}`);
    }
    if (found.length === 0) throw invalidField(named.field, `no user has this ${what}`);
    if (found.length > 1) throw conflict(`More than one user has this ${what}: name the person another way.`);
    return found[0]!;
  }

  const create: Handler<typeof createSchema> = async (request, reply) => {
    const principal = principalOf(request);
    const body = request.body;
    const type = permissionType(body.permission_type)!;
    const project = body.project ?? null;
    const practiceArea = body.practice_area ?? null;
    const named = namedIn(body);
    // The scope rules the database also enforces, answered with the field at fault.
    if (type.scope === "global" && project !== null) throw invalidField("project", `${type.name} is a global permission type: it takes no project`);
    if (type.scope === "project" && project === null) throw invalidField("project", `${type.name} is held in a project: name one`);
    if (practiceArea !== null && project === null) throw invalidField("practice_area", "a practice area is given only with a project");
    const authority = grantAuthority(grantorGrants(principal), { type: type.name, project, practiceArea });
    requirePermission(authority !== undefined, `You may grant only types of lower power than your own, within your scope; ${type.name} here is not one of them.`);
    const target = await grantee(principal, named, project);
    if (project !== null && !(await projects.find(project))) throw invalidField("project", "no such project");
    if (practiceArea !== null && !(await projects.findPracticeArea(practiceArea))) throw invalidField("practice_area", "no such practice area");
    const outcome = await permissions.grant({
      user: target.uuid,
      type: type.name as PermissionTypeName,
      project,
      practiceArea,
      grantedBy: principal.kind === "user" ? principal.user.uuid : null,
      actor: principalName(principal),
    });
    if (!outcome.ok) {
      if (outcome.reason === "duplicate") throw conflict("The user already holds this permission here.");
      throw invalidField("user", "the user, project or practice area was deleted meanwhile");
    }
    // The row's uuid, not the body's: the cache is keyed by the database's (lower-case) spelling.
    grants.forget(outcome.row.userUuid);
    audit(request, "permission.grant", outcome.row.userUuid, { permission: outcome.row.uuid, permission_type: type.name, project, practice_area: practiceArea });
    return reply.code(201).send(toGrantJson(outcome.row));
  };

  const revoke: Handler<typeof deleteSchema> = async (request, reply) => {
    const principal = principalOf(request);
    const row = await permissions.find(request.params.uuid);
    const visible = visibilityOf(principal);
    const canSee =
      row !== undefined &&
      (visible.all || row.userUuid === visible.user || visible.scopes.some((s) => inScope(s, { project: row.projectUuid, practiceArea: row.practiceAreaUuid })));
    if (!row || !canSee) throw notFound("No such grant.");
    const authority = revokeAuthority(grantorGrants(principal), { type: row.permissionType, project: row.projectUuid, practiceArea: row.practiceAreaUuid });
    requirePermission(authority !== undefined, `You may revoke only types of lower power than your own, within your scope; ${row.permissionType} here is not one of them.`);
    const revoked = await refusingLastAdmin("Revoking this adminGlobal", () =>
      permissions.revoke(row.uuid, principalName(principal), { user: row.userUuid, type: row.permissionType }),
    );
    if (!revoked) throw notFound("No such grant.");
    grants.forget(revoked.userUuid);
    audit(request, "permission.revoke", revoked.userUuid, { permission: revoked.uuid, permission_type: revoked.permissionType, project: revoked.projectUuid, practice_area: revoked.practiceAreaUuid });
    return reply.code(204).send();
  };

  const history: Handler<typeof historySchema> = async (request) => {
    const q = request.query;
    const page = { page: q.page ?? 1, pageSize: q.page_size ?? 50 };
    const visible = visibilityOf(principalOf(request));
    const { count, rows } = await permissions.history(
      { ...(q.user ? { user: q.user } : {}), ...(q.project ? { project: q.project } : {}), ...(q.permission_type ? { type: q.permission_type } : {}), visible },
      page.pageSize,
      (page.page - 1) * page.pageSize,
    );
    return {
      count,
      ...pageLinks(publicUrl, "/api/v1/permission-history", q, page, count),
      results: rows.map((r) => ({
        id: r.id, action: r.action as "grant" | "revoke", permission: r.permissionUuid, user: r.userUuid, permission_type: r.permissionType,
        project: r.projectUuid, practice_area: r.practiceAreaUuid, actor: r.actor, at: r.at.toISOString(),
      })),
    };
  };

  /**
   * Answered by the rules the routes enforce (authz/rules.ts capabilityOf). A person asks about themself
   * (their token's group permissions included); a service about anyone, from stored grants: group
   * permissions exist only in each user's own tokens.
   */
  const check: Handler<typeof checkSchema> = async (request) => {
    const principal = principalOf(request);
    const { permission_type: typeName, user } = request.body;
    const project = request.body.project?.toLowerCase() ?? null;
    const practiceArea = request.body.practice_area?.toLowerCase() ?? null;
    const type = permissionType(typeName)!;
    if (type.scope === "project" && project === null) throw invalidField("project", `${type.name} is held in a project: name one`);
    if (type.scope === "global" && project !== null) throw invalidField("project", `${type.name} is a global permission type: it takes no project`);
    if (practiceArea !== null && project === null) throw invalidField("practice_area", "a practice area is given only with a project");
    let held: readonly Grant[];
    if (principal.kind === "user") {
      requirePermission(user.toLowerCase() === principal.user.uuid, "A person may ask about themself only; apps ask with permissions.read.");
      held = principal.grants;
    } else {
      // A deactivated account may do nothing at all (403 account_disabled everywhere): so it holds
      // nothing. Without users.read, an unknown uuid is answered alike: no existence oracle.
      const target = await users.findById(user);
      if (!target && principal.scopes.has("users.read")) throw notFound("No such user.");
      held = target?.isActive ? await grants.grantsOf(target.uuid) : [];
    }
    const via = holding(held, type.name, project, practiceArea);
    return { allowed: via.length > 0, via: via.map(toPermission) };
  };

  return { list, create, revoke, history, check };
}
