// An event as a receiver sees it: the envelope, and `data` (the subject as the API would show it
// to the subscription's owner or the feed's reader). Personal fields follow field-permissions.ts;
// the stored snapshot never holds a token, secret or Cognito sub (the triggers drop cognito_sub).
import { readableFields } from "../authz/field-permissions.ts";
import type { Relationship } from "../authz/relationship.ts";
import type { Scope } from "../authz/scopes.ts";
import type { EventRow } from "./tables.ts";

/** Who reads: a global administrator (every field), a service (by its scopes), or nobody in particular. */
export type Viewer = { kind: "admin" } | { kind: "service"; scopes: ReadonlySet<string> } | { kind: "none" };

export interface EventPayload {
  id: string;
  type: string;
  occurred_at: string;
  actor: string | null;
  subject: string;
  /** user.updated and project.updated: the names of the fields that changed. */
  changed?: string[];
  data: Record<string, unknown>;
}

const has = (viewer: Viewer, scope: Scope) => viewer.kind === "service" && viewer.scopes.has(scope);

/**
 * What the viewer is to every user. A service reads users through the API with users.read (every
 * field); with permissions.read alone it sees only the members of projects, and whether a user is
 * one is not known when the event is rendered: no fields, rather than a member's view of everyone.
 */
function userRelationship(viewer: Viewer): Relationship {
  return viewer.kind === "admin" || has(viewer, "users.read") ? "adminGlobal" : "none";
}

const iso = (value: unknown) => (typeof value === "string" ? new Date(value).toISOString() : null);

function userData(snapshot: Record<string, unknown>, viewer: Viewer): Record<string, unknown> {
  const full: Record<string, unknown> = { ...snapshot, last_login: iso(snapshot.last_login), created_at: iso(snapshot.created_at), updated_at: iso(snapshot.updated_at) };
  return Object.fromEntries(readableFields(userRelationship(viewer)).map((field) => [field, full[field] ?? null]));
}

function grantData(s: Record<string, unknown>, viewer: Viewer): Record<string, unknown> {
  // Who holds what is what permissions.read (or users.read) shows a service.
  if (!(viewer.kind === "admin" || has(viewer, "permissions.read") || has(viewer, "users.read"))) return { uuid: s.uuid };
  return {
    uuid: s.uuid,
    user: s.user_uuid,
    permission_type: s.permission_type,
    project: s.project_uuid ?? null,
    practice_area: s.practice_area_uuid ?? null,
    granted_by: s.granted_by ?? null,
    created_at: iso(s.created_at),
  };
}

function projectData(s: Record<string, unknown>): Record<string, unknown> {
  return { uuid: s.uuid, name: s.name, description: s.description ?? null, created_at: iso(s.created_at), updated_at: iso(s.updated_at) };
}

export function renderEvent(event: EventRow, viewer: Viewer): EventPayload {
  const snapshot = event.snapshot;
  let data: Record<string, unknown>;
  if (event.type.startsWith("user.")) data = userData(snapshot, viewer);
  else if (event.type.startsWith("permission.")) data = grantData(snapshot, viewer);
  else if (event.type.startsWith("project.")) data = projectData(snapshot);
  else data = { client_id: snapshot.client_id };
  return {
    id: event.uuid,
    type: event.type,
    occurred_at: event.occurredAt.toISOString(),
    actor: event.actor,
    subject: event.subject,
    ...(event.changed ? { changed: event.changed } : {}),
    data,
  };
}
