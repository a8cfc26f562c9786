// The whole system on one machine — Cognito emulator, pool bootstrap, PGlite, the API — as
// `npm start` brings it up (dev.ts, which starts tracing first when the OTEL_* variables ask).
import path from "node:path";
import { parseArgs } from "node:util";
import { DEMO_USERS, describeDrift, provision } from "../cognito/bootstrap.ts";
import { createCognitoClient } from "../cognito/client.ts";
import { startEmulator, type Emulator } from "./emulator.ts";
import { ConfigError, loadDevConfig, processEnv } from "../config.ts";
import { devApiConfig } from "./api-config.ts";
import { devLogDestination } from "./log.ts";
import { writeDevStack } from "./stack-file.ts";
import { startServer, type RunningServer } from "../server.ts";
import type { Tracing } from "../tracing/spans.ts";

const say = (line = "") => process.stdout.write(`${line}\n`);

/** `npm start -- --callback-url URL …`: more callback URLs for the web client (a front end on another port). */
function webCallbackUrls(): string[] {
  const { values } = parseArgs({ options: { "callback-url": { type: "string", multiple: true } } });
  const urls = values["callback-url"] ?? [];
  for (const url of urls) {
    if (!URL.canParse(url)) throw new ConfigError("--callback-url", "a URL such as http://localhost:4200/", url);
  }
  return urls;
}

export async function startDevStack(tracing: Tracing | undefined): Promise<void> {
  const dev = loadDevConfig();
  const apiUrl = `http://localhost:${dev.apiPort}`;
  let emulator: Emulator | undefined;
  let server: RunningServer | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await server?.close().catch(() => {});
    await emulator?.stop().catch(() => {});
    // The last spans (the shutdown's included) are exported before the process goes.
    await tracing?.shutdown().catch(() => {});
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    const extraCallbacks = webCallbackUrls();
    say(`Starting the Cognito emulator on http://localhost:${dev.cognitoLocalPort} …`);
    emulator = await startEmulator({ port: dev.cognitoLocalPort, dataDir: path.join(dev.dataDir, "cognito"), env: processEnv() });
    const cognito = createCognitoClient({ region: "us-east-1", endpoint: emulator.url, useDummyCredentials: true });
    const pool = await provision(cognito, {
      endpoint: emulator.url,
      poolName: "vrms-dev",
      callbackUrl: `${apiUrl}/admin`,
      webCallbackUrls: extraCallbacks,
      demoUsers: DEMO_USERS,
      // `.data` from older versions holds a client that allowed USER_PASSWORD_AUTH and told who has
      // an account: the emulator's pool is ours, so it is brought up to date without asking.
      fix: true,
      onCreate: (what) => say(`  created ${what}`),
      onDrift: (drift) => say(`  corrected ${describeDrift(drift)}`),
    });
    cognito.destroy();
    await writeDevStack(dev.dataDir, { endpoint: emulator.url, user_pool_id: pool.userPoolId, client_id: pool.clientId, web_client_id: pool.webClientId, service_client_id: pool.serviceClientId, api_url: apiUrl });

    const config = devApiConfig(processEnv(), dev.apiPort, dev.dataDir, {
      endpoint: emulator.url,
      userPoolId: pool.userPoolId,
      clientIds: [pool.clientId, pool.webClientId],
      serviceClientIds: [pool.serviceClientId],
    });
    // The API's lines to a file, as the emulator's: the terminal keeps the banner and the warnings.
    const logFile = path.join(dev.dataDir, "server.log");
    server = await startServer(config, { logDestination: devLogDestination(logFile), ...(tracing ? { tracing } : {}) });
    printBanner({ poolId: pool.userPoolId, clientId: pool.clientId, webClientId: pool.webClientId, serviceClientId: pool.serviceClientId, emulatorUrl: emulator.url, apiUrl, dataDir: dev.dataDir, logFile });
  } catch (err) {
    const message = err instanceof ConfigError ? `configuration error: ${err.message}` : (err as Error).message;
    process.stderr.write(`npm start failed: ${message}\n`);
    await stop(err instanceof ConfigError ? 2 : 1);
  }
}

interface Banner {
  poolId: string;
  clientId: string;
  webClientId: string;
  serviceClientId: string;
  emulatorUrl: string;
  apiUrl: string;
  dataDir: string;
  logFile: string;
}

function printBanner({ poolId, clientId, webClientId, serviceClientId, emulatorUrl, apiUrl, dataDir, logFile }: Banner): void {
  const member = DEMO_USERS.find((u) => u.groups.length === 0)!;
  say();
  say("vrms-backend dev stack is up");
  say(`  API:            ${apiUrl}`);
  say(`  Cognito:        ${emulatorUrl} (local emulator)`);
  say(`  User pool id:   ${poolId}`);
  say(`  App client id:  ${clientId} (backend: CLI, /admin)`);
  say(`  Web client id:  ${webClientId} (browser apps: Amplify, amazon-cognito-identity-js; see docs/front-end.md)`);
  say(`  Service client: ${serviceClientId} (apps calling as themselves: client credentials)`);
  say(`  Data:           ${dataDir}`);
  say(`  API log:        ${logFile} (JSON lines; warnings and errors are shown here too)`);
  say("  Demo users:");
  for (const user of DEMO_USERS) {
    say(`    ${user.username.padEnd(20)} password ${user.password}${user.groups.length ? `  (groups: ${user.groups.join(", ")})` : ""}`);
  }
  say(`  Admin page:     ${apiUrl}/admin`);
  say(`  CORS:           pages on http://localhost:<any port> may call the API and Cognito`);
  say();
  say("Try it (copy and paste):");
  say(
    `  TOKEN=$(npm run -s cli -- login --username ${member.username} --password '${member.password}' --access-token-only) && curl -s -H "Authorization: Bearer $TOKEN" ${apiUrl}/api/v1/me`,
  );
  say("An app calling the API as itself (a service token, client credentials):");
  say(`  curl -s -H "Authorization: Bearer $(npm run -s cli -- service-token)" ${apiUrl}/api/v1/users`);
  say();
  say("Press Ctrl-C to stop everything.");
  say();
}
