// The real Cognito emulator (cognito-local) for a test: in a temporary folder of its own, on a free
// port, with an SDK client for it.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { createCognitoClient } from "../../src/cognito/client.ts";
import { startEmulator, type Emulator } from "../../src/dev/emulator.ts";
import type { Env } from "../../src/config.ts";
import { freePort } from "../../support/net.ts";

export interface TestEmulator {
  /** The temporary folder; the emulator keeps its data in `{dir}/cognito`. */
  dir: string;
  emulator: Emulator;
  cognito: CognitoIdentityProviderClient;
  /** Stops the emulator and removes the folder. */
  stop(): Promise<void>;
}

export async function startTestEmulator(name: string, env: Env = { PATH: process.env.PATH ?? "" }): Promise<TestEmulator> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `vrms-${name}-`));
  let emulator: Emulator;
  try {
    emulator = await startEmulator({ port: await freePort(), dataDir: path.join(dir, "cognito"), env });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const cognito = createCognitoClient({ region: "us-east-1", endpoint: emulator.url, useDummyCredentials: true });
  return {
    dir,
    emulator,
    cognito,
    stop: async () => {
      cognito.destroy();
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
