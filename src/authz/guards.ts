// The refusals of authz: a caller who may not know a thing exists gets 404; one who may see it but
// not do this gets 403 with error="insufficient_scope".
import { insufficientScope } from "../auth/problems.ts";
import { notFound, validationFailed } from "../http/problem.ts";
import { maySeeUser, mayWrite, writeRefusal } from "./field-permissions.ts";
import type { Relationship } from "./relationship.ts";

/** A user the caller may not see does not exist, as far as they can tell. */
export function requireVisibleUser(rel: Relationship): void {
  if (!maySeeUser(rel)) throw notFound("No such user.");
}

export function requirePermission(allowed: boolean, detail: string): void {
  if (!allowed) throw insufficientScope(detail);
}

/** 400 naming every field of the body the caller may not change (all of them, not the first). */
export function requireWritable(rel: Relationship, fields: string[]): void {
  const refused = fields.filter((field) => !mayWrite(rel, field));
  if (refused.length > 0) throw validationFailed({ listed: refused.map((field) => ({ field, message: writeRefusal(field) })), omitted: 0 });
}
