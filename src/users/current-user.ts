// The local user behind an authenticated request, and what they may do: computed once per request
// (a preValidation hook, after authentication), read by every route. Deactivated accounts stop here.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, preValidationHookHandler } from "fastify";
import { caller } from "../auth/authenticate.ts";
import { accountDisabled } from "../auth/problems.ts";
import { sendProblem } from "../http/problem.ts";
import type { OpenSpan, Spans } from "../tracing/spans.ts";
import type { User } from "./schema.ts";
import type { UserProvisioning } from "./provisioning.ts";

/** Who is calling: the local user, their Cognito groups, and whether they administer. */
export interface Actor {
  user: User;
  groups: readonly string[];
  isAdmin: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** Callback style, synchronous when the user is cached: no promise on the hot path. */
export function loadActor(provisioning: UserProvisioning, adminGroup: string, spans?: Spans): preValidationHookHandler {
  function admit(request: FastifyRequest, reply: FastifyReply, user: User, done: HookHandlerDoneFunction, span?: OpenSpan): void {
    span?.end();
    if (!user.isActive) {
      sendProblem(reply, accountDisabled());
      return;
    }
    const { groups } = caller(request).token;
    request.actor = { user, groups, isAdmin: groups.includes(adminGroup) };
    done();
  }

  return function currentUser(request, reply, done) {
    const { token, raw } = caller(request);
    // Active while loading, so that the database's and Cognito's spans are its children.
    const span = spans?.start("user.load_profile");
    const user = span ? span.within(() => provisioning.userFor(token, raw)) : provisioning.userFor(token, raw);
    span?.set("profile.source", user instanceof Promise ? "database" : "cache");
    if (!(user instanceof Promise)) return admit(request, reply, user, done, span);
    user
      .then(
        (loaded) => admit(request, reply, loaded, done, span),
        (err: unknown) => {
          span?.fail(err);
          span?.end();
          done(err as Error);
        },
      )
      // A bug in admit must become this request's 500, not an unhandled rejection that ends the process.
      .catch((err: unknown) => {
        if (!reply.sent) done(err as Error);
      });
  };
}

/** The actor of a route behind loadActor. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error("route is not behind loadActor()");
  return request.actor;
}
