// A real server process-in-test: real config parsing, real keys over HTTP, a real database.
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config.ts";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server.ts";
import type { DatabaseKind, TestDatabase } from "./databases.ts";
import type { TestIssuer } from "./issuer.ts";

export interface TestServer {
  url: string;
  server: RunningServer;
  /** PostgreSQL only: the database this server uses. */
  databaseUrl: string | undefined;
  /** Every log line the server wrote so far. */
  logs(): string;
  get(path: string, token?: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** A server on a fresh database of `db`'s kind, or on another test server's PostgreSQL database. */
export async function startTestServer(
  issuer: TestIssuer,
  db: DatabaseKind,
  env: Record<string, string> = {},
  shareDatabaseUrl?: string,
  options: Omit<ServerOptions, "logDestination"> = {},
): Promise<TestServer> {
  const database: TestDatabase = shareDatabaseUrl
    ? { env: { DATABASE_URL: shareDatabaseUrl }, drop: async () => {} }
    : await db.create();
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  const config = loadConfig({ ...issuer.env(), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...database.env, ...env });
  let server: RunningServer;
  try {
    server = await startServer(config, { ...options, logDestination: destination });
  } catch (err) {
    await database.drop();
    throw err;
  }
  const url = server.url;
  return {
    url,
    server,
    databaseUrl: database.env.DATABASE_URL,
    logs: () => lines.join(""),
    get: (path, token, headers = {}) =>
      fetch(`${url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }),
    close: async () => {
      await server.close();
      await database.drop();
    },
  };
}
