// A complete in-memory GuestDriver for unit tests and UI work: real state rules, consoles that
// echo, samples that move, events for every change. Never the proof that a feature works.
import { setTimeout as sleep } from "node:timers/promises";
import type { GuestAction, GuestKind, GuestState } from "../../contract/guest";
import { canAct } from "../../contract/states";
import type {
  ConsoleStream,
  DriverEvent,
  DriverGuest,
  GuestDriver,
  GuestSample,
  GuestSpec,
  Progress,
  TermSize,
} from "../../domain/driver";
import { AppError, invalidState, notFound } from "../../domain/errors";
import { EventHub } from "../../domain/event-hub";
import { makeGuestId } from "../../domain/ids";

interface FakeGuest extends DriverGuest {
  cpuTimeNs: number;
  lastSampleAt: number;
  diskRead: number;
  diskWrite: number;
  netRx: number;
  netTx: number;
}

export interface FakeDriverOptions {
  kind: GuestKind;
  hostId: string;
  /** Guests present at start (adopted), for scale work. */
  seed?: number;
  /** Simulated create time, ms. */
  createDelayMs?: number;
}

export class FakeDriver implements GuestDriver {
  readonly kind: GuestKind;
  private readonly guests = new Map<string, FakeGuest>();
  private readonly hub = new EventHub();
  private readonly hostId: string;
  private readonly createDelayMs: number;

  constructor(opts: FakeDriverOptions) {
    this.kind = opts.kind;
    this.hostId = opts.hostId;
    this.createDelayMs = opts.createDelayMs ?? 300;
    for (let i = 0; i < (opts.seed ?? 0); i++) {
      const uuid = `seed-${String(i).padStart(5, "0")}`;
      const state: GuestState = i % 5 === 4 ? "stopped" : "running";
      this.put({
        uuid,
        name: `${this.kind === "vm" ? "vm" : "ct"}-${String(i).padStart(4, "0")}`,
        vcpus: 1 + (i % 4),
        memoryMiB: 256 * (1 + (i % 8)),
        image: null,
        state,
        adopted: true,
      });
    }
  }

  async list(): Promise<DriverGuest[]> {
    return [...this.guests.values()].map(publicView);
  }

  async get(id: string): Promise<DriverGuest> {
    return publicView(this.require(id));
  }

  async create(spec: GuestSpec, progress: (p: Progress) => void): Promise<DriverGuest> {
    if (spec.name.includes("fail")) throw new AppError("INTERNAL", "the fake backend fails names containing 'fail'");
    const steps = 4;
    for (let i = 1; i <= steps; i++) {
      await sleep(this.createDelayMs / steps);
      progress({ percent: (i / steps) * 90, message: `step ${i} of ${steps}` });
    }
    const g = this.put({
      uuid: spec.uuid,
      name: spec.name,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      image: spec.resolvedImage.id,
      state: spec.start === false ? "stopped" : "running",
      adopted: false,
      diskGiB: spec.diskGiB ?? null,
    });
    this.emit({ type: "changed", id: g.id, state: g.state });
    return publicView(g);
  }

  async act(id: string, action: GuestAction): Promise<void> {
    const g = this.require(id);
    if (!canAct(g.state, action)) throw invalidState(`cannot ${action} ${g.name}: it is ${g.state}`);
    const next: Record<GuestAction, GuestState> = {
      start: "running",
      shutdown: "stopped",
      stop: "stopped",
      reboot: "running",
      pause: "paused",
      resume: "running",
    };
    // Like a real guest, a fresh boot starts its counters from zero.
    if (action === "start" || action === "reboot")
      Object.assign(g, { cpuTimeNs: 0, diskRead: 0, diskWrite: 0, netRx: 0, netTx: 0 });
    g.state = next[action];
    this.emit({ type: "changed", id, state: g.state });
  }

  /** NIC hotplug (NicHotplugCapable) for the API and UI tests: nothing to plug, the guest must exist. */
  async attachNic(id: string): Promise<void> {
    this.require(id);
  }

  async detachNic(id: string): Promise<void> {
    this.require(id);
  }

  async remove(id: string): Promise<void> {
    this.require(id);
    this.guests.delete(id);
    this.emit({ type: "removed", id });
  }

  async sample(ids: string[]): Promise<GuestSample[]> {
    const now = Date.now();
    const out: GuestSample[] = [];
    for (const id of ids) {
      const g = this.guests.get(id);
      if (!g || g.state !== "running") continue;
      const dt = Math.max(1, now - g.lastSampleAt);
      // A smooth, id-dependent load between 5 % and 65 % of one CPU.
      const phase = (now / 10_000 + hash(id)) % (2 * Math.PI);
      const load = 0.35 + 0.3 * Math.sin(phase);
      g.cpuTimeNs += dt * 1e6 * load;
      g.diskRead += dt * 50;
      g.diskWrite += dt * 120;
      g.netRx += dt * 300;
      g.netTx += dt * 80;
      g.lastSampleAt = now;
      const limit = g.memoryMiB * 1024 * 1024;
      out.push({
        id,
        at: now,
        cpuTimeNs: g.cpuTimeNs,
        cpuCount: g.vcpus,
        memoryUsedBytes: Math.round(limit * (0.3 + 0.1 * Math.sin(phase / 2))),
        memoryLimitBytes: limit,
        diskReadBytes: g.diskRead,
        diskWriteBytes: g.diskWrite,
        netRxBytes: g.netRx,
        netTxBytes: g.netTx,
      });
    }
    return out;
  }

  async openConsole(id: string, _size: TermSize): Promise<ConsoleStream> {
    const g = this.require(id);
    if (g.state !== "running") throw invalidState(`${g.name} is ${g.state}; start it to use its console`);
    return new EchoConsole(`fake ${this.kind} ${g.name}\r\n$ `);
  }

  events(signal: AbortSignal): AsyncIterable<DriverEvent> {
    return this.hub.subscribe(signal);
  }

  async health() {
    return { healthy: true, message: `fake ${this.kind} backend` };
  }

  async close(): Promise<void> {}

  private put(g: {
    uuid: string;
    name: string;
    vcpus: number;
    memoryMiB: number;
    image: string | null;
    state: GuestState;
    adopted: boolean;
    diskGiB?: number | null;
  }): FakeGuest {
    const id = makeGuestId(this.hostId, this.kind, g.uuid);
    const guest: FakeGuest = {
      id,
      hostId: this.hostId,
      kind: this.kind,
      name: g.name,
      state: g.state,
      vcpus: g.vcpus,
      memoryMiB: g.memoryMiB,
      diskGiB: g.diskGiB ?? null,
      image: g.image,
      createdAt: new Date().toISOString(),
      adopted: g.adopted,
      ipAddresses: [],
      cpuTimeNs: 0,
      lastSampleAt: Date.now(),
      diskRead: 0,
      diskWrite: 0,
      netRx: 0,
      netTx: 0,
    };
    this.guests.set(id, guest);
    return guest;
  }

  private require(id: string): FakeGuest {
    const g = this.guests.get(id);
    if (!g) throw notFound("guest", id);
    return g;
  }

  private emit(ev: DriverEvent) {
    this.hub.emit(ev);
  }
}

/** A console that echoes what is typed, like a shell with local echo. */
class EchoConsole implements ConsoleStream {
  private dataListeners: ((d: Uint8Array) => void)[] = [];
  private closeListeners: ((r: string) => void)[] = [];
  private closed = false;
  constructor(private readonly banner: string) {
    setTimeout(() => this.push(new TextEncoder().encode(this.banner)), 0);
  }
  write(data: Uint8Array): void {
    if (this.closed) return;
    const text = new TextDecoder().decode(data).replace(/\r/g, "\r\n");
    this.push(new TextEncoder().encode(text));
  }
  resize(): void {}
  onData(l: (d: Uint8Array) => void): void {
    this.dataListeners.push(l);
  }
  onClose(l: (r: string) => void): void {
    this.closeListeners.push(l);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners) l("closed");
  }
  private push(d: Uint8Array) {
    if (!this.closed) for (const l of this.dataListeners) l(d);
  }
}

function publicView(g: FakeGuest): DriverGuest {
  const { cpuTimeNs: _c, lastSampleAt: _l, diskRead: _dr, diskWrite: _dw, netRx: _r, netTx: _t, ...rest } = g;
  return { ...rest };
}

const hash = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1000, 7) / 100;
