// The server exactly as `npm run serve` starts it: dist/ built, then the node arguments of the
// serve script. The benchmark and the soak test run it this way so that their numbers are the
// production configuration's, flags included.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Builds dist/ and returns the arguments to give `node` (process.execPath). */
export function serveArguments(): string[] {
  execFileSync("npm", ["run", "-s", "build"], { stdio: "inherit" });
  const script = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts.serve!;
  const [program, ...args] = script.replace(/^exec /, "").split(/\s+/);
  if (program !== "node") throw new Error(`the serve script no longer starts node directly: ${script}`);
  return args;
}

/** The environment of a benchmarked server: the test issuer's pool, a port, its data, one process. */
export function serveEnvironment(
  issuerEnv: Record<string, string>,
  port: number,
  dataDir: string,
  databaseUrl: string | undefined,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...issuerEnv,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    WEB_CONCURRENCY: "1",
    SHUTDOWN_DELAY_SECONDS: "0",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...extra,
  };
}
