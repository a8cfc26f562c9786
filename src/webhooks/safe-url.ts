// Where a webhook may point. https only (http to loopback when WEBHOOK_ALLOW_HTTP_LOOPBACK=true:
// the dev stack and tests); no address that reaches inside the network the server runs in:
// private, loopback, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT (Alibaba's
// metadata), unique-local (AWS's fd00:ec2::254), multicast, reserved, and IPv6 forms that embed an
// IPv4 address (mapped, NAT64, 6to4, Teredo). Checked when a subscription is made, and again on
// every address its name resolves to when a delivery connects (send.ts), against DNS rebinding.
import ipaddr from "ipaddr.js";
import { isLoopbackHost } from "../net.ts";

export const MAX_URL_LENGTH = 2000;

/** Why an address is refused, or undefined when it is a public unicast address (or allowed loopback). */
export function unsafeAddress(address: string, allowLoopback: boolean): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, "").replace(/%.*$/, ""));
  } catch {
    return "not an IP address";
  }
  const range = parsed.range();
  // ::a.b.c.d (IPv4-compatible, deprecated): ipaddr.js calls it unicast; a host that still routes
  // it reaches the embedded IPv4 address (::a9fe:a9fe is 169.254.169.254).
  if (range === "unicast" && parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return "an IPv4-compatible IPv6 address";
  if (range === "unicast") return undefined;
  if (range === "loopback" && allowLoopback) return undefined;
  const names: Record<string, string> = {
    private: "a private address",
    loopback: "a loopback address",
    linkLocal: "a link-local address (cloud metadata lives there)",
    uniqueLocal: "a unique-local IPv6 address",
    ipv4Mapped: "an IPv4-mapped IPv6 address",
    carrierGradeNat: "a carrier-grade NAT address",
    unspecified: "the unspecified address",
  };
  return names[range] ?? `a ${range} address, not a public one`;
}

/** Why a subscription's URL is refused, or undefined when it may be used. */
export function unsafeUrl(raw: string, allowHttpLoopback: boolean): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return `is longer than ${MAX_URL_LENGTH} characters`;
  // The URL parser drops tabs and line breaks without a word: say so rather than call another URL.
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c === "\u007f")) return "must not contain tabs, line breaks or other control characters";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "is not an absolute URL";
  }
  // "localhost." is localhost (a fully qualified name).
  const loopbackName = isLoopbackHost(url.hostname.replace(/\.$/, ""));
  if (url.protocol === "http:") {
    if (!allowHttpLoopback) return "must use https";
    if (!loopbackName) return "must use https (http only to loopback, in development)";
  } else if (url.protocol !== "https:") {
    return "must use https";
  }
  if (url.username || url.password) return "must not carry credentials";
  if (url.hash) return "must not have a fragment";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (ipaddr.isValid(host)) {
    const why = unsafeAddress(host, allowHttpLoopback);
    return why ? `names ${why}` : undefined;
  }
  if (loopbackName && !allowHttpLoopback) return "names a loopback host";
  return undefined;
}

/**
 * The form a subscription's URL is stored, shown and called in: the parser's own serialisation
 * (scheme and host in lower case, a name in Unicode as its punycode, anything else outside ASCII
 * percent-encoded), so that a right-to-left mark or a look-alike letter cannot make the URL an
 * administrator reads differ from the one the server calls.
 */
export function storedUrl(raw: string): string {
  return new URL(raw).href;
}
