// The API's configuration under `npm start`: exactly what `npm run serve` would read from the
// environment, pointed at the dev stack's Cognito and PGlite (its service client's tokens accepted
// as services), plus CORS for local web apps, and answering to its loopback names only.
import { DEFAULT_RESOURCE_SERVER } from "../cognito/pool-settings.ts";
import { loadConfig, type Config, type Env } from "../config.ts";
import { loopbackHosts } from "../http/allowed-hosts.ts";
import { LOCALHOST_ORIGIN } from "../net.ts";

export interface DevStackCognito {
  endpoint: string;
  userPoolId: string;
  /** The backend client first: the CLI and /admin sign in with it. */
  clientIds: string[];
  /** App clients whose client-credentials tokens are services' (the `service` client). */
  serviceClientIds?: string[];
  /** The resource server the dev stack created, whose scopes those tokens carry. */
  resourceServer?: string;
}

export function devApiConfig(env: Env, apiPort: number, dataDir: string, cognito: DevStackCognito): Config {
  const { DATABASE_URL: _db, COGNITO_ISSUER: _iss, COGNITO_REGION: _region, ...rest } = env;
  const config = loadConfig({
    HOST: "localhost",
    // A receiver on this machine (http://localhost:…) may subscribe to webhooks.
    WEBHOOK_ALLOW_HTTP_LOOPBACK: "true",
    ...rest,
    PORT: String(apiPort),
    DATA_DIR: dataDir,
    COGNITO_ENDPOINT: cognito.endpoint,
    COGNITO_USER_POOL_ID: cognito.userPoolId,
    COGNITO_CLIENT_IDS: cognito.clientIds.join(","),
    COGNITO_SERVICE_CLIENT_IDS: (cognito.serviceClientIds ?? []).join(","),
    // The dev stack's pool has this one: another, from the environment, would refuse every service token.
    COGNITO_RESOURCE_SERVER: cognito.resourceServer ?? DEFAULT_RESOURCE_SERVER,
    COGNITO_DOMAIN: cognito.endpoint,
  });
  // A front end on `npm run dev` (any localhost port) calls this API from the browser. A pattern,
  // not a variable: nothing in the environment can make `npm run serve` allow it.
  // Whoever calls it from this machine is trusted with the demo users' printed passwords: a page
  // whose DNS name is rebound to 127.0.0.1 must not be (421). ALLOWED_HOSTS adds names on purpose.
  const allowedHosts = [...loopbackHosts(apiPort), ...config.allowedHosts];
  return { ...config, corsOrigins: [...config.corsOrigins, LOCALHOST_ORIGIN], allowedHosts };
}
