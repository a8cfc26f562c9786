// Profiles by Cognito sub, per instance. A write on this instance replaces the entry at once; a
// write on another instance is seen here when the entry expires, within one second. Requests that
// miss together share one database read: a busy user's entry expires every second, and sending
// every request then in flight to the database queued them behind each other (case B's p99 in
// BENCHMARKS.md).
import { LRUCache } from "lru-cache";
import type { User } from "./tables.ts";

export const PROFILE_CACHE_TTL_MS = 1000;

export class ProfileCache {
  private readonly cache: LRUCache<string, User> | undefined;
  private readonly loading = new Map<string, Promise<User | undefined>>();

  /** `size` 0 turns the cache off. */
  constructor(
    size: number,
    ttlMs = PROFILE_CACHE_TTL_MS,
    private readonly onLookup?: (hit: boolean) => void,
  ) {
    this.cache = size > 0 ? new LRUCache<string, User>({ max: size, ttl: ttlMs, ttlAutopurge: false, updateAgeOnGet: false }) : undefined;
  }

  get(sub: string): User | undefined {
    const user = this.cache?.get(sub);
    this.onLookup?.(user !== undefined);
    return user;
  }

  /** The user as `read` finds it; concurrent calls for one sub share a single read. */
  load(sub: string, read: () => Promise<User | undefined>): Promise<User | undefined> {
    const inFlight = this.loading.get(sub);
    if (inFlight) return inFlight;
    const loaded: Promise<User | undefined> = read().finally(() => {
      if (this.loading.get(sub) === loaded) this.loading.delete(sub);
    });
    this.loading.set(sub, loaded);
    return loaded;
  }

  /**
   * Remember a row just read or written. A read that started before a write on this instance may
   * end after it: the older row (by updated_at) never replaces the newer, and later requests do
   * not join that read.
   */
  remember(user: User): User {
    this.loading.delete(user.cognitoSub);
    const known = this.cache?.peek(user.cognitoSub);
    if (known && known.updatedAt > user.updatedAt) return known;
    this.cache?.set(user.cognitoSub, user);
    return user;
  }

  forget(sub: string): void {
    this.loading.delete(sub);
    this.cache?.delete(sub);
  }
}
