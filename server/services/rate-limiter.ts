// Progressive delay for failed sign-ins, per key (a client address, a user name, a trusted
// device). The first `free` failures cost nothing; after that each further failure doubles the
// wait before the key may try again, up to `capMs`. There is never a lock: once the wait is over
// the right password works, so an attacker can slow a name down but not shut its owner out.
// A failure is counted when the attempt starts (before the slow hash), so attempts in flight
// together cannot all slip past the check; a success gives its reservation back.
export interface DelayPolicy {
  /** Failures allowed before any delay. */
  free: number;
  /** The first delay; each further failure doubles it. */
  baseMs: number;
  capMs: number;
  /** A key quiet this long starts afresh. */
  forgetMs: number;
}

interface Entry {
  failures: number;
  lastAt: number;
}

export class ProgressiveDelay {
  private readonly entries = new Map<string, Entry>();
  constructor(
    private readonly policy: DelayPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds before `key` may try again; 0 when it may try now. */
  waitMs(key: string): number {
    const e = this.current(key);
    if (!e || e.failures < this.policy.free) return 0;
    const delay = Math.min(this.policy.capMs, this.policy.baseMs * 2 ** (e.failures - this.policy.free));
    return Math.max(0, e.lastAt + delay - this.now());
  }

  /** Counts an attempt as failed before its outcome is known; `settle` or `refund` follows. */
  reserve(key: string): void {
    let e = this.current(key);
    if (!e) {
      e = { failures: 0, lastAt: 0 };
      this.entries.set(key, e);
      if (this.entries.size > 10_000) this.prune();
    }
    e.failures++;
    e.lastAt = this.now();
  }

  /** The attempt failed: its delay runs from now (the answer), not from when it started. */
  settle(key: string): void {
    const e = this.entries.get(key);
    if (e) e.lastAt = this.now();
  }

  /** The attempt succeeded: give its reservation back (earlier failures still count). */
  refund(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.failures = Math.max(0, e.failures - 1);
    if (e.failures === 0) this.entries.delete(key);
  }

  /** Forget a key's failures altogether. */
  reset(key: string): void {
    this.entries.delete(key);
  }

  private current(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.now() - e.lastAt > this.policy.forgetMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private prune(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (t - e.lastAt > this.policy.forgetMs) this.entries.delete(k);
    // Still too many (a flood of distinct names): drop the oldest, which are the least delayed.
    if (this.entries.size > 10_000) {
      const drop = this.entries.size - 10_000;
      let i = 0;
      for (const k of this.entries.keys()) {
        if (i++ >= drop) break;
        this.entries.delete(k);
      }
    }
  }
}
