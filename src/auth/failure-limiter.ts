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

  /** Seconds until the window resets, or 0 when this address may still try. */
  blockedFor(address: string): number {
    if (!this.enabled) return 0;
    this.roll();
    return (this.counts.get(limitKey(address)) ?? 0) >= this.limit ? this.secondsLeft() : 0;
  }

  recordFailure(address: string): void {
    if (!this.enabled) return;
    this.roll();
    const key = limitKey(address);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
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
