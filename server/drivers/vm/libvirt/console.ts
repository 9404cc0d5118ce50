// ConsoleStream over a libvirt console (virDomainOpenConsole on a non-blocking virStream). A
// serial line has no window size, so resize is a no-op; the browser's terminal wraps by itself.
import type { Console } from "../../../../native/libvirt/index";
import type { ConsoleStream, TermSize } from "../../../domain/driver";

export class SerialConsole implements ConsoleStream {
  private closeListeners: ((reason: string) => void)[] = [];
  private closedReason: string | null = null;

  constructor(
    private readonly c: Console,
    private readonly onDone: () => void = () => undefined,
  ) {
    c.onClose((reason, err) => this.finish(err ? `${reason}: ${err.message}` : reason));
  }

  write(data: Uint8Array): void {
    if (this.closedReason !== null) return;
    try {
      this.c.write(data);
    } catch {
      // The stream closed under us (guest stopped); the close listener reports it.
    }
  }

  resize(_size: TermSize): void {}

  onData(listener: (data: Uint8Array) => void): void {
    this.c.onData((b) => listener(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closedReason !== null) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  /** Bytes queued for the guest but not yet sent (back-pressure for the transport). */
  get pending(): number {
    return this.c.pending;
  }

  close(): void {
    void this.c.close().catch(() => undefined);
  }

  private finish(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.onDone();
    for (const l of this.closeListeners) l(reason);
    this.closeListeners = [];
  }
}
