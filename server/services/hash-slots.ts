// How many password hashes may run at once: overall, per client address and per user name.
// scrypt runs on libuv's thread pool (4 threads), which Node shares with file system and other
// native work; capping the hashes below the pool's size keeps threads free for everything else,
// and caps the memory scrypt takes (128 MiB each). A sign-in that finds its slots taken is told
// to come back (429) at once instead of queueing; authenticated work (creating a user, setting a
// password) waits its turn for an overall slot.
export interface SlotLimits {
  total: number;
  perAddress: number;
  perUser: number;
}

export class HashSlots {
  private inFlight = 0;
  private readonly byKey = new Map<string, number>();
  private readonly waiting: (() => void)[] = [];
  /** Hashes started, the most ever in flight at once: for tests and /metrics. */
  readonly stats = { total: 0, inFlight: 0, maxInFlight: 0 };

  constructor(readonly limits: SlotLimits) {}

  /** Slots for one sign-in attempt, or null when any of its caps is reached. */
  tryTake(address: string, user: string): (() => void) | null {
    const a = `a:${address}`;
    const u = `u:${user}`;
    if (
      this.inFlight >= this.limits.total ||
      (this.byKey.get(a) ?? 0) >= this.limits.perAddress ||
      (this.byKey.get(u) ?? 0) >= this.limits.perUser
    ) {
      return null;
    }
    this.bump(a, 1);
    this.bump(u, 1);
    return this.started(() => {
      this.bump(a, -1);
      this.bump(u, -1);
    });
  }

  /** An overall slot for authenticated hashing; waits for one to free up. */
  async take(): Promise<() => void> {
    while (this.inFlight >= this.limits.total) await new Promise<void>((r) => this.waiting.push(r));
    return this.started(() => {});
  }

  private started(releaseKeys: () => void): () => void {
    this.inFlight++;
    this.stats.total++;
    this.stats.inFlight = this.inFlight;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseKeys();
      this.inFlight--;
      this.stats.inFlight = this.inFlight;
      this.waiting.shift()?.();
    };
  }

  private bump(key: string, by: number) {
    const n = (this.byKey.get(key) ?? 0) + by;
    if (n > 0) this.byKey.set(key, n);
    else this.byKey.delete(key);
  }
}
