// The local user behind an authenticated request; deactivated accounts stop here.
import type { FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { caller } from "../auth/plugin.ts";
import { accountDisabled } from "../auth/problems.ts";
import type { User } from "./schema.ts";
import type { UserProvisioning } from "./provisioning.ts";

declare module "fastify" {
  interface FastifyRequest {
    user: User | null;
  }
}

export function loadCurrentUser(provisioning: UserProvisioning): preHandlerAsyncHookHandler {
  return async function currentUser(request) {
    const { token, raw } = caller(request);
    const user = await provisioning.userFor(token, raw);
    if (!user.isActive) throw accountDisabled();
    request.user = user;
  };
}

export function currentUser(request: FastifyRequest): User {
  if (!request.user) throw new Error("route is not behind loadCurrentUser()");
  return request.user;
}
