// Standard Webhooks signatures (standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body` with
// the secret's bytes, base64, as `v1,<signature>`; several space-separated while a rotated-out
// secret is still honoured, so that a receiver holding either verifies.
import { createHmac, randomBytes } from "node:crypto";

const PREFIX = "whsec_";

/** A new secret: 32 random bytes, as receivers' libraries expect it (`whsec_<base64>`). */
export function newSecret(): string {
  return PREFIX + randomBytes(32).toString("base64");
}

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`;
}

/** The three headers of a delivery, signed with every secret given (the current one first). */
export function signedHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": secrets.map((secret) => sign(secret, id, timestampSeconds, body)).join(" "),
  };
}
