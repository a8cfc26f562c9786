// Which database failures mean "not reachable right now" (503) rather than a bug (500).
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "57P01", "57P02", "57P03", "53300"]);

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08"))) return true;
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly|Query read timeout|PGlite is closed/i.test(e.message)) {
      return true;
    }
  }
  return false;
}

/** The PostgreSQL error code of a failed query (Drizzle wraps the driver's error in `cause`). */
export function pgErrorCode(err: unknown): { code: string; constraint?: string } | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, constraint } = e as { code?: unknown; constraint?: unknown };
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return { code, ...(typeof constraint === "string" ? { constraint } : {}) };
  }
  return undefined;
}

/**
 * Whether PostgreSQL cancelled the statement (57014 query_canceled): it ran past the connection's
 * statement_timeout, or someone cancelled it. Either way the database is busy, not broken.
 */
export function isStatementCancelled(err: unknown): boolean {
  return pgErrorCode(err)?.code === QUERY_CANCELED;
}

export const QUERY_CANCELED = "57014";
export const UNIQUE_VIOLATION = "23505";
export const FOREIGN_KEY_VIOLATION = "23503";
