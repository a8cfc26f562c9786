// Verified tokens, so that a client polling with one token pays for its signature check once.
// Keyed by a hash of the whole token (never a part of it: a valid signature under another payload
// must miss); an entry never outlives the token's exp, and a hit is refused once its signing key
// has left the JWKS. Only verified tokens enter.
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { VerifiedToken } from "./verifier.ts";

interface Entry {
  token: VerifiedToken;
  kid: string;
}

export class TokenCache {
  private readonly cache: LRUCache<string, Entry> | undefined;

  /** `size` 0 turns the cache off. */
  constructor(
    size: number,
    private readonly onLookup?: (hit: boolean) => void,
  ) {
    this.cache = size > 0 ? new LRUCache<string, Entry>({ max: size, ttlAutopurge: false }) : undefined;
  }

  static key(token: string): string {
    return createHash("sha256").update(token).digest("base64url");
  }

  get(key: string, keyStillTrusted: (kid: string) => boolean): VerifiedToken | undefined {
    const entry = this.cache?.get(key);
    this.onLookup?.(entry !== undefined);
    if (!entry) return undefined;
    if (!keyStillTrusted(entry.kid)) {
      this.cache!.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /** `validUntilMs`: exp plus the allowed clock skew, as the verifier would judge it. */
  set(key: string, token: VerifiedToken, kid: string, validUntilMs: number): void {
    const ttl = Math.floor(validUntilMs - Date.now());
    if (!this.cache || ttl <= 0) return;
    this.cache.set(key, { token, kid }, { ttl });
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }
}
