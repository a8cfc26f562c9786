// .data/dev-stack.json: what `npm start` set up, for the CLI when no Cognito variables are set.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface DevStack {
  endpoint: string;
  user_pool_id: string;
  /** The `backend` app client (CLI, /admin). */
  client_id: string;
  /** The `web` app client, for browser apps (SRP, code grant with PKCE); absent in files from before it. */
  web_client_id?: string;
  /** The `service` app client (client credentials; its secret is read from Cognito, never written here); absent in files from before it. */
  service_client_id?: string;
  api_url: string;
}

export function devStackPath(dataDir: string): string {
  return path.join(dataDir, "dev-stack.json");
}

export async function writeDevStack(dataDir: string, stack: DevStack): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(devStackPath(dataDir), `${JSON.stringify(stack, null, 2)}\n`);
}

export async function readDevStack(dataDir: string): Promise<DevStack | undefined> {
  let text: string;
  try {
    text = await readFile(devStackPath(dataDir), "utf8");
  } catch {
    return undefined;
  }
  const stack = JSON.parse(text) as Partial<DevStack>;
  if (!stack.endpoint || !stack.user_pool_id || !stack.client_id) {
    throw new Error(`${devStackPath(dataDir)} is incomplete; run npm start again`);
  }
  return stack as DevStack;
}
