// Every table, for drizzle-kit and the typed client.
export { users } from "../users/schema.ts";
export { loginFailures, revokedSessions, userRevocations } from "../sessions/schema.ts";
