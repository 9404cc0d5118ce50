// The driver's connection to libvirtd: connects lazily, keeps lifecycle events registered,
// notices a lost daemon (close callback, keepalive, failing calls) and reconnects with capped
// exponential back-off, reporting health changes as DriverEvents. The connect function is
// injected so the back-off logic is unit-tested without a daemon.
import type { Connection, DomainEvent } from "../../../../native/libvirt/index";
import type { Logger } from "../../../domain/logger";

export type ConnectFn = (uri: string, onClose: (reason: string) => void) => Promise<Connection>;

export interface LinkOptions {
  uri: string;
  connect: ConnectFn;
  logger: Logger;
  onDomainEvent: (e: DomainEvent) => void;
  onHealth: (healthy: boolean, message: string) => void;
  /** Back-off steps in ms (default 250 ms doubling to 10 s). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class LibvirtLink {
  private conn: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closed = false;
  private healthy: boolean | null = null;
  private lastError = "not connected yet";
  private generation = 0;

  constructor(private readonly o: LinkOptions) {}

  get isHealthy(): boolean {
    return this.healthy === true && this.conn !== null && this.conn.isAlive();
  }
  get lastMessage(): string {
    return this.lastError;
  }

  /** The live connection, connecting (once, shared) if needed. Rejects while libvirtd is away. */
  get(): Promise<Connection> {
    if (this.closed) return Promise.reject(new Error("the libvirt driver is closed"));
    if (this.conn && this.conn.isAlive()) return Promise.resolve(this.conn);
    if (this.conn) this.lost("connection is not alive");
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Tell the link a call failed with a connection error: it drops the connection and retries. */
  lost(message: string): void {
    if (this.closed || !this.conn) return;
    const c = this.conn;
    this.conn = null;
    this.unsubscribe = null;
    this.generation++;
    void c.close().catch(() => undefined);
    this.setHealth(false, `lost connection to libvirtd: ${message}`);
    this.schedule();
  }

  private async open(): Promise<Connection> {
    const gen = ++this.generation;
    let c: Connection;
    try {
      c = await this.o.connect(this.o.uri, (reason) => {
        if (gen === this.generation) this.lost(`closed (${reason})`);
      });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.setHealth(false, `cannot connect to ${this.o.uri}: ${msg}`);
      this.schedule();
      throw e;
    }
    if (this.closed) {
      await c.close().catch(() => undefined);
      throw new Error("the libvirt driver is closed");
    }
    try {
      this.unsubscribe = await c.onDomainEvent((e) => this.o.onDomainEvent(e));
    } catch (e) {
      await c.close().catch(() => undefined);
      const msg = e instanceof Error ? e.message : String(e);
      this.setHealth(false, `cannot register for domain events: ${msg}`);
      this.schedule();
      throw e;
    }
    this.conn = c;
    this.attempt = 0;
    this.setHealth(true, `connected to ${this.o.uri}`);
    return c;
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    const min = this.o.minDelayMs ?? 250;
    const max = this.o.maxDelayMs ?? 10_000;
    const delay = Math.min(max, min * 2 ** this.attempt);
    this.attempt++;
    this.o.logger.debug({ delay, attempt: this.attempt }, "libvirt reconnect scheduled");
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed || this.conn) return;
      this.get().catch(() => undefined); // a failure schedules the next attempt itself
    }, delay);
    this.timer.unref();
  }

  private setHealth(healthy: boolean, message: string): void {
    if (!healthy) this.lastError = message;
    if (this.healthy === healthy) return;
    this.healthy = healthy;
    (healthy ? this.o.logger.info : this.o.logger.warn).call(this.o.logger, { uri: this.o.uri }, message);
    this.o.onHealth(healthy, message);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.connecting?.catch(() => undefined);
    const c = this.conn;
    this.conn = null;
    if (c) {
      await this.unsubscribe?.().catch(() => undefined);
      await c.close().catch(() => undefined);
    }
  }
}
