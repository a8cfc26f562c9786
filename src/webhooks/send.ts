// One POST to a subscriber, safe against server-side request forgery: the host's every address is
// checked when the connection is made and the connection goes to a checked address (a name that
// resolves to a public address when subscribed and to 169.254.169.254 now is refused); redirects
// are not followed (a 3xx is a failure); at most 64 KB of the answer is read; 10 s in all.
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { unsafeAddress } from "./safe-url.ts";

export const MAX_ANSWER_BYTES = 64 * 1024;
export const SEND_TIMEOUT_MS = 10_000;

export type SendOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

export class UnsafeAddressError extends Error {
  override name = "UnsafeAddressError";
}

/** How names are resolved: dns.lookup (the system's resolver), or a test's. */
export type Resolve = (hostname: string, options: { all: true; family: number; hints: number }, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/** `resolve`, refusing names any of whose addresses is unsafe. */
function checkedLookup(allowLoopback: boolean, resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : (options.family ?? 0);
    resolve(hostname, { all: true, family, hints: options.hints ?? 0 }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const refused = addresses.map((a) => unsafeAddress(a.address, allowLoopback)).find((why) => why !== undefined);
      if (refused || addresses.length === 0) return callback(new UnsafeAddressError(`the host resolves to ${refused ?? "no address"}`), "", 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export class WebhookSender {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(
    private readonly allowLoopback: boolean,
    resolve: Resolve = dns.lookup as unknown as Resolve,
  ) {
    const lookup = checkedLookup(allowLoopback, resolve);
    // Kept-alive connections were checked when they opened; the lookup runs for each new one.
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 16, lookup }),
      https: new https.Agent({ keepAlive: true, maxSockets: 16, lookup }),
    };
  }

  send(target: string, headers: Record<string, string>, body: string, timeoutMs = SEND_TIMEOUT_MS): Promise<SendOutcome> {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return Promise.resolve({ ok: false, status: null, error: "invalid URL" });
    }
    // An address literal is never looked up: checked here.
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (ipaddr.isValid(host)) {
      const why = unsafeAddress(host, this.allowLoopback);
      if (why) return Promise.resolve({ ok: false, status: null, error: `refused: ${why}` });
    }
    const secure = url.protocol === "https:";
    if (!secure && !(url.protocol === "http:" && this.allowLoopback)) return Promise.resolve({ ok: false, status: null, error: "refused: not https" });
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: SendOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const request = (secure ? https : http).request(
        url,
        {
          method: "POST",
          agent: secure ? this.agents.https : this.agents.http,
          headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "vrms-backend-webhooks" },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          let read = 0;
          response.on("data", (chunk: Buffer) => {
            read += chunk.length;
            // The answer is not needed beyond its status: a receiver streaming more is cut off.
            if (read > MAX_ANSWER_BYTES) {
              response.destroy();
              finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` });
            }
          });
          response.on("end", () => finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` }));
          response.on("error", () => finish({ ok: false, status, error: "answer interrupted" }));
        },
      );
      const timer = setTimeout(() => {
        request.destroy();
        finish({ ok: false, status: null, error: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      request.on("error", (err: NodeJS.ErrnoException) => {
        finish({ ok: false, status: null, error: err instanceof UnsafeAddressError ? `refused: ${err.message}` : (err.code ?? err.name) });
      });
      request.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
