// ConsoleStreams for containers: the main TTY through conmon's attach socket (frames carry a
// 1-byte pipe tag, 2 = stdout, 3 = stderr; input is raw) with resize through the ctl fifo, and
// exec sessions whose PTY master crun hands us over SCM_RIGHTS.
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { connectSeqpacket, openFdStream, setWinsize, type NativeFdStream } from "../../../../native/conmon/index";
import type { ConsoleStream, TermSize } from "../../../domain/driver";

/** Listener fan-out shared by both stream kinds; data that arrives before a listener is kept. */
class StreamBase {
  private dataListeners: ((d: Uint8Array) => void)[] = [];
  private closeListeners: ((reason: string) => void)[] = [];
  private backlog: Uint8Array[] = [];
  private closedReason: string | null = null;

  emitData(d: Uint8Array): void {
    if (this.dataListeners.length === 0) {
      if (this.backlog.length < 256) this.backlog.push(d);
      return;
    }
    for (const l of this.dataListeners) l(d);
  }

  emitClose(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const l of this.closeListeners) l(reason);
  }

  onData(listener: (data: Uint8Array) => void): void {
    this.dataListeners.push(listener);
    const pending = this.backlog;
    this.backlog = [];
    for (const d of pending) listener(d);
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closedReason !== null) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }
}

/** Resize message for conmon's ctl fifo: `1 <rows> <cols>\n` (1 = window resize). */
export function resizeMessage(size: TermSize): string {
  return `1 ${Math.max(1, Math.floor(size.rows))} ${Math.max(1, Math.floor(size.cols))}\n`;
}

export function writeCtl(ctlPath: string, size: TermSize): void {
  // Non-blocking: if conmon is gone there is no reader and open fails instead of hanging.
  const fd = openSync(ctlPath, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    writeSync(fd, resizeMessage(size));
  } finally {
    closeSync(fd);
  }
}

export class AttachConsole extends StreamBase implements ConsoleStream {
  private stream: NativeFdStream;

  constructor(
    attachPath: string,
    private readonly ctlPath: string,
  ) {
    super();
    const fd = connectSeqpacket(attachPath);
    this.stream = openFdStream(
      fd,
      { seqpacket: true, maxMessage: 4096 },
      (frame) => {
        // Tagged output frames; anything else (an empty keep-alive) is dropped.
        if (frame.length > 1 && (frame[0] === 2 || frame[0] === 3)) this.emitData(frame.subarray(1));
      },
      (err) => this.emitClose(err ?? "container console closed"),
    );
  }

  write(data: Uint8Array): void {
    if (this.closed) return;
    this.stream.write(data);
  }

  resize(size: TermSize): void {
    if (this.closed) return;
    try {
      writeCtl(this.ctlPath, size);
    } catch {
      // conmon already gone: the stream closes on its own.
    }
  }

  /** Flow control for the realtime layer: stop reading while the browser is behind. */
  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** Bytes written but not yet taken by conmon. */
  pending(): number {
    return this.closed ? 0 : this.stream.pending();
  }

  close(): void {
    this.stream.close();
    this.emitClose("closed");
  }
}

export class PtyConsole extends StreamBase implements ConsoleStream {
  private stream: NativeFdStream;

  constructor(
    private readonly fd: number,
    private readonly onFinish: () => void,
  ) {
    super();
    this.stream = openFdStream(
      fd,
      {},
      (chunk) => this.emitData(chunk),
      (err) => {
        this.emitClose(err ?? "process exited");
        this.onFinish();
      },
    );
  }

  write(data: Uint8Array): void {
    if (this.closed) return;
    this.stream.write(data);
  }

  resize(size: TermSize): void {
    if (this.closed) return;
    setWinsize(this.fd, Math.max(1, size.rows), Math.max(1, size.cols));
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  pending(): number {
    return this.closed ? 0 : this.stream.pending();
  }

  /** Closing the PTY master hangs up the exec'd shell. */
  close(): void {
    this.stream.close();
  }
}
