// The CLI as a person runs it: its own process, only the environment given (plus PATH), `input`
// on its standard input.
import { spawn } from "node:child_process";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>, input = ""): Promise<CliRun> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 30_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
