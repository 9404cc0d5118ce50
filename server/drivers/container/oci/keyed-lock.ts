// One operation at a time per key (a container's uuid): lifecycle actions, exit handling and
// restarts of one container queue behind each other, other containers are not held up.
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs fn after every earlier run for key settled (a failure does not block the queue). */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return next;
  }

  /** Something runs or waits for key. */
  held(key: string): boolean {
    return this.tails.has(key);
  }

  /** Settles when everything queued now has run. */
  async drain(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
