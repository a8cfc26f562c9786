// Every table, for drizzle-kit and the typed client.
export { users } from "../users/schema.ts";
