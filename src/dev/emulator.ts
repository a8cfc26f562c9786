// The dev stack's Cognito (npm cognito-local behind src/dev/cognito's front) as a child process of
// `npm start` and the tests.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import type { Env } from "../config.ts";
import { EMULATOR_MAIN } from "../paths.ts";

export interface Emulator {
  /** The emulator's base URL, which is also its issuer host: use exactly this as COGNITO_ENDPOINT. */
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  port: number;
  /** Its data lands in `{dataDir}/.cognito`. */
  dataDir: string;
  /** The environment to start from; the API's PORT/HOST and DEBUG are scrubbed from it. */
  env: Env;
  startTimeoutMs?: number;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const url = `http://localhost:${options.port}`;
  if (await answers(url)) {
    throw new Error(`port ${options.port} is already in use (another emulator?); stop it or set COGNITO_LOCAL_PORT`);
  }
  // Its data holds plain-text passwords and refresh tokens: this user's alone.
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const logFile = path.join(options.dataDir, "emulator.log");
  const log = await open(logFile, "a", 0o600);
  // From the package's root, not from this module: bundled, it sits in dist/, without the emulator's source.
  if (!existsSync(EMULATOR_MAIN)) throw new Error(`the dev stack's Cognito emulator runs from the source checkout, and ${EMULATOR_MAIN} is not there`);
  // The emulator logs tokens when DEBUG is set, and would take the API's PORT and HOST as its own.
  const { PORT: _port, HOST: _host, DEBUG: _debug, COGNITO_LOCAL_DEVMODE: _dev, NODE_OPTIONS: _opts, ...rest } = options.env;
  // cognito-local with the dev stack's front (src/dev/cognito, docs/dev-stack.md), run by tsx.
  const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx/esm"), EMULATOR_MAIN], {
    cwd: options.dataDir,
    env: { ...rest, PORT: String(options.port), AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1" },
    // The IPC channel is how the emulator learns that its parent died without stopping it
    // (SIGKILL): it closes, and the emulator exits instead of holding the port (dev-cognito/main.ts).
    stdio: ["ignore", log.fd, log.fd, "ipc"],
  });
  // The channel must not keep the parent alive.
  child.channel?.unref();
  await log.close();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    await waitUntilUp(url, child, exited, options.startTimeoutMs ?? 20_000);
  } catch (err) {
    child.kill("SIGKILL");
    const tail = (await readFile(logFile, "utf8").catch(() => "")).trim().split("\n").slice(-5).join("\n");
    throw new Error(`${(err as Error).message}${tail ? `\n${tail}` : ""}`, { cause: err });
  }
  return {
    url,
    logFile,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Whether an emulator (anything, in fact) answers on this URL's /health. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

async function waitUntilUp(url: string, child: ChildProcess, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the Cognito emulator exited with code ${child.exitCode}`);
    if (await answers(url)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the Cognito emulator did not answer on ${url} within ${timeoutMs} ms`);
}
