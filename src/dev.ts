// npm start: the whole system on one machine — Cognito emulator, pool bootstrap, PGlite, the API.
import path from "node:path";
import { DEMO_USERS, describeDrift, provision } from "./cognito/bootstrap.ts";
import { createCognitoClient } from "./cognito/client.ts";
import { startEmulator, type Emulator } from "./cognito/emulator.ts";
import { ConfigError, loadConfig, loadDevConfig, processEnv } from "./config.ts";
import { writeDevStack } from "./dev-stack.ts";
import { startServer, type RunningServer } from "./server.ts";

const say = (line = "") => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
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
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    say(`Starting the Cognito emulator on http://localhost:${dev.cognitoLocalPort} …`);
    emulator = await startEmulator({ port: dev.cognitoLocalPort, dataDir: path.join(dev.dataDir, "cognito"), env: processEnv() });
    const cognito = createCognitoClient({ region: "us-east-1", endpoint: emulator.url, useDummyCredentials: true });
    const pool = await provision(cognito, {
      endpoint: emulator.url,
      poolName: "vrms-dev",
      callbackUrl: `${apiUrl}/admin`,
      demoUsers: DEMO_USERS,
      // `.data` from older versions holds a client that allowed USER_PASSWORD_AUTH and told who has
      // an account: the emulator's pool is ours, so it is brought up to date without asking.
      fix: true,
      onCreate: (what) => say(`  created ${what}`),
      onDrift: (drift) => say(`  corrected ${describeDrift(drift)}`),
    });
    cognito.destroy();
    await writeDevStack(dev.dataDir, { endpoint: emulator.url, user_pool_id: pool.userPoolId, client_id: pool.clientId, api_url: apiUrl });

    // The API sees exactly what `npm run serve` would, pointed at the emulator and PGlite.
    const { DATABASE_URL: _db, COGNITO_ISSUER: _iss, COGNITO_REGION: _region, ...env } = processEnv();
    const config = loadConfig({
      HOST: "localhost",
      ...env,
      PORT: String(dev.apiPort),
      DATA_DIR: dev.dataDir,
      COGNITO_ENDPOINT: emulator.url,
      COGNITO_USER_POOL_ID: pool.userPoolId,
      COGNITO_CLIENT_IDS: pool.clientId,
      COGNITO_DOMAIN: emulator.url,
    });
    server = await startServer(config);
    printBanner(pool.userPoolId, pool.clientId, emulator.url, apiUrl, dev.dataDir);
  } catch (err) {
    const message = err instanceof ConfigError ? `configuration error: ${err.message}` : (err as Error).message;
    process.stderr.write(`npm start failed: ${message}\n`);
    await stop(err instanceof ConfigError ? 2 : 1);
  }
}

function printBanner(poolId: string, clientId: string, emulatorUrl: string, apiUrl: string, dataDir: string): void {
  const member = DEMO_USERS.find((u) => u.groups.length === 0)!;
  say();
  say("vrms-backend dev stack is up");
  say(`  API:            ${apiUrl}`);
  say(`  Cognito:        ${emulatorUrl} (local emulator)`);
  say(`  User pool id:   ${poolId}`);
  say(`  App client id:  ${clientId}`);
  say(`  Data:           ${dataDir}`);
  say("  Demo users:");
  for (const user of DEMO_USERS) {
    say(`    ${user.username.padEnd(20)} password ${user.password}${user.groups.length ? `  (groups: ${user.groups.join(", ")})` : ""}`);
  }
  say(`  Admin page:     ${apiUrl}/admin`);
  say();
  say("Try it (copy and paste):");
  say(
    `  TOKEN=$(npm run -s cli -- login --username ${member.username} --password '${member.password}' --access-token-only) && curl -s -H "Authorization: Bearer $TOKEN" ${apiUrl}/api/v1/me`,
  );
  say();
  say("Press Ctrl-C to stop everything.");
  say();
}

await main();
