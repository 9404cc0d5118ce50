// Fixed-window limiter for failed logins, keyed by client address and by user name, so neither
// one address nor a spread of addresses can guess one account's password quickly. Successful
// sign-ins do not count.
export class RateLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before `key` may try again; 0 when it may try now. */
  retryAfter(key: string): number {
    const entry = this.failures.get(key);
    const t = this.now();
    if (!entry || entry.resetAt <= t || entry.count < this.limit) return 0;
    return Math.ceil((entry.resetAt - t) / 1000);
  }

  recordFailure(key: string): void {
    const t = this.now();
    let entry = this.failures.get(key);
    if (!entry || entry.resetAt <= t) {
      entry = { count: 0, resetAt: t + this.windowMs };
      this.failures.set(key, entry);
    }
    entry.count++;
    if (this.failures.size > 10_000) this.prune(t);
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private prune(t: number): void {
    for (const [k, v] of this.failures) if (v.resetAt <= t) this.failures.delete(k);
  }
}
