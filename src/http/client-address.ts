// The address a limit counts a client by. An IPv4 address stands for one client; an IPv6 client
// holds at least a /64 (2^64 addresses it may send from), so it is counted by that prefix, and an
// IPv4-mapped IPv6 address is the IPv4 address it maps.
import ipaddr from "ipaddr.js";

export function limitKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === "ipv4") return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(":")}::/64`;
}
