// Security headers. Every answer carries the few that protect an API's JSON (the OWASP REST
// Security Cheat Sheet's list); an HTML page adds helmet's headers for documents. Computed once at
// start: @fastify/helmet runs helmet's middleware on every request (re-serializing the CSP each
// time), and helmet's dozen document headers on every JSON answer cost ~1.5 µs of a ~20 µs
// `/healthz` (BENCHMARKS.md, case A) while protecting nothing a browser does with JSON.
import helmet, { type HelmetOptions } from "helmet";
import type { IncomingMessage, ServerResponse } from "node:http";

/** No page of ours is meant to be framed, not even by our own origin (browsers obey this over X-Frame-Options). */
export const NO_FRAMING = "'none'";

/** No content may load or frame under an API answer: it is data, never a page. */
export const API_CSP = `default-src 'none'; frame-ancestors ${NO_FRAMING}`;

/** Whether a Content-Type is a document a browser renders (and runs scripts in). */
export function isPage(contentType: unknown): boolean {
  return typeof contentType === "string" && /^\s*(text\/html|application\/xhtml\+xml|image\/svg\+xml)\b/i.test(contentType);
}

export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": API_CSP,
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
  // Profiles and lists are personal data: no browser or proxy keeps a copy.
  "cache-control": "no-store",
});

/** helmet's headers for `options`, as a name → value record. */
export function securityHeaders(options: Readonly<HelmetOptions> = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader(name: string) {
      return headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => {});
  return headers;
}

/**
 * What an HTML page adds to API_HEADERS: helmet's document headers (the opener policy, no
 * referrer — the /admin page's URL carries an OAuth code after sign-in —, …), and helmet's
 * default CSP (framed by no one) for a page that sets none of its own. The API's framing rule stays.
 */
export function documentHeaders(): { headers: Readonly<Record<string, string>>; csp: string } {
  const { "content-security-policy": csp, ...rest } = securityHeaders({ contentSecurityPolicy: { directives: { "frame-ancestors": [NO_FRAMING] } } });
  const headers = Object.fromEntries(Object.entries(rest).filter(([name]) => !(name in API_HEADERS)));
  return { headers: Object.freeze(headers), csp: csp! };
}
