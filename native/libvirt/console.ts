// A domain's console as a stream: buffers what arrives before the first listener, tells listeners
// why it closed, queues writes. Fed by the addon's StreamEvent callbacks (ops.gen.ts).
import type { NativeStream } from "./native";
import { StreamEvent } from "./ops.gen";

/**
 * A console stream. Data that arrives before the first `onData` listener is buffered, so
 * nothing from the guest is lost between open and subscribe.
 */
export class Console {
  private n: NativeStream | null = null;
  private dataListeners: ((b: Buffer) => void)[] = [];
  private closeListeners: ((reason: string, err?: Error) => void)[] = [];
  private early: Buffer[] = [];
  private closed: { reason: string; err?: Error } | null = null;
  private lastError: Error | undefined;

  /** @internal */
  attach(n: NativeStream): void {
    this.n = n;
  }
  /** @internal */
  dispatch(type: number, payload?: Buffer | Error): void {
    if (type === StreamEvent.DATA && payload instanceof Buffer) {
      if (this.dataListeners.length === 0) this.early.push(payload);
      for (const l of this.dataListeners) l(payload);
    } else if (type === StreamEvent.ERROR && payload instanceof Error) {
      this.lastError = payload;
    } else if (type === StreamEvent.END) {
      this.closed ??= { reason: "eof" };
    } else if (type === StreamEvent.CLOSED) {
      const c = this.closed ?? (this.lastError ? { reason: "error", err: this.lastError } : { reason: "closed" });
      this.closed = c;
      for (const l of this.closeListeners) l(c.reason, c.err);
      this.closeListeners = [];
    }
  }
  onData(listener: (data: Buffer) => void): void {
    this.dataListeners.push(listener);
    if (this.early.length) {
      const early = this.early;
      this.early = [];
      for (const b of early) listener(b);
    }
  }
  /** reason: "eof" (guest side closed), "error", or "closed" (by us or on hang-up). */
  onClose(listener: (reason: string, err?: Error) => void): void {
    if (this.closed) listener(this.closed.reason, this.closed.err);
    else this.closeListeners.push(listener);
  }
  /** Queues bytes for the guest; returns how many bytes are still waiting to be sent. */
  write(data: Uint8Array | string): number {
    if (!this.n) throw new Error("console is not open");
    return this.n.write(data);
  }
  get pending(): number {
    return this.n ? this.n.pending() : 0;
  }
  isClosed(): boolean {
    return this.closed !== null || (this.n?.isClosed() ?? true);
  }
  close(): Promise<void> {
    return this.n ? this.n.close() : Promise.resolve();
  }
}
