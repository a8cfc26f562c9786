// Verified tokens, so that a client polling with one token pays for its signature check once.
// Only verified tokens enter; an entry never outlives the token's exp, and a hit is refused once
// its signing key has left the JWKS. Two tiers: TOKEN_CACHE_SIZE entries keyed by a SHA-256 of
// the whole token (never a part of it: a valid signature under another payload must miss) — a
// token is ~1 KB, a hash 32 bytes — and, in front, a few tokens that came back, keyed by their
// text, so that a client repeating its token costs no hash at all. Tokens enter the front tier on
// their second use only: a stream of new tokens would otherwise keep ~1 MB of token texts alive
// just long enough to be promoted to V8's old generation, and leave them there as garbage.
import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { VerifiedToken } from "./claims.ts";

interface Entry {
  token: VerifiedToken;
  kid: string;
  /** Seconds since the epoch (a small integer, stored unboxed). */
  validUntil: number;
}

/** Returning tokens remembered by their text: at ~1 KB each, about 1 MB. */
const RECENT_SIZE = 1024;

export class TokenCache {
  private readonly byHash: LRUCache<string, Entry> | undefined;
  private readonly recent = new Map<string, Entry>();
  private readonly recentSize: number;
  /**
   * The key of the last token that missed: the verifier stores a new token right after its miss,
   * and a SHA-256 of ~1 KB is ~2 µs, a tenth of case C's cost beyond the signature (BENCHMARKS.md).
   */
  private lastMiss: { token: string; key: string } | undefined;

  /** `size` 0 turns the cache off. */
  constructor(
    size: number,
    private readonly onLookup?: (hit: boolean) => void,
  ) {
    this.byHash = size > 0 ? new LRUCache<string, Entry>({ max: size }) : undefined;
    this.recentSize = Math.min(size, RECENT_SIZE);
  }

  private static key(token: string): string {
    // "binary" (latin1): the 32 digest bytes as a 32-character string, the most compact Map key.
    return hash("sha256", token, "binary");
  }

  get(token: string, keyStillTrusted: (kid: string) => boolean): VerifiedToken | undefined {
    if (!this.byHash) return undefined;
    let entry = this.recent.get(token);
    if (!entry) {
      const key = TokenCache.key(token);
      entry = this.byHash.get(key);
      if (entry) this.remember(token, entry);
      else this.lastMiss = { token, key };
    }
    if (entry && (Date.now() >= entry.validUntil * 1000 || !keyStillTrusted(entry.kid))) {
      this.recent.delete(token);
      this.byHash.delete(TokenCache.key(token));
      entry = undefined;
    }
    this.onLookup?.(entry !== undefined);
    return entry?.token;
  }

  /** `validUntil`: exp plus the allowed clock skew, in seconds, as the verifier would judge it. */
  set(token: string, verified: VerifiedToken, kid: string, validUntil: number): void {
    if (!this.byHash || validUntil * 1000 <= Date.now()) return;
    const key = this.lastMiss?.token === token ? this.lastMiss.key : TokenCache.key(token);
    this.lastMiss = undefined;
    this.byHash.set(key, { token: verified, kid, validUntil });
  }

  private remember(token: string, entry: Entry): void {
    // Oldest first out: a Map iterates in insertion order.
    if (this.recent.size >= this.recentSize) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(token, entry);
  }

  get size(): number {
    return this.byHash?.size ?? 0;
  }
}
