// Every table, for drizzle-kit and the typed client.
export { users, userTombstones } from "../users/schema.ts";
export { loginFailures, revokedRefreshTokens, revokedSessions, serverSecrets, userRevocations } from "../sessions/schema.ts";
export { permissionHistory, permissionTypes, practiceAreas, projects, userPermissions } from "../permissions/schema.ts";
export { vrmsProjectIds, vrmsUserIds } from "../import/schema.ts";
export { events, webhookDeliveries, webhookSubscriptions } from "../events/schema.ts";
