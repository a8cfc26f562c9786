// The emulator's files hold plain-text passwords and refresh tokens: readable by this user only.
import { chmod, readdir } from "node:fs/promises";
import path from "node:path";

/** Every file under `dir` to 0600 and every folder to 0700 (data left by older versions was 0644/0755). */
export async function restrictToOwner(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await restrictToOwner(full);
    else if (entry.isFile()) await chmod(full, 0o600);
  }
}
