// PGlite serves one process: two processes writing one data directory corrupt it (npm start and an
// import, two imports, npm run migrate beside either). So whoever opens it first holds a lock file
// beside it (`db.lock` for `db`) naming its pid; another process is refused while that pid lives.
// A lock whose process is gone (killed, crashed) is taken over. Opening it again in the same
// process is allowed, as before (the tests' second handles), and counted.
import { open, readFile, unlink } from "node:fs/promises";
import path from "node:path";

export class PgliteBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(
      `the PGlite database in ${dir} is open in process ${pid} (npm start, an import, npm run migrate?), and PGlite serves one process: ` +
        `stop that process, or use PostgreSQL (DATABASE_URL). If no such process runs, delete ${lockFile}`,
    );
    this.name = "PgliteBusyError";
  }
}

const held = new Map<string, number>();

export function lockFileOf(dir: string): string {
  const resolved = path.resolve(dir);
  return path.join(path.dirname(resolved), `${path.basename(resolved)}.lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it lives, as another user's.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function holder(file: string): Promise<number | undefined> {
  const text = await readFile(file, "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Takes the lock of the PGlite directory `dir`; the returned function releases it. */
export async function lockPglite(dir: string): Promise<() => Promise<void>> {
  const file = lockFileOf(dir);
  const release = async () => {
    const count = (held.get(file) ?? 1) - 1;
    if (count > 0) {
      held.set(file, count);
      return;
    }
    held.delete(file);
    if ((await holder(file)) === process.pid) await unlink(file).catch(() => {});
  };
  if (held.has(file)) {
    held.set(file, held.get(file)! + 1);
    return release;
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, "wx", 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      held.set(file, 1);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = await holder(file);
    // A pid being written (read between create and write) is a live holder.
    if (pid === undefined && attempt === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (pid !== undefined && pid !== process.pid && alive(pid)) throw new PgliteBusyError(path.resolve(dir), pid, file);
    // Its process is gone (or it is this pid's from an earlier life, as pid 1 in a container).
    await unlink(file).catch(() => {});
  }
  throw new PgliteBusyError(path.resolve(dir), (await holder(file)) ?? 0, file);
}
