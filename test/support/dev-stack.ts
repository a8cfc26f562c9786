// The dev stack as `npm start` assembles it (the real emulator behind its front, the pool with its
// app clients and the demo users, the API with the dev-stack configuration), in a temporary folder.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEMO_USERS, provision } from "../../src/cognito/bootstrap.ts";
import { createCognitoClient } from "../../src/cognito/client.ts";
import { startEmulator, type Emulator } from "../../src/dev/emulator.ts";
import { devApiConfig } from "../../src/dev/api-config.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { freePort } from "../../support/net.ts";

export interface DevStack {
  dir: string;
  emulator: Emulator;
  server: RunningServer;
  userPoolId: string;
  /** The backend client. */
  clientId: string;
  webClientId: string;
  /** The `service` client (client credentials), listed in the API's COGNITO_SERVICE_CLIENT_IDS. */
  serviceClientId: string;
  stop(): Promise<void>;
}

export async function startDevStack(name: string): Promise<DevStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `vrms-${name}-`));
  const emulator = await startEmulator({ port: await freePort(), dataDir: path.join(dir, "cognito"), env: { PATH: process.env.PATH ?? "" } });
  const cognito = createCognitoClient({ region: "us-east-1", endpoint: emulator.url, useDummyCredentials: true });
  const apiPort = await freePort();
  const pool = await provision(cognito, { endpoint: emulator.url, poolName: "vrms-dev", callbackUrl: `http://localhost:${apiPort}/admin`, demoUsers: DEMO_USERS, fix: true });
  cognito.destroy();
  const config = devApiConfig({ LOG_LEVEL: "silent" }, apiPort, dir, { endpoint: emulator.url, userPoolId: pool.userPoolId, clientIds: [pool.clientId, pool.webClientId], serviceClientIds: [pool.serviceClientId] });
  const server = await startServer(config);
  return {
    dir,
    emulator,
    server,
    userPoolId: pool.userPoolId,
    clientId: pool.clientId,
    webClientId: pool.webClientId,
    serviceClientId: pool.serviceClientId,
    stop: async () => {
      await server.close();
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
