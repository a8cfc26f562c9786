// The CLI's saved session (--save): ~/.config/vrms-backend/session.json, readable by its owner only.
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Tokens } from "../cognito/client.ts";
import { sessionFilePath } from "../config.ts";

export interface Session extends Partial<Tokens> {
  username?: string | undefined;
}

export async function loadSession(): Promise<Session | undefined> {
  try {
    return JSON.parse(await readFile(sessionFilePath(), "utf8")) as Session;
  } catch {
    return undefined;
  }
}

/** Writes the session with mode 0600, or removes it when given undefined. */
export async function saveSession(session: Session | undefined): Promise<void> {
  const file = sessionFilePath();
  if (!session) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file.
  await chmod(file, 0o600);
}
