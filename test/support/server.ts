// A real server process-in-test: real config parsing, real keys over HTTP, a real database.
import { after, before } from "node:test";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config.ts";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server.ts";
import { pglite, type DatabaseKind, type TestDatabase } from "./databases.ts";
import { TestIssuer } from "../../support/issuer.ts";

export type Json = Record<string, unknown>;

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** A string is sent as it is; anything else as JSON. Either way as application/json unless `headers` says otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Reply<B = Json> {
  status: number;
  headers: Headers;
  /** The body parsed as JSON when it is JSON (by its content type), its raw text otherwise; `{}` when there is none. */
  body: B;
  /** The body as sent. */
  text: string;
  /** The body's length in bytes. */
  bytes: number;
  /** The X-Request-Id the server answered with ("" if none). */
  requestId: string;
}

export interface TestServer {
  url: string;
  server: RunningServer;
  /** PostgreSQL only: the database this server uses. */
  databaseUrl: string | undefined;
  /** Every log line the server wrote so far. */
  logs(): string;
  /** One request, its answer read whole. */
  request<B = Json>(method: string, path: string, options?: RequestOptions): Promise<Reply<B>>;
  /** `request("GET", path, { token, headers })`. */
  get<B = Json>(path: string, token?: string, headers?: Record<string, string>): Promise<Reply<B>>;
  close(): Promise<void>;
}

/** `request()` against any base URL (servers the tests start without startTestServer). */
export async function requestAt<B = Json>(base: string, method: string, path: string, options: RequestOptions = {}): Promise<Reply<B>> {
  const { token, body, headers = {} } = options;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  return replyOf<B>(res.status, res.headers, Buffer.from(await res.arrayBuffer()));
}

/**
 * `request()` through the server's inject: the same hooks, routes and serializers as over its
 * socket, with the headers fetch sends, for a fraction of the CPU time (no HTTP client, no
 * parsing, no connection). For route tests; what concerns connections keeps using the socket.
 */
async function injectInto<B = Json>(server: RunningServer, method: string, path: string, options: RequestOptions = {}): Promise<Reply<B>> {
  const { token, body, headers = {} } = options;
  const sent = new Headers({ host: new URL(server.url).host, accept: "*/*", "accept-language": "*", "sec-fetch-mode": "cors", "user-agent": "node" });
  if (body !== undefined) sent.set("content-type", "application/json");
  if (token) sent.set("authorization", `Bearer ${token}`);
  for (const [name, value] of Object.entries(headers)) sent.set(name, value);
  const res = await server.inject({
    method: method as "GET",
    url: path,
    headers: Object.fromEntries(sent),
    ...(body !== undefined ? { payload: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const received = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) received.append(name, String(one));
  }
  return replyOf<B>(res.statusCode, received, res.rawPayload);
}

function replyOf<B>(status: number, headers: Headers, raw: Buffer): Reply<B> {
  const text = raw.toString();
  const json = /[/+]json\b/.test(headers.get("content-type") ?? "");
  const parsed: unknown = text === "" ? {} : json ? JSON.parse(text) : text;
  return { status, headers, body: parsed as B, text, bytes: raw.length, requestId: headers.get("x-request-id") ?? "" };
}

export interface TestServerOptions extends Omit<ServerOptions, "logDestination"> {
  /** `request()` and `get()` through the server's inject instead of its socket (it listens all the same). */
  inject?: boolean;
}

/** A server on a fresh database of `db`'s kind, or on another test server's PostgreSQL database. */
export async function startTestServer(
  issuer: TestIssuer,
  db: DatabaseKind,
  env: Record<string, string> = {},
  shareDatabaseUrl?: string,
  testOptions: TestServerOptions = {},
): Promise<TestServer> {
  const { inject = false, ...options } = testOptions;
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
  const request = <B = Json>(method: string, path: string, requestOptions?: RequestOptions) =>
    inject ? injectInto<B>(server, method, path, requestOptions) : requestAt<B>(url, method, path, requestOptions);
  return {
    url,
    server,
    databaseUrl: database.env.DATABASE_URL,
    logs: () => lines.join(""),
    request,
    get: (path, token, headers) => request("GET", path, { ...(token ? { token } : {}), ...(headers ? { headers } : {}) }),
    close: async () => {
      await server.close();
      await database.drop();
    },
  };
}

export interface DescribeServerOptions extends TestServerOptions {
  /** Environment beyond the issuer's and the database's. */
  env?: Record<string, string>;
  /** Run on this other test server's PostgreSQL database (read when the server starts). */
  shareDatabaseOf?: () => TestServer;
}

/** Servers started for a describe, by the issuer they trust: closed before that issuer stops. */
const dependents = new WeakMap<TestIssuer, (() => Promise<void>)[]>();

/**
 * A test server for the enclosing describe: started in its `before` (after any registered earlier),
 * closed in its `after`. The handle stands for the running server once `before` has run.
 */
export function serverForDescribe(issuer: TestIssuer, kind: DatabaseKind = pglite, options: DescribeServerOptions = {}): TestServer {
  const { env = {}, shareDatabaseOf, ...serverOptions } = options;
  let running: TestServer | undefined;
  const current = (): TestServer => {
    if (!running) throw new Error("the describe's test server is not running (used outside its tests?)");
    return running;
  };
  const close = async () => {
    const server = running;
    running = undefined;
    await server?.close();
  };
  dependents.set(issuer, [...(dependents.get(issuer) ?? []), close]);
  before(async () => {
    running = await startTestServer(issuer, kind, env, shareDatabaseOf?.().databaseUrl, serverOptions);
  });
  after(close);
  return {
    get url() {
      return current().url;
    },
    get server() {
      return current().server;
    },
    get databaseUrl() {
      return current().databaseUrl;
    },
    logs: () => current().logs(),
    request: (method, path, requestOptions) => current().request(method, path, requestOptions),
    get: (path, token, headers) => current().get(path, token, headers),
    close,
  };
}

/**
 * A test issuer for the enclosing describe: started in its `before`; in its `after`, the servers
 * that trust it (serverForDescribe) close, newest first, and then it stops.
 */
export function issuerForDescribe(issuer = new TestIssuer()): TestIssuer {
  before(() => issuer.start());
  after(async () => {
    for (const close of [...(dependents.get(issuer) ?? [])].reverse()) await close();
    await issuer.stop();
  });
  return issuer;
}

/**
 * The usual describe-level pair: an issuer and one server trusting it, started before the
 * describe's tests and closed after them. Set anything the server must see at its start (keys,
 * JWKS mode) on `issuer` in the describe's body.
 */
export function issuerAndServer(kind: DatabaseKind = pglite, options: DescribeServerOptions = {}): { issuer: TestIssuer; app: TestServer } {
  const issuer = issuerForDescribe();
  return { issuer, app: serverForDescribe(issuer, kind, options) };
}
