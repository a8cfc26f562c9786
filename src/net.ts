import net from "node:net";

/** localhost, 127.0.0.0/8 and ::1: the only hosts where plain http is trusted. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (net.isIPv4(host)) return host.startsWith("127.");
  if (net.isIPv6(host)) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** http://localhost on any port: the pages a developer serves on this machine (the dev stack only). */
export const LOCALHOST_ORIGIN = /^http:\/\/localhost(:\d{1,5})?$/;
