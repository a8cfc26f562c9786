// Every table, for drizzle-kit and the typed client.
export { users, userTombstones } from "../users/tables.ts";
export { loginFailures, revokedRefreshTokens, revokedSessions, serverSecrets, userRevocations } from "../sessions/tables.ts";
export { projects } from "../projects/tables.ts";
export { permissionHistory, permissionTypes, practiceAreas, userPermissions } from "../permissions/tables.ts";
export { vrmsProjectIds, vrmsUserIds } from "../import/tables.ts";
export { events, webhookDeliveries, webhookSubscriptions } from "../events/tables.ts";
