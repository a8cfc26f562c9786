// Which host names a server answers to. A web page can rebind its own DNS name to 127.0.0.1 and
// then call a local server as same-origin: only the name it sends (Host) gives it away. The dev
// stack's API and Cognito answer to their loopback names alone; `npm run serve` to ALLOWED_HOSTS
// when that is set. One function for both, so that they cannot drift apart.
import type { IncomingMessage } from "node:http";

/** What a server on this machine is called by its own clients (the printed URLs use `localhost`). */
export function loopbackHosts(port: number): string[] {
  return [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];
}

/** `host:port` without its port (`[::1]:8000` → `[::1]`). */
const withoutPort = (authority: string) => authority.replace(/:\d*$/, "");

/** `scheme://authority/…`: a request target in absolute-form (RFC 9112 §3.2.2). */
const ABSOLUTE_FORM = /^[a-z][a-z\d+.-]*:\/\/([^/?#]*)/i;

/**
 * Whether a request names only allowed hosts. Entries are `host` (any port) or `host:port`
 * (exactly), compared without case. A request with no Host (HTTP/1.0) names nothing allowed; one
 * whose target is in absolute-form (`GET http://evil/ HTTP/1.1`) must name an allowed host there
 * too, since that authority is the request's host whatever Host says (RFC 9112 §3.2.2) and the
 * router serves such a target by its path.
 */
export function hostAllowList(entries: readonly string[]): (req: Pick<IncomingMessage, "headers" | "url">) => boolean {
  const exact = new Set<string>();
  const anyPort = new Set<string>();
  for (const entry of entries) {
    const name = entry.toLowerCase();
    (/:\d+$/.test(name) ? exact : anyPort).add(name);
  }
  const allowed = (authority: string) => {
    const name = authority.toLowerCase();
    return exact.has(name) || anyPort.has(withoutPort(name));
  };
  return (req) => {
    const host = req.headers.host;
    if (host === undefined || !allowed(host)) return false;
    const target = req.url ?? "/";
    if (target.startsWith("/") || target === "*") return true;
    const authority = ABSOLUTE_FORM.exec(target)?.[1];
    return authority !== undefined && !authority.includes("@") && allowed(authority);
  };
}
