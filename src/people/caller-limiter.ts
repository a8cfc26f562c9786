// A fixed-window count of calls per caller (a user's uuid), per instance: for routes whose answers
// an attacker would want in bulk (the person lookup), not for ordinary traffic.
const WINDOW_MS = 60_000;

export class CallerLimiter {
  private counts = new Map<string, number>();
  private windowStart = Date.now();

  constructor(private readonly perMinute: number) {}

  /** 0 while the caller is under the limit (the call is counted); past it, the seconds until the window resets. */
  take(caller: string): number {
    if (Date.now() - this.windowStart >= WINDOW_MS) {
      // A fixed window keeps memory bounded by the callers seen in one minute.
      this.counts.clear();
      this.windowStart = Date.now();
    }
    const count = this.counts.get(caller) ?? 0;
    if (count >= this.perMinute) return Math.max(1, Math.ceil((this.windowStart + WINDOW_MS - Date.now()) / 1000));
    this.counts.set(caller, count + 1);
    return 0;
  }
}
