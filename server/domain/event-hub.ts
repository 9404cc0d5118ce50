// An unbounded per-subscriber event queue: a slow consumer never blocks a driver (or the
// native event thread feeding it), and every subscriber sees every event from the moment it
// subscribed until its signal aborts.
import type { DriverEvent } from "./driver";

export class EventHub {
  private readonly subscribers = new Set<(e: DriverEvent) => void>();

  emit(e: DriverEvent): void {
    for (const s of this.subscribers) s(e);
  }

  get size(): number {
    return this.subscribers.size;
  }

  async *subscribe(signal: AbortSignal): AsyncIterable<DriverEvent> {
    const queue: DriverEvent[] = [];
    let wake: (() => void) | null = null;
    const push = (e: DriverEvent) => {
      queue.push(e);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.subscribers.add(push);
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      this.subscribers.delete(push);
      signal.removeEventListener("abort", onAbort);
    }
  }
}
