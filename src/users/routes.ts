// /api/v1/me (and, later, /api/v1/users): who may do what is decided before these handlers run.
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import { caller } from "../auth/plugin.ts";
import { currentUser, loadCurrentUser } from "./current-user.ts";
import { toMeProfile } from "./profile.ts";
import { MeProfileSchema } from "./profile-schema.ts";
import type { UserProvisioning } from "./provisioning.ts";

export interface UserRoutesDeps {
  /** The bearer-token check (auth/plugin.ts). */
  authenticate: preHandlerAsyncHookHandler;
  provisioning: UserProvisioning;
  adminGroup: string;
}

export async function userRoutes(app: FastifyInstance, deps: UserRoutesDeps): Promise<void> {
  const signedIn = [deps.authenticate, loadCurrentUser(deps.provisioning)];

  app.get(
    "/api/v1/me",
    { preHandler: signedIn, schema: { response: { 200: MeProfileSchema } } },
    async (request) => toMeProfile(currentUser(request), caller(request).token.groups, deps.adminGroup),
  );
}
