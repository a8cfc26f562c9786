// The server's logger: JSON lines, never a token, password, refresh token or OAuth code, nor the
// values of a database statement, nor what a URL carries beyond what recorded-url.ts allows.
// Each line: `level` by name, `time` in ISO 8601, `service`, `version`, `pid` and `hostname`, as
// log collectors (Loki, CloudWatch, Elasticsearch) read them without a parsing rule.
import type { IncomingMessage } from "node:http";
import { hostname } from "node:os";
import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { recordedUrl } from "./http/recorded-url.ts";
import { VERSION } from "./version.ts";

export const SERVICE = "vrms-backend";

/**
 * The most bytes one write(2) to a pipe may carry and still be atomic (POSIX PIPE_BUF; 4096 on
 * Linux): cluster workers share their primary's stdout, and a longer write can be split by the
 * kernel around another process's, tearing lines.
 */
const PIPE_BUF = 4096;

const MAX_CAUSES = 5;
/** What identifies a database error without repeating the statement's values. */
const DATABASE_FIELDS = ["code", "constraint", "table", "column"] as const;

function causes(err: Error): Error[] {
  const chain = [err];
  for (let e: unknown = err.cause; e instanceof Error && chain.length < MAX_CAUSES; e = e.cause) chain.push(e);
  return chain;
}

/** A PostgreSQL server's error (pg, PGlite): a SQLSTATE code and the server's fields. */
function isServerError(e: Error): boolean {
  const { code } = e as { code?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && ("severity" in e || "routine" in e);
}

/** Drizzle's query error, or the server's. */
function isDatabaseError(e: Error): boolean {
  return ("query" in e && "params" in e) || isServerError(e);
}

// PGlite's bundle minifies the class name away ("O"), and pg names its instances "error".
const className = (e: Error) => (isServerError(e) ? "DatabaseError" : e.constructor.name || e.name);

/**
 * The `err` of a log line. A database error carries the statement's values — Drizzle's message
 * ("Failed query: … params: …") and `params`, PostgreSQL's `detail` ("Key (email)=(…) already
 * exists") and some messages ("invalid input syntax for type uuid: …") — so it is logged by class,
 * code and constraint, with the stack's frames but not its first line (the message). Any other error
 * is logged as pino would: a bug needs its message.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const chain = causes(err);
  if (!chain.some(isDatabaseError)) return pino.stdSerializers.err(err);
  const logged: Record<string, unknown> = { type: chain.map(className).join(" < ") };
  for (const field of DATABASE_FIELDS) {
    const value = chain.map((e) => (e as unknown as Record<string, unknown>)[field]).find((v) => typeof v === "string" || typeof v === "number");
    if (value !== undefined) logged[field] = value;
  }
  const frames = (err.stack ?? "").split("\n").filter((line) => line.startsWith("    at "));
  if (frames.length > 0) logged.stack = frames.join("\n");
  return logged;
}

/**
 * Standard output, written asynchronously (pino's default) but in writes of whole lines of at most
 * PIPE_BUF bytes: pino's default coalesces up to 16 KiB, which processes sharing one pipe tear.
 * A line longer than PIPE_BUF (a long stack) is written alone, but may still be split.
 */
export function stdoutDestination(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 0, maxWrite: PIPE_BUF });
  // At exit pino writes what is still buffered synchronously; when the reader is gone (EPIPE)
  // those lines have nowhere to go, and the process must still exit. sonic-boom 5 throws there
  // (4 retried forever, so the process hung until killed): the lines are dropped silently, as
  // pino drops them when an asynchronous write meets EPIPE.
  const flushSync = destination.flushSync.bind(destination);
  destination.flushSync = () => {
    try {
      flushSync();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EPIPE") throw err;
    }
  };
  return destination;
}

/** `fields`: added to every line (the active trace's ids, when tracing is on). */
export function createLogger(level: string, destination?: DestinationStream, fields?: () => Record<string, string>): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: SERVICE, version: VERSION, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...(fields ? { mixin: fields } : {}),
    // A safety net: the serializers below never log headers or bodies, and error messages never
    // carry secrets. Explicit paths only: wildcard paths cost ~15% of a cached request's time.
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "headers.authorization",
        "headers.cookie",
        "body.password",
        "body.refresh_token",
        "body.session",
        "body.responses",
      ],
      censor: "[Redacted]",
    },
    serializers: {
      err: serializeError,
      // No id: a request's lines carry it already, as `reqId` (Fastify's child logger).
      req(req: IncomingMessage & { ip?: string }) {
        return { method: req.method, url: recordedUrl(req.url ?? ""), remoteAddress: req.ip ?? req.socket?.remoteAddress };
      },
    },
  };
  return pino(options, destination ?? stdoutDestination());
}
