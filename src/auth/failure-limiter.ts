// AUTH_FAILURE_RATE_LIMIT: bearer-token 401s per minute per client address (as limitKey() counts
// it: an IPv6 client by its /64), per instance. Only failures count, so a busy legitimate client is
// never slowed by its own success.
import { limitKey } from "../http/client-address.ts";

const WINDOW_MS = 60_000;

export class FailureLimiter {
  private counts = new Map<string, number>();
  private windowStart = Date.now();

  /** `limit` 0 turns it off. */
  constructor(private readonly limit: number) {}

  get enabled(): boolean {
    return this.limit > 0;
  }

  /**
   * A failure from this address: counted, and 0 returned, while the address is under the limit;
   * past it, the seconds until the window resets (and the failure is not counted again).
   */
  failure(address: string): number {
    if (!this.enabled) return 0;
    this.roll();
    const key = limitKey(address);
    const count = this.counts.get(key) ?? 0;
    if (count >= this.limit) return this.secondsLeft();
    this.counts.set(key, count + 1);
    return 0;
  }

  private roll(): void {
    // A fixed window keeps memory bounded by the addresses seen in one minute.
    if (Date.now() - this.windowStart >= WINDOW_MS) {
      this.counts.clear();
      this.windowStart = Date.now();
    }
  }

  private secondsLeft(): number {
    return Math.max(1, Math.ceil((this.windowStart + WINDOW_MS - Date.now()) / 1000));
  }
}
