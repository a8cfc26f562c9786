// Profiles by Cognito sub, per instance. A write on this instance replaces the entry at once; a
// write on another instance is seen here when the entry expires, within one second.
import { LRUCache } from "lru-cache";
import type { User } from "./schema.ts";

export const PROFILE_CACHE_TTL_MS = 1000;

export class ProfileCache {
  private readonly cache: LRUCache<string, User> | undefined;

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

  remember(user: User): User {
    this.cache?.set(user.cognitoSub, user);
    return user;
  }

  forget(sub: string): void {
    this.cache?.delete(sub);
  }
}
