// The local user behind an authenticated request; deactivated accounts stop here.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerHookHandler } from "fastify";
import { caller } from "../auth/plugin.ts";
import { accountDisabled } from "../auth/problems.ts";
import { sendProblem } from "../http/problem.ts";
import type { User } from "./schema.ts";
import type { UserProvisioning } from "./provisioning.ts";

declare module "fastify" {
  interface FastifyRequest {
    user: User | null;
  }
}

/** Callback style, synchronous when the user is cached: no promise on the hot path. */
export function loadCurrentUser(provisioning: UserProvisioning): preHandlerHookHandler {
  function admit(request: FastifyRequest, reply: FastifyReply, user: User, done: HookHandlerDoneFunction): void {
    if (!user.isActive) {
      sendProblem(reply, accountDisabled());
      return;
    }
    request.user = user;
    done();
  }

  return function currentUser(request, reply, done) {
    const { token, raw } = caller(request);
    const user = provisioning.userFor(token, raw);
    if (!(user instanceof Promise)) return admit(request, reply, user, done);
    user
      .then((loaded) => admit(request, reply, loaded, done), done)
      // A bug in admit must become this request's 500, not an unhandled rejection that ends the process.
      .catch((err: unknown) => {
        if (!reply.sent) done(err as Error);
      });
  };
}

export function currentUser(request: FastifyRequest): User {
  if (!request.user) throw new Error("route is not behind loadCurrentUser()");
  return request.user;
}
