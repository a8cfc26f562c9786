// Reading and re-signing the emulator's JWTs with the key cognito-local publishes in its package
// (kid CognitoLocal), so that the JWKS it serves keeps verifying every token the dev stack issues.
import { createPrivateKey, createPublicKey, sign, verify, type JsonWebKey, type KeyObject } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const privateKey: KeyObject = createPrivateKey({ key: (require("cognito-local/lib/keys/cognitoLocal.private.json") as { jwk: JsonWebKey }).jwk, format: "jwk" });
const publicKey: KeyObject = createPublicKey(privateKey);

export type Claims = Record<string, unknown>;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The payload of a JWT whose signature is the emulator's and which has not expired; else undefined. */
export function verifiedClaims(token: string, nowSeconds = Math.floor(Date.now() / 1000)): Claims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const { alg } = JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: string };
    if (alg !== "RS256") return undefined;
    if (!verify("sha256", Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, "base64url"))) return undefined;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Claims;
    if (typeof claims.exp === "number" && claims.exp <= nowSeconds) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

/** The payload of a token this process just received from the engine (no checks). */
export function claimsOf(token: string): Claims {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString()) as Claims;
}

// The header cognito-local's tokens have (jsonwebtoken's, with its key id).
const ENGINE_HEADER = encode({ alg: "RS256", typ: "JWT", kid: "CognitoLocal" });

function signed(header: string, claims: Claims): string {
  const input = `${header}.${encode(claims)}`;
  return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

/** The same token with `changes` merged into its payload, signed again with the same header and key. */
export function restamp(token: string, changes: Claims): string {
  return signed(token.split(".")[0] ?? ENGINE_HEADER, { ...claimsOf(token), ...changes });
}

/** A new token of exactly `claims`, signed as the engine signs its own. */
export function mint(claims: Claims): string {
  return signed(ENGINE_HEADER, claims);
}
