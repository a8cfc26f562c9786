// Who is calling, the request's principal (authz/principal.ts): loaded once per request (a
// preValidation hook, after authentication), read by every route. A person's profile and grants are
// loaded, and deactivated accounts stop here; services are admitted by their scopes and never
// become users. Synchronous when the user and their grants are cached: no promise on the hot path.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, preValidationHookHandler } from "fastify";
import { verifiedTokenOf } from "../auth/authenticate.ts";
import { accountDisabled, missingScope, notAUser } from "../auth/problems.ts";
import { apiScopes, type Scope } from "../authz/scopes.ts";
import type { GrantCache } from "../authz/grant-cache.ts";
import { groupGrants, type Grant, type GroupPermissions } from "../authz/grants.ts";
import { holdsAdminGlobal } from "../authz/relationship.ts";
import { sendProblem } from "../http/problem.ts";
import type { OpenSpan, Spans } from "../tracing/spans.ts";
import type { User } from "./tables.ts";
import type { UserProvisioning } from "./provisioning.ts";

export interface PrincipalSources {
  provisioning: UserProvisioning;
  grants: GrantCache;
  groupPermissions: GroupPermissions;
  /** COGNITO_RESOURCE_SERVER: the prefix of the API's scopes in a service's token. */
  resourceServer: string;
  /** Tracing, when on: a span per profile load. */
  spans?: Spans;
}

// The same stored grants and groups give the same array, so that /me's rendering stays memoized.
const combined = new WeakMap<readonly Grant[], { groupsKey: string; all: readonly Grant[] }>();

function allGrants(stored: readonly Grant[], groups: readonly string[], mapping: GroupPermissions): readonly Grant[] {
  const groupsKey = groups.join("\n");
  const memo = combined.get(stored);
  if (memo && memo.groupsKey === groupsKey) return memo.all;
  const fromGroups = groupGrants(groups, mapping);
  const all = fromGroups.length === 0 ? stored : Object.freeze([...stored, ...fromGroups]);
  combined.set(stored, { groupsKey, all });
  return all;
}

export function loadPrincipal({ provisioning, grants, groupPermissions, resourceServer, spans }: PrincipalSources): preValidationHookHandler {
  // Tokens of one service carry the same scope text: parsed once.
  const scopesOf = new Map<string, ReadonlySet<Scope>>();
  const parsedScopes = (claim: string | undefined): ReadonlySet<Scope> => {
    let scopes = scopesOf.get(claim ?? "");
    if (!scopes) {
      scopes = apiScopes(claim, resourceServer);
      if (scopesOf.size < 1000) scopesOf.set(claim ?? "", scopes);
    }
    return scopes;
  };

  /** A service is judged by its scopes alone: the route's, declared in its config. */
  function admitService(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const { token } = verifiedTokenOf(request);
    const needed = request.routeOptions.config.service;
    if (!needed) {
      sendProblem(reply, notAUser());
      return;
    }
    const scopes = parsedScopes(token.scope);
    if (!scopes.has(needed)) {
      sendProblem(reply, missingScope(`${resourceServer}/${needed}`));
      return;
    }
    request.principal = { kind: "service", clientId: token.clientId, scopes };
    done();
  }

  const fail = (reply: FastifyReply, done: HookHandlerDoneFunction) => (err: unknown) => {
    // A bug in admit must become this request's 500, not an unhandled rejection that ends the process.
    if (!reply.sent) done(err as Error);
  };

  function admit(request: FastifyRequest, reply: FastifyReply, user: User, stored: readonly Grant[], done: HookHandlerDoneFunction): void {
    if (!user.isActive) {
      sendProblem(reply, accountDisabled());
      return;
    }
    const { groups } = verifiedTokenOf(request).token;
    const all = allGrants(stored, groups, groupPermissions);
    request.principal = { kind: "user", user, groups, grants: all, isAdmin: holdsAdminGlobal(all) };
    done();
  }

  /** The user's grants, within the profile load's span (their query is part of loading the principal). */
  function withGrants(request: FastifyRequest, reply: FastifyReply, user: User, done: HookHandlerDoneFunction, span?: OpenSpan): void {
    const stored = span ? span.within(() => grants.grantsOf(user.uuid)) : grants.grantsOf(user.uuid);
    if (!(stored instanceof Promise)) {
      span?.end();
      return admit(request, reply, user, stored, done);
    }
    stored
      .then(
        (loaded) => {
          span?.end();
          admit(request, reply, user, loaded, done);
        },
        (err: unknown) => {
          span?.fail(err);
          span?.end();
          done(err as Error);
        },
      )
      .catch(fail(reply, done));
  }

  return function loadPrincipalHook(request, reply, done) {
    const { token, raw } = verifiedTokenOf(request);
    if (token.kind === "service") return admitService(request, reply, done);
    // Active while loading, so that the database's and Cognito's spans are its children.
    const span = spans?.start("user.load_profile");
    const user = span ? span.within(() => provisioning.userFor(token, raw)) : provisioning.userFor(token, raw);
    span?.set("profile.source", user instanceof Promise ? "database" : "cache");
    if (!(user instanceof Promise)) return withGrants(request, reply, user, done, span);
    user
      .then(
        (loaded) => withGrants(request, reply, loaded, done, span),
        (err: unknown) => {
          span?.fail(err);
          span?.end();
          done(err as Error);
        },
      )
      .catch(fail(reply, done));
  };
}
