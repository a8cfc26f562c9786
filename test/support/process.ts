// A spawned server or command as the tests watch it: what it printed so far, and its exit code.
import type { ChildProcessWithoutNullStreams } from "node:child_process";

export interface Watched {
  child: ChildProcessWithoutNullStreams;
  exited: Promise<number | null>;
  out(): string;
  err(): string;
}

export function watched(child: ChildProcessWithoutNullStreams): Watched {
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}
