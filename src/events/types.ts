// Every event type the server emits (the triggers of migration events_webhooks write them).
export const EVENT_TYPES = [
  "user.created",
  "user.updated",
  "user.deactivated",
  "user.reactivated",
  "user.deleted",
  "user.signed_out",
  "permission.granted",
  "permission.revoked",
  "project.created",
  "project.updated",
  "project.deleted",
  "service.signed_out",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
