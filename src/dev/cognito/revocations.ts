// Which sessions (origin_jti) have been signed out, kept across restarts of the dev stack so that a
// revoked access token stays refused by the emulator's own operations (GetUser, …) until it expires.
import { readFile, rename, writeFile } from "node:fs/promises";

export class RevokedSessions {
  private readonly sessions = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<RevokedSessions> {
    const store = new RevokedSessions(file);
    const text = await readFile(file, "utf8").catch(() => "{}");
    const now = Math.floor(Date.now() / 1000);
    for (const [originJti, expires] of Object.entries(JSON.parse(text) as Record<string, number>)) {
      if (expires > now) store.sessions.set(originJti, expires);
    }
    return store;
  }

  has(originJti: string): boolean {
    return this.sessions.has(originJti);
  }

  /** Revokes each session until `expires` (epoch seconds: when its last token can no longer be used). */
  async add(sessions: { originJti: string; expires: number }[]): Promise<void> {
    for (const { originJti, expires } of sessions) this.sessions.set(originJti, Math.max(expires, this.sessions.get(originJti) ?? 0));
    // One write at a time, each of the whole map, through a rename so a crash leaves the old file.
    this.writing = this.writing.catch(() => {}).then(async () => {
      const now = Math.floor(Date.now() / 1000);
      for (const [originJti, expires] of this.sessions) if (expires <= now) this.sessions.delete(originJti);
      await writeFile(`${this.file}.tmp`, JSON.stringify(Object.fromEntries(this.sessions)), { mode: 0o600 });
      await rename(`${this.file}.tmp`, this.file);
    });
    await this.writing;
  }
}
