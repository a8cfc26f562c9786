// The OpenAPI document as the server serves it at /api/schema/, built in-process: the app with
// every route registered (sign-in included) but nothing behind it, never listening. The typed
// client is generated from it (npm run client:generate).
import { buildApp } from "./app.ts";
import type { IdentityProvider } from "./cognito/client.ts";
import { loadConfig } from "./config.ts";
import type { Database } from "./db/client.ts";
import { createLogger } from "./logging.ts";
import type { RevocationStore } from "./sessions/revocations.ts";

/** Dependencies that only have to exist: building the routes calls none of them. */
function unused<T>(what: string): T {
  return new Proxy({}, { get: (_target, name) => (name === "then" ? undefined : () => Promise.reject(new Error(`${what} is not available while documenting`))) }) as T;
}

export async function openApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ COGNITO_USER_POOL_ID: "us-east-1_Document", COGNITO_CLIENT_IDS: "document", LOG_LEVEL: "silent" });
  const app = await buildApp({
    config,
    logger: createLogger("silent"),
    verifier: { verify: () => Promise.reject(new Error("no verification while documenting")) },
    keys: { ready: false },
    database: { ...unused<Database>("the database"), kind: "pglite", db: unused("the database"), migrated: false },
    identity: unused<IdentityProvider>("Cognito"),
    revocations: unused<RevocationStore>("revocations"),
  });
  await app.fastify.ready();
  const document = app.fastify.swagger() as unknown as Record<string, unknown>;
  await app.fastify.close();
  return document;
}
