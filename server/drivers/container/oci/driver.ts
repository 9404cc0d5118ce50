// ContainerDriver: GuestDriver for OCI containers run by crun under one conmon each, a thin
// surface over its parts: the record store (store.ts), file layout (layout.ts), the create planner
// and creator (create-plan.ts, create.ts), lifecycle (lifecycle.ts over process-control.ts), the
// supervisor (supervisor.ts: exits, watchdog, restart policy), stats, consoles, and the orphan
// sweep at start (sweep.ts). The truth is on disk (`${dataDir}/containers/<uuid>/`) and in the
// kernel; a new instance after a Tandem restart re-adopts whatever is still running.
import { chmodSync, mkdirSync } from "node:fs";
import { GuestName, type GuestAction, type GuestState } from "../../../contract/guest";
import type {
  ConsoleStream,
  DriverEvent,
  DriverGuest,
  GuestDriver,
  GuestSpec,
  LogLine,
  NicHotplugCapable,
  Progress,
  ResolvedNic,
  TermSize,
} from "../../../domain/driver";
import { specOfKind } from "../../../domain/driver";
import { AppError, invalidState, notFound } from "../../../domain/errors";
import { EventHub } from "../../../domain/event-hub";
import { parseGuestId } from "../../../domain/ids";
import { silentLogger, type Logger } from "../../../domain/logger";
import { cgroupDirs } from "./cgroups";
import { hostConfinement } from "./confinement";
import { changeNics, hotAttach, hotDetach, planNic, type NicRecord } from "./container-nics";
import { checkExecCommand, containerLogs, execConsole, openMainConsole, resizeMainConsole } from "./consoles";
import { validateLimits } from "./create-plan";
import { prepareHostRuntime } from "./host";
import { KeyedLock } from "./keyed-lock";
import { ContainerLayout } from "./layout";
import { applyLimitsLive, writeLimits } from "./limits";
import { Network } from "./network";
import type { ContainerDriverOptions } from "./options";
import { assembleParts, type Parts } from "./parts";
import type { ContainerRecord } from "./record";
import { deriveState, toDriverGuest } from "./state";
import { sampleContainers, type ContainerSample } from "./stats";
import { RecordStore } from "./store";
import { ContainerVolumeMounts } from "./volumes";
import { watchExitDir } from "./supervisor";
import { sweepOrphans } from "./sweep";
import { GiB, sweepTrash } from "./writable-layer";

export type { ContainerSample } from "./stats";
export type { ContainerDriverOptions } from "./options";

/** Containers sampled in one synchronous pass (~6 small files each). */
const SAMPLE_CHUNK = 64;

export interface ContainerDetails {
  guest: DriverGuest;
  record: ContainerRecord;
  pid: number | null;
  oomKills: number;
}

export class ContainerDriver implements GuestDriver, NicHotplugCapable {
  readonly kind = "container" as const;
  /** remove() SIGKILLs a running container and waits for it, exactly as a stop does. */
  readonly removesRunning = true;
  readonly volumeMounts = new ContainerVolumeMounts(
    () => this.store,
    (u) => this.layout.paths(u).dir,
  );
  readonly network: Network;
  private readonly log: Logger;
  private readonly layout: ContainerLayout;
  private readonly store: RecordStore;
  private readonly locks = new KeyedLock();
  private readonly hub = new EventHub();
  private parts!: Parts;
  private stopWatching: (() => void) | null = null;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(private readonly opts: ContainerDriverOptions) {
    this.log = opts.logger ?? silentLogger;
    this.layout = new ContainerLayout(opts.dataDir, opts.cgroupParent ?? "tandem");
    this.store = new RecordStore(this.layout);
    this.network = new Network({
      bridge: opts.bridge ?? "tandem0",
      subnet: opts.subnet ?? "10.89.0.0/24",
      nftTable: opts.nftTable ?? "tandem",
      netnsPrefix: opts.netnsPrefix ?? "tandem-",
    });
    this.ready = this.init();
    this.ready.catch((e: unknown) => this.log.error({ err: String(e) }, "container driver failed to start"));
  }

  // ---------------------------------------------------------------- start-up and re-adoption

  private async init(): Promise<void> {
    const { layout, store, log } = this;
    const host = prepareHostRuntime({ dataDir: this.opts.dataDir, runtimePath: this.opts.runtimePath });
    // Podman's capabilities and seccomp filter: without them the driver does not start.
    const confinement = hostConfinement();
    const parts = assembleParts({
      opts: this.opts,
      layout,
      store,
      network: this.network,
      locks: this.locks,
      log,
      host,
      confinement,
      stateOf: (rec) => this.stateOf(rec),
      changed: (uuid) => this.changed(uuid),
      emit: (e) => this.hub.emit(e),
    });
    this.parts = parts;
    for (const d of [layout.containersDir, layout.exitDir, layout.socketDir]) mkdirSync(d, { recursive: true });
    // Traversable, not listable: a user-namespaced root must reach its own rootfs below it.
    chmodSync(layout.containersDir, 0o711);
    for (const p of sweepTrash(layout.containersDir)) {
      p.catch((e: unknown) => log.warn({ err: String(e) }, "removing a left-over disk image failed"));
    }
    this.stopWatching = watchExitDir(layout.exitDir, (file) => {
      const uuid = layout.uuidOfRuntimeId(file);
      if (!uuid || !store.has(uuid)) return;
      // Seen at once (the list answers from memory), before the exit is finalized under the lock.
      parts.procs.isAlive(uuid);
      void parts.supervisor.handleExit(uuid);
    });
    const { loaded, invalid } = store.load();
    for (const x of invalid)
      log.warn({ uuid: x.uuid, err: x.error }, "skipping a container directory without a valid state.json");
    for (const rec of loaded) {
      if (rec.creating) {
        // Tandem died half-way through create: nothing the user saw succeed, so clean up.
        log.warn({ id: rec.id }, "removing a container whose creation was interrupted");
        await parts.lifecycle
          .teardown(rec)
          .catch((e: unknown) => log.error({ id: rec.id, err: String(e) }, "cleanup failed"));
        continue;
      }
      // Exits that happened while Tandem was away are handled now (restart policy included).
      await parts.supervisor.adopt(rec);
    }
    // The first create of the default size finds its disk formatted.
    parts.disks.start(parts.defaultDiskGiB === null ? null : parts.defaultDiskGiB * GiB);
    // conmon writes the exit file; if conmon itself is killed, nobody does. Once a second, look
    // for containers that should run but whose init is gone without one (cheap: a /proc read each).
    parts.supervisor.start();
    // What a crash or a half-done removal left that no record owns.
    await sweepOrphans({
      layout,
      cgroups: host.layout,
      network: this.network,
      runtime: parts.runtime,
      records: () => store.all(),
      log,
    });
    // Containers wired before addresses were pinned get the MAC their pin expects.
    for (const rec of store.all()) {
      if (rec.network.mode !== "bridge" || !rec.network.ip) continue;
      await this.network
        .adoptAddress(rec.uuid, rec.network.ip)
        .catch((e: unknown) => log.warn({ id: rec.id, err: String(e) }, "could not pin the container's MAC"));
    }
    // Published ports are held again (a port something took while Tandem was down is reported).
    await parts.ports.sync().catch((e: unknown) => log.warn({ err: String(e) }, "port sync failed"));
  }

  private async ensureReady(): Promise<Parts> {
    await this.ready;
    if (this.closed) throw new AppError("BACKEND_UNAVAILABLE", "the container driver is closed");
    return this.parts;
  }

  // ---------------------------------------------------------------- helpers

  private uuidOf(id: string): string {
    const p = parseGuestId(id);
    if (!p || p.kind !== "container" || p.hostId !== this.opts.hostId || !this.store.has(p.uuid)) {
      throw notFound("container", id);
    }
    return p.uuid;
  }

  /**
   * The state now, from what the kernel says (and remembered); with `lastSeen`, as last seen,
   * from memory: what the list shows. Every change of a container's process is seen when it
   * happens (its action or the supervisor reports it through changed(), conmon's exit file is
   * watched) and the watchdog looks at every container wanted running once a second, so an init
   * killed together with its conmon shows stopped within that second.
   */
  private stateOf(rec: ContainerRecord, lastSeen = false): GuestState {
    const { procs, lifecycle } = this.parts;
    const seen = rec.creating ? null : lastSeen ? procs.lastSeen(rec.uuid) : procs.observe(rec.uuid);
    return deriveState(rec, {
      transition: lifecycle.transition(rec.uuid),
      alive: !!seen?.alive,
      frozen: () => !!seen?.frozen,
    });
  }

  private toGuest(rec: ContainerRecord): DriverGuest {
    return toDriverGuest(rec, this.opts.hostId, this.stateOf(rec));
  }

  private changed(uuid: string): void {
    const rec = this.store.find(uuid);
    this.hub.emit({ type: "changed", id: rec?.id ?? uuid, state: rec ? this.stateOf(rec) : undefined });
  }

  // ---------------------------------------------------------------- GuestDriver: queries

  async list(): Promise<DriverGuest[]> {
    await this.ensureReady();
    return this.store.all().map((r) => toDriverGuest(r, this.opts.hostId, this.stateOf(r, true)));
  }

  async get(id: string): Promise<DriverGuest> {
    await this.ensureReady();
    return this.toGuest(this.store.get(this.uuidOf(id)));
  }

  async details(id: string): Promise<ContainerDetails> {
    const { procs } = await this.ensureReady();
    const uuid = this.uuidOf(id);
    const rec = this.store.get(uuid);
    return {
      guest: this.toGuest(rec),
      record: rec,
      pid: procs.isAlive(uuid) ? procs.readPid(uuid) : null,
      oomKills: rec.oomKills + (procs.stats(uuid)?.oomKills ?? 0),
    };
  }

  async health(): Promise<{ healthy: boolean; message: string }> {
    try {
      await this.ready;
      return { healthy: true, message: `crun ${this.parts.host.runtimePath}, cgroups ${this.parts.host.layout.mode}` };
    } catch (e) {
      return { healthy: false, message: e instanceof Error ? e.message : String(e) };
    }
  }

  events(signal: AbortSignal): AsyncIterable<DriverEvent> {
    return this.hub.subscribe(signal);
  }

  // ---------------------------------------------------------------- GuestDriver: changes

  async create(spec: GuestSpec, progress: (p: Progress) => void): Promise<DriverGuest> {
    const { creator } = await this.ensureReady();
    return creator.create(specOfKind(spec, "container"), progress);
  }

  async act(id: string, action: GuestAction): Promise<void> {
    const { lifecycle } = await this.ensureReady();
    const uuid = this.uuidOf(id);
    await this.locks.run(uuid, () => lifecycle.act(uuid, action));
  }

  /** The container's own name (its hostname stays what it was created with). */
  async rename(id: string, name: string): Promise<void> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    const parsed = GuestName.safeParse(name);
    if (!parsed.success) throw new AppError("VALIDATION", `invalid name: ${parsed.error.issues[0]?.message}`);
    await this.locks.run(uuid, async () => {
      this.store.get(uuid);
      for (const r of this.store.all()) {
        if (r.uuid !== uuid && r.name === name)
          throw new AppError("CONFLICT", `a container named '${name}' already exists`);
      }
      this.store.update(uuid, { name });
    });
    this.changed(uuid);
  }

  /** A running container is renamed and resized in place. */
  readonly liveResize = true;

  /** New CPU and memory limits: applied live to a running container and kept for later starts. */
  async resize(id: string, size: { vcpus?: number; memoryMiB?: number }): Promise<void> {
    const { host, procs, runtime } = await this.ensureReady();
    const uuid = this.uuidOf(id);
    validateLimits(size, host);
    await this.locks.run(uuid, async () => {
      if (this.store.get(uuid).creating) throw invalidState("the container is still being created");
      if (procs.isAlive(uuid)) await applyLimitsLive(runtime, this.layout.runtimeId(uuid), size, host.layout);
      procs.limitsChanged(uuid);
      writeLimits(this.layout.paths(uuid), size);
      this.store.update(uuid, {
        ...(size.vcpus !== undefined ? { vcpus: size.vcpus } : {}),
        ...(size.memoryMiB !== undefined ? { memoryMiB: size.memoryMiB } : {}),
      });
    });
    this.changed(uuid);
  }

  /** NICs on Tandem networks added / removed (container-nics.ts): in its netns at once when it runs. */
  async attachNic(id: string, nic: ResolvedNic & { index: number; iface: string }): Promise<void> {
    const uuid = this.uuidOf(id);
    await this.onNics(uuid, (rec, netns) => hotAttach(rec, planNic(uuid, nic, nic.index), netns));
  }
  async detachNic(id: string, nic: { mac: string }): Promise<void> {
    await this.onNics(this.uuidOf(id), (rec) => hotDetach(rec, nic.mac));
  }

  private async onNics(uuid: string, change: (r: ContainerRecord, netns: string | null) => Promise<NicRecord[]>) {
    const { procs } = await this.ensureReady();
    await this.locks.run(uuid, () => changeNics(this.store, uuid, procs.isAlive(uuid), this.network, change));
    this.changed(uuid);
  }

  /**
   * Removes the container and everything it owns on the host. `purgeDisks: false` keeps its
   * writable layer (disk.ext4, or upper/), log, config.json and record in
   * `${dataDir}/kept-containers/<uuid>/` for recovery; `true` deletes them too.
   */
  async remove(id: string, opts: { purgeDisks: boolean }): Promise<void> {
    const { lifecycle } = await this.ensureReady();
    const uuid = this.uuidOf(id);
    await this.locks.run(uuid, () => lifecycle.remove(this.store.get(uuid), opts.purgeDisks));
    this.hub.emit({ type: "removed", id });
  }

  // ---------------------------------------------------------------- stats, consoles, exec, logs

  /**
   * One sample of each container, SAMPLE_CHUNK at a time with the event loop let through in
   * between: at 500 containers the ~3,000 file reads of one pass held it ~50–100 ms every second.
   */
  async sample(ids: string[]): Promise<ContainerSample[]> {
    const { procs, host } = await this.ensureReady();
    const out: ContainerSample[] = [];
    for (let i = 0; i < ids.length; i += SAMPLE_CHUNK) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      out.push(...sampleContainers(ids.slice(i, i + SAMPLE_CHUNK), this.store, procs, host.memTotalBytes));
    }
    return out;
  }

  async openConsole(id: string, size: TermSize): Promise<ConsoleStream> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    return openMainConsole(this.layout.paths(uuid), this.stateOf(this.store.get(uuid)), size);
  }

  /** Runs cmd in the running container on a new PTY (a second console). */
  async exec(id: string, cmd: string[], size: TermSize): Promise<ConsoleStream> {
    const { runtime } = await this.ensureReady();
    const uuid = this.uuidOf(id);
    checkExecCommand(cmd);
    const state = this.stateOf(this.store.get(uuid));
    if (state !== "running") throw invalidState(`cannot exec in a container that is ${state}`);
    return execConsole(runtime, this.layout.runtimeId(uuid), this.layout.paths(uuid), cmd, size);
  }

  async logs(id: string, opts: { follow?: boolean; signal?: AbortSignal } = {}): Promise<AsyncIterable<LogLine>> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    return containerLogs(this.layout.paths(uuid), opts, () => this.store.has(uuid));
  }

  /** Resizes the main console without an open stream (e.g. from a REST call). */
  async resizeConsole(id: string, size: TermSize): Promise<void> {
    await this.ensureReady();
    resizeMainConsole(this.layout.paths(this.uuidOf(id)), size);
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    this.closed = true;
    this.stopWatching?.();
    this.parts?.supervisor.close();
    await this.locks.drain();
    await this.parts?.disks.close();
    // Held ports go with the process; the DNAT for other machines stays.
    this.network.close();
  }

  /** For tests and diagnostics: where things live. */
  debugPaths(id: string): {
    dir: string;
    cgroups: string[];
    netns: string;
    runtimeId: string;
    hostVeth: string | null;
  } {
    const uuid = this.uuidOf(id);
    return {
      dir: this.layout.paths(uuid).dir,
      cgroups: cgroupDirs(this.parts.host.layout, this.layout.cgroupRel(uuid)),
      netns: this.network.netnsPath(uuid),
      runtimeId: this.layout.runtimeId(uuid),
      hostVeth: this.store.get(uuid).network.hostVeth,
    };
  }
}
