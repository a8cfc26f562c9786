// Each user's stored grants, per instance, for one second: a grant or revocation made on this
// instance replaces the entry at once; one made on another instance is seen here when the entry
// expires, within a second, the same bound (and the same clock) as profiles (users/profile-cache.ts).
// A TTL rather than LISTEN/NOTIFY: it needs no connection that can be down, and an active user
// costs one indexed read a second. Concurrent misses for one user share a single read.
import { LRUCache } from "lru-cache";
import type { Grant } from "./grants.ts";

export const GRANT_CACHE_TTL_MS = 1000;

const NONE: readonly Grant[] = Object.freeze([]);

export class GrantCache {
  private readonly cache: LRUCache<string, readonly Grant[]>;
  private readonly loading = new Map<string, Promise<readonly Grant[]>>();
  /** Bumped by every local change: a read begun before it must not be remembered after it. */
  private generation = 0;

  constructor(
    private readonly read: (user: string) => Promise<Grant[]>,
    size = 10_000,
    ttlMs = GRANT_CACHE_TTL_MS,
  ) {
    this.cache = new LRUCache<string, readonly Grant[]>({ max: size, ttl: ttlMs, ttlAutopurge: false, updateAgeOnGet: false });
  }

  /** The user's grants: synchronously when cached, else a promise shared by concurrent callers. */
  grantsOf(user: string): readonly Grant[] | Promise<readonly Grant[]> {
    return this.cache.get(user) ?? this.load(user);
  }

  private load(user: string): Promise<readonly Grant[]> {
    const inFlight = this.loading.get(user);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const loaded = this.read(user)
      .then((grants) => {
        const frozen = Object.freeze(grants);
        if (generation === this.generation) this.cache.set(user, frozen);
        return frozen;
      })
      .finally(() => {
        if (this.loading.get(user) === loaded) this.loading.delete(user);
      });
    this.loading.set(user, loaded);
    return loaded;
  }

  /**
   * Called before a user's row is inserted; the function it returns, with the new row's uuid once
   * it is in. A row just inserted holds no grants (they reference it), so the new user's first
   * request need not read them (~15 % of case E in BENCHMARKS.md), unless a grant changed on this
   * instance meanwhile. One made on another instance in that moment is seen within the cache's
   * second, as any other.
   */
  expectNew(): (user: string) => void {
    const generation = this.generation;
    return (user) => {
      if (generation === this.generation && !this.cache.has(user)) this.cache.set(user, NONE);
    };
  }

  /** After a change to this user's grants on this instance: the next request reads them again. */
  forget(user: string): void {
    this.generation++;
    this.loading.delete(user);
    this.cache.delete(user);
  }
}
