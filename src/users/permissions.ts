// Who may do what to which user record. Someone else's record is invisible (404) to a member;
// a forbidden action on one's own record is a 403.
import { insufficientScope } from "../auth/problems.ts";
import { forbidden, notFound } from "../http/problem.ts";
import type { Actor } from "./current-user.ts";

export function requireAdmin(actor: Actor): void {
  if (!actor.isAdmin) throw insufficientScope("Only administrators may do this.");
}

/** Administrators see everyone; members see only themselves. */
export function assertCanSee(actor: Actor, targetId: string): void {
  if (!actor.isAdmin && actor.user.uuid !== targetId) throw notFound("No such user.");
}

export function assertCanChangeActive(actor: Actor): void {
  if (!actor.isAdmin) throw forbidden("Only administrators may change is_active.");
}

export function assertCanDelete(actor: Actor, targetId: string): void {
  assertCanSee(actor, targetId);
  if (!actor.isAdmin) throw forbidden("Only administrators may delete a user.");
}
