// ContainerDriver: GuestDriver for OCI containers run by crun under one conmon each. The truth is
// on disk (`${dataDir}/containers/<uuid>/`: state.json, bundle, overlay dirs, log, pid files) and
// in the kernel (processes, cgroups, netns); this class re-reads both, so a new instance after a
// Tandem restart re-adopts whatever is still running.
import { randomUUID } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from "node:fs";
import path from "node:path";
import { canAct } from "../../../contract/states";
import { GuestName, type GuestAction, type GuestState } from "../../../contract/guest";
import type {
  ConsoleStream,
  DriverEvent,
  DriverGuest,
  GuestDriver,
  GuestSample,
  GuestSpec,
  Progress,
  TermSize,
} from "../../../domain/driver";
import { AppError, invalidState, notFound } from "../../../domain/errors";
import { assertFreeSpace } from "../../../domain/free-space";
import { makeGuestId, parseGuestId } from "../../../domain/ids";
import { listenForFd } from "../../../../native/conmon/index";
import { cgroupDirs, readCgroupStats, type CgroupStats } from "./cgroups";
import { launchConmon } from "./conmon";
import { AttachConsole, PtyConsole, writeCtl } from "./console";
import { EventHub } from "../../../domain/event-hub";
import { hostConfinement } from "./confinement";
import { prepareHostRuntime, type HostRuntime } from "./host";
import { allocateIdRange, hostSubIdRanges, idMapOf } from "./idmap-ranges";
import { resolveImageLayers } from "./image-layout";
import { readImageFile } from "./rootfs-files";
import { silentLogger, type Logger } from "../../../domain/logger";
import { readLogs, type LogLine } from "./logs";
import { allocateIp, macFor, Network, vethName, type NetworkRules, type PortFailure } from "./network";
import { detachLeftoverBinds, mountOverlay, unmount, isMountPoint } from "./overlay";
import {
  containerPaths,
  listContainerDirs,
  readRecord,
  writeRecord,
  type ContainerPaths,
  type ContainerRecord,
} from "./record";
import { restartDelayMs, shouldRestart } from "./restart";
import { run } from "./run";
import { Runtime } from "./runtime";
import { buildExecProcess, buildSpec, CPU_PERIOD_US, resolveUser, type Confinement, type OciSpec } from "./spec";
import {
  discardLayerImage,
  formatLayerImage,
  GiB,
  imageRootMode,
  mountLayer,
  preallocateLayerImage,
  sweepTrash,
  unmountLayer,
  writableDirs,
} from "./writable-layer";

export interface ContainerDriverOptions {
  hostId: string;
  dataDir: string;
  logger?: Logger;
  /** IPv4 CIDR for container addresses (default 10.89.0.0/24). */
  subnet?: string;
  runtimePath?: string;
  /** Host bridge name (default tandem0). */
  bridge?: string;
  /** nftables tables (ip and bridge family) Tandem owns for its bridge (default tandem). */
  nftTable?: string;
  /** Host ports containers may publish (TANDEM_PUBLISH_PORT_RANGE, default 1024-65535). */
  publishPortRange?: { first: number; last: number };
  /** Tandem's own port (TANDEM_PORT): never published, whatever the range says. */
  tandemPort?: number;
  /** Cgroup parent under each hierarchy (default tandem). */
  cgroupParent?: string;
  /** Prefix of per-container netns names (default tandem-). */
  netnsPrefix?: string;
  /** Grace period of `shutdown` before SIGKILL (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Writable-layer size when the create body names none (TANDEM_CONTAINER_DISK_GIB, default 4). */
  containerDiskGiB?: number;
  /** Free space a container's disk must leave on the data dir's file system (default 2 GiB). */
  diskReserveBytes?: number;
  /**
   * Benchmark baseline only (never set from configuration or the API): `false` creates
   * containers without a user namespace (root is host root) / without a size-limited layer.
   */
  userNamespace?: boolean;
  diskQuota?: boolean;
}

/** What `sample` returns for containers: the shared fields plus what cgroups also tell. */
export interface ContainerSample extends GuestSample {
  oomKills: number;
  memoryWorkingSetBytes: number;
}

export interface ContainerDetails {
  guest: DriverGuest;
  record: ContainerRecord;
  pid: number | null;
  oomKills: number;
}

const RUNTIME_PREFIX = "tandem-";

/** The image's StopSignal ("SIGQUIT", "QUIT", "3") as crun understands it; TERM otherwise. */
export function stopSignalOf(sig: string | null | undefined): string {
  if (!sig) return "TERM";
  const s = sig.trim().toUpperCase().replace(/^SIG/, "");
  return /^([A-Z]{2,8}[0-9]?|RTMIN\+\d+|\d{1,2})$/.test(s) ? s : "TERM";
}

export class ContainerDriver implements GuestDriver {
  readonly kind = "container" as const;
  private readonly log: Logger;
  private readonly containersDir: string;
  private readonly exitDir: string;
  private readonly socketDir: string;
  private readonly storeDir: string;
  private readonly cgroupParent: string;
  private readonly shutdownTimeoutMs: number;
  readonly network: Network;
  private host!: HostRuntime;
  private confinement!: Confinement;
  private runtime!: Runtime;
  private readonly records = new Map<string, ContainerRecord>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly transitioning = new Map<string, GuestState>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly hub = new EventHub();
  private exitWatcher: FSWatcher | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private ipLock: Promise<unknown> = Promise.resolve();
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(private readonly opts: ContainerDriverOptions) {
    this.log = opts.logger ?? silentLogger;
    this.containersDir = path.join(opts.dataDir, "containers");
    this.exitDir = path.join(opts.dataDir, "run", "exits");
    this.socketDir = path.join(opts.dataDir, "run", "sockets");
    this.storeDir = path.join(opts.dataDir, "images", "oci");
    this.cgroupParent = opts.cgroupParent ?? "tandem";
    this.shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 10_000;
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
    this.host = prepareHostRuntime({ dataDir: this.opts.dataDir, runtimePath: this.opts.runtimePath });
    // Podman's capabilities and seccomp filter: without them the driver does not start.
    this.confinement = hostConfinement();
    this.runtime = new Runtime(this.host.runtimeCommand);
    for (const d of [this.containersDir, this.exitDir, this.socketDir]) mkdirSync(d, { recursive: true });
    // Traversable, not listable: a user-namespaced root must reach its own rootfs below it.
    chmodSync(this.containersDir, 0o711);
    for (const p of sweepTrash(this.containersDir)) {
      p.catch((e: unknown) => this.log.warn({ err: String(e) }, "removing a left-over disk image failed"));
    }
    this.exitWatcher = watch(this.exitDir, (_ev, file) => {
      if (file && file.startsWith(RUNTIME_PREFIX)) void this.onExitFile(file.slice(RUNTIME_PREFIX.length));
    });
    // conmon writes the exit file; if conmon itself is killed, nobody does. Once a second, look
    // for containers that should run but whose init is gone without one (cheap: a /proc read each).
    this.watchdog = setInterval(() => this.checkLost(), 1000);
    this.watchdog.unref();
    for (const uuid of listContainerDirs(this.containersDir)) {
      const paths = containerPaths(this.containersDir, uuid);
      let rec: ContainerRecord;
      try {
        rec = readRecord(paths.record);
      } catch (e) {
        this.log.warn({ uuid, err: String(e) }, "skipping a container directory without a valid state.json");
        continue;
      }
      this.records.set(uuid, rec);
      if (rec.creating) {
        // Tandem died half-way through create: nothing the user saw succeed, so clean up.
        this.log.warn({ id: rec.id }, "removing a container whose creation was interrupted");
        await this.teardown(rec).catch((e: unknown) =>
          this.log.error({ id: rec.id, err: String(e) }, "cleanup failed"),
        );
        continue;
      }
      // Exits that happened while Tandem was away are handled now (restart policy included).
      if (existsSync(this.exitFile(uuid))) await this.onExitFile(uuid);
      // Wanted running but gone without an exit file (conmon itself was killed).
      else if (rec.desired === "running" && !this.isAlive(uuid)) await this.onExitFile(uuid, true);
    }
    // Containers wired before addresses were pinned get the MAC their pin expects.
    for (const rec of this.records.values()) {
      if (rec.network.mode !== "bridge" || !rec.network.ip) continue;
      await this.network
        .adoptAddress(rec.uuid, rec.network.ip)
        .catch((e: unknown) => this.log.warn({ id: rec.id, err: String(e) }, "could not pin the container's MAC"));
    }
    // Published ports are held again (a port something took while Tandem was down is reported).
    await this.syncPorts().catch((e: unknown) => this.log.warn({ err: String(e) }, "port sync failed"));
  }

  private async ensureReady(): Promise<void> {
    await this.ready;
    if (this.closed) throw new AppError("BACKEND_UNAVAILABLE", "the container driver is closed");
  }

  // ---------------------------------------------------------------- helpers

  private uuidOf(id: string): string {
    const p = parseGuestId(id);
    if (!p || p.kind !== "container" || p.hostId !== this.opts.hostId || !this.records.has(p.uuid)) {
      throw notFound("container", id);
    }
    return p.uuid;
  }

  private rec(uuid: string): ContainerRecord {
    const r = this.records.get(uuid);
    if (!r) throw notFound("container", uuid);
    return r;
  }

  private paths(uuid: string): ContainerPaths {
    return containerPaths(this.containersDir, uuid);
  }

  private runtimeId(uuid: string): string {
    return `${RUNTIME_PREFIX}${uuid}`;
  }

  private exitFile(uuid: string): string {
    return path.join(this.exitDir, this.runtimeId(uuid));
  }

  private cgroupRel(uuid: string): string {
    return `/${this.cgroupParent}/${uuid}`;
  }

  private save(rec: ContainerRecord): void {
    this.records.set(rec.uuid, rec);
    writeRecord(this.paths(rec.uuid).record, rec);
  }

  private update(uuid: string, patch: Partial<ContainerRecord>): ContainerRecord {
    const next = { ...this.rec(uuid), ...patch };
    this.save(next);
    return next;
  }

  /** Serializes lifecycle operations per container. */
  private withLock<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(uuid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(uuid, settled);
    void settled.then(() => {
      if (this.locks.get(uuid) === settled) this.locks.delete(uuid);
    });
    return next;
  }

  private readPid(uuid: string): number | null {
    try {
      const pid = Number(readFileSync(this.paths(uuid).pidFile, "utf8").trim());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  /** The container's init is alive (not a zombie) and no exit file says otherwise. */
  private isAlive(uuid: string): boolean {
    const pid = this.readPid(uuid);
    if (!pid || existsSync(this.exitFile(uuid))) return false;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z" || state === "X") return false;
      // The pid must still be ours: its cgroup path names this container.
      const cg = readFileSync(`/proc/${pid}/cgroup`, "utf8");
      return cg.includes(uuid);
    } catch {
      return false;
    }
  }

  private stateOf(rec: ContainerRecord): GuestState {
    if (rec.creating) return "creating";
    const t = this.transitioning.get(rec.uuid);
    if (t) return t;
    if (this.isAlive(rec.uuid)) {
      const s = readCgroupStats(this.host.layout, this.cgroupRel(rec.uuid));
      return s?.frozen ? "paused" : "running";
    }
    if (rec.lastExit && !rec.lastExit.byUser && rec.lastExit.code !== 0) return "crashed";
    return "stopped";
  }

  private toGuest(rec: ContainerRecord): DriverGuest {
    return {
      id: rec.id,
      hostId: this.opts.hostId,
      kind: "container",
      name: rec.name,
      state: this.stateOf(rec),
      vcpus: rec.vcpus,
      memoryMiB: rec.memoryMiB,
      diskGiB: rec.diskGiB,
      image: rec.image,
      createdAt: rec.createdAt,
      adopted: false,
      ipAddresses: rec.network.ip ? [rec.network.ip] : [],
    };
  }

  private emit(e: DriverEvent): void {
    this.hub.emit(e);
  }

  private changed(uuid: string): void {
    const rec = this.records.get(uuid);
    this.emit({ type: "changed", id: rec?.id ?? uuid, state: rec ? this.stateOf(rec) : undefined });
  }

  /**
   * What the network filters and the port holder are made of: the ports of containers wanted
   * running (held from create on, through restarts, until stop or remove) and a pin for every
   * container with an address.
   */
  private networkRules(): NetworkRules {
    const rules: NetworkRules = { ports: [], pins: [] };
    for (const rec of this.records.values()) {
      const ip = rec.network.mode === "bridge" ? rec.network.ip : null;
      if (ip) rules.pins.push({ veth: vethName(rec.uuid), ip, mac: macFor(ip) });
      if (rec.desired !== "running") continue;
      // Tandem's own port may be in a record made before it was refused, or Tandem moved.
      for (const p of rec.ports) if (p.hostPort !== this.opts.tandemPort) rules.ports.push({ ...p, ip });
    }
    return rules;
  }

  // ---------------------------------------------------------------- GuestDriver: queries

  async list(): Promise<DriverGuest[]> {
    await this.ensureReady();
    return [...this.records.values()].map((r) => this.toGuest(r));
  }

  async get(id: string): Promise<DriverGuest> {
    await this.ensureReady();
    return this.toGuest(this.rec(this.uuidOf(id)));
  }

  async details(id: string): Promise<ContainerDetails> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    const rec = this.rec(uuid);
    const live = readCgroupStats(this.host.layout, this.cgroupRel(uuid));
    return {
      guest: this.toGuest(rec),
      record: rec,
      pid: this.isAlive(uuid) ? this.readPid(uuid) : null,
      oomKills: rec.oomKills + (live?.oomKills ?? 0),
    };
  }

  async health(): Promise<{ healthy: boolean; message: string }> {
    try {
      await this.ready;
      return { healthy: true, message: `crun ${this.host.runtimePath}, cgroups ${this.host.layout.mode}` };
    } catch (e) {
      return { healthy: false, message: e instanceof Error ? e.message : String(e) };
    }
  }

  events(signal: AbortSignal): AsyncIterable<DriverEvent> {
    return this.hub.subscribe(signal);
  }

  // ---------------------------------------------------------------- create

  private validate(spec: GuestSpec): void {
    if (spec.kind !== "container") throw new AppError("VALIDATION", "the container driver only creates containers");
    const img = spec.resolvedImage;
    if (!img || img.kind !== "container" || img.format !== "oci") {
      throw new AppError("VALIDATION", `image '${spec.image}' is not a container image`);
    }
    if (spec.vcpus > this.host.cpuCount) {
      throw new AppError(
        "INSUFFICIENT_RESOURCES",
        `a CPU limit of ${spec.vcpus} cores exceeds this host's ${this.host.cpuCount} CPUs`,
      );
    }
    const hostMiB = Math.floor(this.host.memTotalBytes / 1024 / 1024);
    if (spec.memoryMiB > hostMiB) {
      throw new AppError(
        "INSUFFICIENT_RESOURCES",
        `a memory limit of ${spec.memoryMiB} MiB exceeds this host's ${hostMiB} MiB`,
      );
    }
    for (const r of this.records.values()) {
      if (r.name === spec.name) throw new AppError("CONFLICT", `a container named '${spec.name}' already exists`);
    }
    const seen = new Set<string>();
    const range = this.opts.publishPortRange ?? { first: 1024, last: 65535 };
    for (const p of spec.ports ?? []) {
      const key = `${p.protocol ?? "tcp"}/${p.hostPort}`;
      if (seen.has(key)) throw new AppError("VALIDATION", `host port ${key} is published twice`);
      if (p.hostPort < range.first || p.hostPort > range.last) {
        throw new AppError(
          "VALIDATION",
          `host port ${key} is outside the ports containers may publish (${range.first}-${range.last}, TANDEM_PUBLISH_PORT_RANGE)`,
        );
      }
      if (p.hostPort === this.opts.tandemPort) {
        throw new AppError("CONFLICT", `host port ${key} is Tandem's own port`);
      }
      seen.add(key);
      for (const r of this.records.values()) {
        if (r.ports.some((q) => q.hostPort === p.hostPort && q.protocol === (p.protocol ?? "tcp"))) {
          throw new AppError("CONFLICT", `host port ${key} is already published by container '${r.name}'`);
        }
      }
    }
    if (spec.workingDir && !spec.workingDir.startsWith("/")) {
      throw new AppError("VALIDATION", "workingDir must be an absolute path");
    }
    if (spec.hostname && !/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(spec.hostname)) {
      throw new AppError("VALIDATION", `'${spec.hostname}' is not a valid hostname`);
    }
  }

  async create(spec: GuestSpec, progress: (p: Progress) => void): Promise<DriverGuest> {
    await this.ensureReady();
    this.validate(spec);
    const given = (spec as GuestSpec & { uuid?: unknown }).uuid;
    const uuid = typeof given === "string" && /^[a-zA-Z0-9-]{1,64}$/.test(given) ? given : randomUUID();
    if (this.records.has(uuid)) throw new AppError("CONFLICT", `container ${uuid} already exists`);
    const id = makeGuestId(this.opts.hostId, "container", uuid);
    const paths = this.paths(uuid);
    let layers;
    try {
      layers = resolveImageLayers(spec.resolvedImage.path, spec.resolvedImage.meta);
    } catch (e) {
      throw new AppError("VALIDATION", e instanceof Error ? e.message : String(e));
    }
    const netMode = spec.network === "none" ? "none" : "bridge";
    const diskGiB = this.opts.diskQuota === false ? null : (spec.diskGiB ?? this.opts.containerDiskGiB ?? 4);
    if (diskGiB !== null) {
      assertFreeSpace(this.opts.dataDir, diskGiB * GiB, this.opts.diskReserveBytes ?? 2 * GiB, "the container's disk");
    }
    const userns = this.opts.userNamespace !== false;
    if (userns) this.assertTraversable(this.containersDir);
    let rec: ContainerRecord = {
      version: 1,
      uuid,
      id,
      name: spec.name,
      image: spec.resolvedImage.id ?? spec.image,
      lowerDirs: layers.lowerDirs,
      createdAt: new Date().toISOString(),
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      pidsLimit: spec.pidsLimit ?? null,
      restartPolicy: spec.restartPolicy ?? "no",
      ports: (spec.ports ?? []).map((p) => ({
        hostPort: p.hostPort,
        guestPort: p.guestPort,
        protocol: p.protocol ?? "tcp",
      })),
      network: { mode: netMode, netns: null, hostVeth: null, ip: null },
      desired: spec.start === false ? "stopped" : "running",
      creating: true,
      restartCount: 0,
      oomKills: 0,
      lastExit: null,
      exposedPorts: Object.keys(layers.config.config?.ExposedPorts ?? {}),
      stopSignal: stopSignalOf(layers.config.config?.StopSignal),
      // Allocated and saved with no await in between: two creates cannot take the same block.
      idRange: userns ? this.allocateIds() : null,
      diskGiB,
    };
    mkdirSync(paths.dir, { recursive: true });
    if (rec.idRange) {
      // Reachable by the container's mapped root (group), by nobody else but root.
      chownSync(paths.dir, 0, rec.idRange.start);
      chmodSync(paths.dir, 0o710);
    }
    this.save(rec);
    this.emit({ type: "changed", id, state: "creating" });
    try {
      progress({ percent: 10, message: "preparing network" });
      if (rec.idRange) {
        // The netns is made by crun at each start (see joinNetwork); only the address now.
        const ip = netMode === "bridge" ? await this.allocate(uuid) : null;
        rec = this.update(uuid, { network: { mode: netMode, netns: null, hostVeth: null, ip } });
      } else if (netMode === "bridge") {
        const ip = await this.allocate(uuid);
        const { netns, hostVeth } = await this.network.attach(uuid, ip);
        rec = this.update(uuid, { network: { mode: "bridge", netns, hostVeth, ip } });
      } else {
        const { netns } = await this.network.isolated(uuid);
        rec = this.update(uuid, { network: { mode: "none", netns, hostVeth: null, ip: null } });
      }
      // Ports held (or refused) and the address pinned before anything of the container runs; the
      // nft transaction overlaps the root file system's preparation (awaited below).
      const published = this.publish(rec);
      published.catch(() => undefined);
      progress({ percent: 30, message: "preparing root file system" });
      if (rec.diskGiB) await formatLayerImage(paths.diskImage, rec.diskGiB * GiB);
      // Preallocating overlaps the mounts (both need only the formatted image); both settle
      // before a failure is thrown, so the cleanup never races a mount still in progress.
      const steps = await Promise.allSettled([
        rec.diskGiB ? preallocateLayerImage(paths.diskImage, rec.diskGiB * GiB) : undefined,
        this.mountRoot(rec),
      ]);
      for (const r of steps) if (r.status === "rejected") throw r.reason;
      await published;
      const hostname = spec.hostname || spec.name.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 63);
      this.writeEtc(paths, hostname, rec.network.ip, rec.idRange?.start ?? null);
      const user = this.imageUser(paths.rootfs, layers.config.config?.User);
      const oci = buildSpec({
        image: layers.config,
        rootfs: paths.rootfs,
        hostname,
        command: spec.command,
        env: spec.env,
        workingDir: spec.workingDir,
        vcpus: spec.vcpus,
        memoryMiB: spec.memoryMiB,
        pidsLimit: spec.pidsLimit ?? null,
        tiniPath: this.host.tiniPath,
        netnsPath: rec.idRange ? null : this.network.netnsPath(uuid),
        userns: rec.idRange,
        cgroupsPath: this.cgroupRel(uuid),
        etcFiles: {
          hostname: path.join(paths.etc, "hostname"),
          hosts: path.join(paths.etc, "hosts"),
          resolvConf: path.join(paths.etc, "resolv.conf"),
        },
        user,
        swapAccounting: this.swapAccounting(),
        confinement: this.confinement,
        annotations: { "io.tandem.id": id, "io.tandem.name": spec.name },
      });
      mkdirSync(paths.bundle, { recursive: true });
      writeFileSync(paths.config, JSON.stringify(oci, null, 2));
      if (rec.desired === "running") {
        progress({ percent: 60, message: "starting container" });
        await this.startProcess(rec);
      } else {
        await this.unmountRoot(uuid);
      }
      rec = this.update(uuid, { creating: false });
      await this.syncPorts();
      progress({ percent: 100, message: "container ready" });
      this.changed(uuid);
      // An init that died during create (bad command) left its exit file unhandled.
      if (existsSync(this.exitFile(uuid))) void this.onExitFile(uuid);
      this.log.info({ id, name: spec.name }, "container created");
      return this.toGuest(rec);
    } catch (e) {
      this.log.error({ id, err: String(e) }, "container creation failed");
      await this.teardown(this.rec(uuid)).catch((err: unknown) =>
        this.log.error({ id, err: String(err) }, "cleanup after failed create failed"),
      );
      this.emit({ type: "removed", id });
      throw e instanceof AppError
        ? e
        : new AppError("INTERNAL", `container creation failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private allocate(uuid: string): Promise<string> {
    const next = this.ipLock.then(() => {
      const used = [...this.records.values()].map((r) => r.network.ip).filter((x): x is string => !!x);
      const ip = allocateIp(this.network.subnet, used);
      this.update(uuid, { network: { ...this.rec(uuid).network, ip } });
      return ip;
    });
    this.ipLock = next.catch(() => undefined);
    return next;
  }

  /**
   * Ids for a new user-namespaced container: the lowest free block, skipping every container's
   * (records, including ones being created) and what /etc/subuid and /etc/subgid hand out.
   */
  private allocateIds(): { start: number; size: number } {
    const taken = [...this.records.values()].flatMap((r) => (r.idRange ? [r.idRange] : []));
    try {
      return allocateIdRange([...taken, ...hostSubIdRanges()]);
    } catch (e) {
      throw new AppError("INSUFFICIENT_RESOURCES", e instanceof Error ? e.message : String(e));
    }
  }

  /**
   * A user-namespaced root resolves its rootfs path as an unprivileged uid: every directory
   * above its own must be searchable by others (the data directory is 0711 by contract).
   */
  private assertTraversable(dir: string): void {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
      const mode = statSync(d).mode;
      if ((mode & 0o001) === 0) {
        throw new AppError(
          "BACKEND_UNAVAILABLE",
          `containers cannot reach their root file systems: ${d} must be searchable by others (mode ${(mode & 0o777).toString(8)}, needs o+x)`,
        );
      }
      if (d === path.dirname(d)) return;
    }
  }

  /** Mounts what the root file system stands on: the container's disk (if any), then the overlay. */
  private async mountRoot(rec: ContainerRecord): Promise<void> {
    const paths = this.paths(rec.uuid);
    if (isMountPoint(paths.rootfs)) return;
    const owner = rec.idRange ? { uid: rec.idRange.start, gid: rec.idRange.start } : { uid: 0, gid: 0 };
    const rootMode = imageRootMode(rec.lowerDirs);
    const { upper, work } = rec.diskGiB
      ? await mountLayer(paths.diskImage, paths.layer, owner, rootMode)
      : writableDirs(paths.dir, owner, rootMode);
    await mountOverlay(
      rec.lowerDirs,
      upper,
      work,
      paths.rootfs,
      rec.idRange ? { map: idMapOf(rec.idRange), bindDir: paths.lowerBinds } : undefined,
    );
  }

  private async unmountRoot(uuid: string): Promise<void> {
    const paths = this.paths(uuid);
    await unmount(paths.rootfs);
    detachLeftoverBinds(paths.lowerBinds);
    await unmountLayer(paths.layer);
  }

  /**
   * A user-namespaced container's netns is made by crun inside its user namespace (so it mounts
   * its own /sys, not the host's); between `crun create` and `crun start` it is named like any
   * other container's netns and wired to the bridge, before the container's process runs.
   */
  private async joinNetwork(rec: ContainerRecord, pid: number): Promise<void> {
    const uuid = rec.uuid;
    await run(["ip", "netns", "attach", this.network.netnsName(uuid), String(pid)]);
    if (rec.network.mode === "bridge" && rec.network.ip) {
      const { netns, hostVeth } = await this.network.attach(uuid, rec.network.ip);
      this.update(uuid, { network: { ...this.rec(uuid).network, netns, hostVeth } });
    } else {
      const { netns } = await this.network.isolated(uuid);
      this.update(uuid, { network: { ...this.rec(uuid).network, netns } });
    }
  }

  private writeEtc(paths: ContainerPaths, hostname: string, ip: string | null, mappedRoot: number | null): void {
    mkdirSync(paths.etc, { recursive: true });
    writeFileSync(path.join(paths.etc, "hostname"), `${hostname}\n`);
    writeFileSync(
      path.join(paths.etc, "hosts"),
      `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip ? `${ip}\t${hostname}\n` : `127.0.1.1\t${hostname}\n`}`,
    );
    // No uplink: the gateway is the only resolver a container could reach, and it runs none.
    writeFileSync(path.join(paths.etc, "resolv.conf"), ip ? `nameserver ${this.network.subnet.gateway}\n` : "");
    // Readable by every user inside (Tandem's umask would make them 0600); owned by the
    // container's own root when it has a user namespace, which must also reach the directory.
    for (const f of ["hostname", "hosts", "resolv.conf"]) {
      chmodSync(path.join(paths.etc, f), 0o644);
      if (mappedRoot !== null) chownSync(path.join(paths.etc, f), mappedRoot, mappedRoot);
    }
    if (mappedRoot !== null) {
      chownSync(paths.etc, 0, mappedRoot);
      chmodSync(paths.etc, 0o710);
    }
  }

  private imageUser(rootfs: string, user: string | null | undefined): { uid: number; gid: number } {
    // Beneath the rootfs, no symlink followed, regular files under 1 MiB (rootfs-files.ts): a
    // link to /dev/zero or to a host file reads as no file, so only numeric or absent users work.
    const read = (f: string) => {
      try {
        return readImageFile(rootfs, f) ?? "";
      } catch (e) {
        this.log.warn({ file: f, err: String(e) }, "image file not read");
        return "";
      }
    };
    try {
      return resolveUser(user, read("etc/passwd"), read("etc/group"));
    } catch (e) {
      throw new AppError("VALIDATION", e instanceof Error ? e.message : String(e));
    }
  }

  private swapAccounting(): boolean {
    const l = this.host.layout;
    // v2: swap.max only exists with swap accounting; leaving swap unset is always accepted.
    if (l.mode === "v2") return false;
    const mem = l.v1.memory;
    return !!mem && existsSync(path.join(mem, "memory.memsw.limit_in_bytes"));
  }

  // ---------------------------------------------------------------- process lifecycle

  /** Mounts, launches conmon (which runs `crun create`), then `crun start`. */
  private async startProcess(rec: ContainerRecord): Promise<void> {
    const uuid = rec.uuid;
    const paths = this.paths(uuid);
    const rid = this.runtimeId(uuid);
    if (this.runtime.known(rid)) await this.runtime.delete(rid);
    rmSync(this.exitFile(uuid), { force: true });
    rmSync(paths.pidFile, { force: true });
    rmSync(path.join(this.socketDir, rid), { force: true });
    // Pins and held ports are in place before the veth and the process come up (a no-op when
    // nothing changed; restarts after Tandem's own restart may come before its first sync).
    await this.syncPorts();
    await this.mountRoot(rec);
    if (rec.idRange) {
      // Last start's netns (bound by name, owned by a user namespace that is gone) and veth.
      await this.network.detach(uuid);
    } else if (rec.network.mode === "bridge" && rec.network.ip) {
      if (
        !existsSync(this.network.netnsPath(uuid)) ||
        !rec.network.hostVeth ||
        !existsSync(`/sys/class/net/${rec.network.hostVeth}`)
      ) {
        await this.network.attach(uuid, rec.network.ip);
      }
    } else if (!existsSync(this.network.netnsPath(uuid))) {
      await this.network.isolated(uuid);
    }
    try {
      const pid = await launchConmon({
        conmonPath: this.host.conmonPath,
        runtimeCommand: this.host.runtimeCommand,
        runtimeId: rid,
        name: rec.name,
        paths,
        exitDir: this.exitDir,
        socketDir: this.socketDir,
      });
      if (rec.idRange) await this.joinNetwork(rec, pid);
      await this.runtime.start(rid);
    } catch (e) {
      await this.runtime.delete(rid).catch(() => undefined);
      throw new AppError("INTERNAL", `the container did not start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Waits until the init is gone. conmon's exit file is the normal signal; if conmon itself is
   * dead (killed by someone) nobody writes it, so a vanished init is enough after a short grace.
   */
  private async waitExit(uuid: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let goneSince: number | null = null;
    while (Date.now() < deadline) {
      if (existsSync(this.exitFile(uuid))) return true;
      if (!this.isAlive(uuid)) {
        goneSince ??= Date.now();
        if (!this.conmonAlive(uuid) || Date.now() - goneSince > 1000) return true;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return existsSync(this.exitFile(uuid)) || !this.isAlive(uuid);
  }

  private conmonAlive(uuid: string): boolean {
    try {
      const pid = Number(readFileSync(this.paths(uuid).conmonPidFile, "utf8").trim());
      return pid > 0 && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(uuid);
    } catch {
      return false;
    }
  }

  private readExitCode(uuid: string): number | null {
    try {
      const n = Number(readFileSync(this.exitFile(uuid), "utf8").trim());
      return Number.isInteger(n) ? n : null;
    } catch {
      return null;
    }
  }

  /** After the init died: record why, drop the runtime state and cgroup, unmount. */
  private async finalizeExit(uuid: string, byUser: boolean): Promise<ContainerRecord> {
    const rid = this.runtimeId(uuid);
    const stats = readCgroupStats(this.host.layout, this.cgroupRel(uuid));
    const code = this.readExitCode(uuid) ?? 137;
    const oom = stats?.oomKills ?? 0;
    // An OOM kill of init shows as SIGKILL (137) with the cgroup's oom_kill counter raised.
    const rec = this.update(uuid, {
      oomKills: this.rec(uuid).oomKills + oom,
      lastExit: { code, at: new Date().toISOString(), oomKilled: oom > 0 && code === 137, byUser },
    });
    await this.runtime.delete(rid);
    await this.waitConmonGone(uuid);
    await this.unmountRoot(uuid);
    rmSync(this.exitFile(uuid), { force: true });
    rmSync(path.join(this.socketDir, rid), { force: true });
    return rec;
  }

  private async waitConmonGone(uuid: string): Promise<void> {
    const file = this.paths(uuid).conmonPidFile;
    let pid: number;
    try {
      pid = Number(readFileSync(file, "utf8").trim());
    } catch {
      return;
    }
    for (let i = 0; i < 200 && pid > 0; i++) {
      try {
        process.kill(pid, 0);
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (!cmd.includes(uuid)) break;
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    rmSync(file, { force: true });
  }

  /** Containers wanted running whose init died without conmon writing an exit file. */
  private checkLost(): void {
    if (this.closed) return;
    for (const [uuid, rec] of this.records) {
      if (rec.creating || rec.desired !== "running" || this.locks.has(uuid) || this.restartTimers.has(uuid)) continue;
      if (this.transitioning.has(uuid) || existsSync(this.exitFile(uuid)) || this.isAlive(uuid)) continue;
      this.log.warn({ id: rec.id }, "container died without an exit file (was conmon killed?)");
      void this.onExitFile(uuid, true).catch((e: unknown) =>
        this.log.error({ id: rec.id, err: String(e) }, "handling a lost container failed"),
      );
    }
  }

  /**
   * Handles a container's exit once: inotify reports an exit file more than once (create, write),
   * so without the file (already finalized) there is nothing to do unless `lost` says the
   * container vanished without conmon writing one.
   */
  private async onExitFile(uuid: string, lost = false): Promise<void> {
    if (!this.records.has(uuid) || this.closed) return;
    await this.withLock(uuid, async () => {
      const rec = this.records.get(uuid);
      if (!rec || rec.creating || this.isAlive(uuid) || this.restartTimers.has(uuid)) return;
      if (!existsSync(this.exitFile(uuid)) && !lost) return;
      const done = await this.finalizeExit(uuid, rec.desired !== "running");
      this.log.info({ id: rec.id, code: done.lastExit?.code, oom: done.lastExit?.oomKilled }, "container exited");
      this.changed(uuid);
      if (done.desired === "running" && shouldRestart(done.restartPolicy, done.lastExit?.code ?? 137, false)) {
        const delay = restartDelayMs(done.restartCount);
        const t = setTimeout(() => {
          this.restartTimers.delete(uuid);
          void this.withLock(uuid, async () => {
            const cur = this.records.get(uuid);
            if (!cur || cur.desired !== "running" || this.isAlive(uuid) || this.closed) return;
            this.update(uuid, { restartCount: cur.restartCount + 1 });
            await this.startProcess(this.rec(uuid));
            this.changed(uuid);
          }).catch((e: unknown) => this.log.error({ id: rec.id, err: String(e) }, "restart failed"));
        }, delay);
        this.restartTimers.set(uuid, t);
      } else if (done.desired === "running") {
        this.update(uuid, { desired: "stopped" });
        await this.syncPorts();
      }
    });
  }

  private cancelRestart(uuid: string): void {
    const t = this.restartTimers.get(uuid);
    if (t) clearTimeout(t);
    this.restartTimers.delete(uuid);
  }

  private lastPortFailures = "";

  /** Held ports and tables follow the records; ports something else took are logged (once). */
  private async syncPorts(): Promise<PortFailure[]> {
    const failed = await this.network.sync(() => this.networkRules());
    const summary = failed.map((f) => `${f.port.protocol}/${f.port.hostPort}: ${f.error.code}`).join(", ");
    if (summary && summary !== this.lastPortFailures) {
      this.log.error({ ports: summary }, "published ports in use on the host are not forwarded");
    }
    this.lastPortFailures = summary;
    return failed;
  }

  /**
   * Holds a container's published ports and writes its pin before its process runs; a port the
   * host already uses is refused (CONFLICT) instead of shadowed. Only probes when not running.
   */
  private async publish(rec: ContainerRecord): Promise<void> {
    const conflict = (p: { protocol: string; hostPort: number }, e: NodeJS.ErrnoException) =>
      new AppError(
        "CONFLICT",
        e.code === "EADDRINUSE"
          ? `host port ${p.protocol}/${p.hostPort} is in use on the host`
          : `host port ${p.protocol}/${p.hostPort} cannot be held (${e.code ?? e.message})`,
      );
    if (rec.desired !== "running") {
      for (const p of rec.ports) {
        await this.network.probePort(p).catch((e: NodeJS.ErrnoException) => {
          throw conflict(p, e);
        });
      }
      await this.syncPorts();
      return;
    }
    const failed = await this.syncPorts();
    const mine = failed.find((f) =>
      rec.ports.some((p) => p.protocol === f.port.protocol && p.hostPort === f.port.hostPort),
    );
    if (mine) throw conflict(mine.port, mine.error);
  }

  private async killAndWait(uuid: string, graceMs: number): Promise<void> {
    const rid = this.runtimeId(uuid);
    if (this.isAlive(uuid)) {
      const frozen = readCgroupStats(this.host.layout, this.cgroupRel(uuid))?.frozen;
      if (graceMs > 0) {
        await this.runtime.kill(rid, this.rec(uuid).stopSignal).catch(() => undefined);
        if (frozen) await this.runtime.resume(rid).catch(() => undefined);
        if (await this.waitExit(uuid, graceMs)) return;
      }
      await this.runtime.kill(rid, "KILL", true).catch(() => undefined);
      // A frozen cgroup cannot die: thaw it so SIGKILL lands.
      if (frozen) await this.runtime.resume(rid).catch(() => undefined);
      if (!(await this.waitExit(uuid, 10_000))) {
        throw new AppError("INTERNAL", "the container did not stop after SIGKILL");
      }
    }
  }

  async act(id: string, action: GuestAction): Promise<void> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    await this.withLock(uuid, async () => {
      const rec = this.rec(uuid);
      const state = this.stateOf(rec);
      if (!canAct(state, action)) throw invalidState(`cannot ${action} a container that is ${state}`);
      const rid = this.runtimeId(uuid);
      switch (action) {
        case "start": {
          this.cancelRestart(uuid);
          this.update(uuid, { desired: "running", restartCount: 0 });
          try {
            await this.publish(this.rec(uuid));
            await this.startProcess(this.rec(uuid));
          } catch (e) {
            this.update(uuid, { desired: "stopped" });
            await this.syncPorts().catch(() => undefined);
            throw e;
          }
          await this.syncPorts();
          break;
        }
        case "stop":
        case "shutdown": {
          this.cancelRestart(uuid);
          this.update(uuid, { desired: "stopped" });
          this.transitioning.set(uuid, "shutting-down");
          this.changed(uuid);
          try {
            await this.killAndWait(uuid, action === "shutdown" ? this.shutdownTimeoutMs : 0);
            await this.finalizeExit(uuid, true);
          } finally {
            this.transitioning.delete(uuid);
          }
          await this.syncPorts();
          break;
        }
        case "reboot": {
          this.update(uuid, { desired: "stopped" });
          await this.killAndWait(uuid, this.shutdownTimeoutMs);
          await this.finalizeExit(uuid, true);
          this.update(uuid, { desired: "running" });
          await this.startProcess(this.rec(uuid));
          break;
        }
        case "pause":
          await this.runtime.pause(rid);
          break;
        case "resume":
          await this.runtime.resume(rid);
          break;
      }
      this.changed(uuid);
    });
  }

  // ---------------------------------------------------------------- remove

  /** The container's own name (its hostname stays what it was created with). */
  async rename(id: string, name: string): Promise<void> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    const parsed = GuestName.safeParse(name);
    if (!parsed.success) throw new AppError("VALIDATION", `invalid name: ${parsed.error.issues[0]?.message}`);
    await this.withLock(uuid, async () => {
      this.rec(uuid);
      for (const r of this.records.values()) {
        if (r.uuid !== uuid && r.name === name)
          throw new AppError("CONFLICT", `a container named '${name}' already exists`);
      }
      this.update(uuid, { name });
    });
    this.changed(uuid);
  }

  /** New CPU and memory limits: applied live to a running container and kept for later starts. */
  async resize(id: string, size: { vcpus?: number; memoryMiB?: number }): Promise<void> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    if (size.vcpus !== undefined && (size.vcpus < 0.1 || size.vcpus > this.host.cpuCount)) {
      throw new AppError("VALIDATION", `a CPU limit must be between 0.1 and ${this.host.cpuCount} cores`);
    }
    if (size.memoryMiB !== undefined && size.memoryMiB * 1024 * 1024 > this.host.memTotalBytes) {
      throw new AppError("VALIDATION", "the memory limit exceeds this host's memory");
    }
    await this.withLock(uuid, async () => {
      const rec = this.rec(uuid);
      if (rec.creating) throw invalidState("the container is still being created");
      if (this.isAlive(uuid)) {
        await this.runtime.update(this.runtimeId(uuid), {
          memoryBytes: size.memoryMiB !== undefined ? size.memoryMiB * 1024 * 1024 : undefined,
          swap: this.swapAccounting(),
          cpuQuotaUs: size.vcpus !== undefined ? Math.round(size.vcpus * CPU_PERIOD_US) : undefined,
          cpuPeriodUs: size.vcpus !== undefined ? CPU_PERIOD_US : undefined,
        });
      }
      // The bundle's config.json is what the next start uses: keep it in step.
      const file = this.paths(uuid).config;
      const spec = JSON.parse(readFileSync(file, "utf8")) as OciSpec;
      const res = spec.linux.resources;
      if (size.memoryMiB !== undefined) {
        const bytes = size.memoryMiB * 1024 * 1024;
        res.memory = { ...res.memory, limit: bytes, ...(res.memory?.swap !== undefined ? { swap: bytes } : {}) };
      }
      if (size.vcpus !== undefined) res.cpu = { quota: Math.round(size.vcpus * CPU_PERIOD_US), period: CPU_PERIOD_US };
      writeFileSync(file, JSON.stringify(spec));
      this.update(uuid, {
        ...(size.vcpus !== undefined ? { vcpus: size.vcpus } : {}),
        ...(size.memoryMiB !== undefined ? { memoryMiB: size.memoryMiB } : {}),
      });
    });
    this.changed(uuid);
  }

  async remove(id: string, _opts: { purgeDisks: boolean }): Promise<void> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    await this.withLock(uuid, async () => {
      const rec = this.rec(uuid);
      if (rec.creating) throw invalidState("cannot delete a container that is still being created");
      this.cancelRestart(uuid);
      this.update(uuid, { desired: "stopped" });
      await this.teardown(rec);
    });
    this.emit({ type: "removed", id });
  }

  /** Everything a container owns goes: process, conmon, runtime state, cgroup, mount, netns, files. */
  private async teardown(rec: ContainerRecord): Promise<void> {
    const uuid = rec.uuid;
    const rid = this.runtimeId(uuid);
    const paths = this.paths(uuid);
    if (this.host) {
      if (this.isAlive(uuid)) await this.killAndWait(uuid, 0);
      await this.runtime.delete(rid);
      await this.waitConmonGone(uuid);
      for (const d of cgroupDirs(this.host.layout, this.cgroupRel(uuid))) {
        try {
          if (existsSync(d)) rmSync(d, { recursive: false, force: true });
        } catch {
          // crun delete already removed it, or it is busy; reported by tests, not fatal here.
        }
      }
    }
    await this.unmountRoot(uuid);
    await this.network.detach(uuid);
    this.records.delete(uuid);
    await this.syncPorts().catch((e: unknown) => this.log.warn({ err: String(e) }, "port sync failed"));
    rmSync(this.exitFile(uuid), { force: true });
    rmSync(path.join(this.socketDir, rid), { force: true });
    for (const m of [paths.rootfs, paths.layer]) {
      if (isMountPoint(m)) throw new AppError("INTERNAL", `cannot unmount ${m}`);
    }
    void discardLayerImage(paths.diskImage, this.containersDir, uuid).catch((e: unknown) =>
      this.log.warn({ uuid, err: String(e) }, "removing a container's disk image failed"),
    );
    rmSync(paths.dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- stats

  async sample(ids: string[]): Promise<ContainerSample[]> {
    await this.ensureReady();
    const at = Date.now();
    const out: ContainerSample[] = [];
    for (const id of ids) {
      const p = parseGuestId(id);
      const rec = p ? this.records.get(p.uuid) : undefined;
      if (!rec || rec.creating) continue;
      const s: CgroupStats | null = readCgroupStats(this.host.layout, this.cgroupRel(rec.uuid));
      if (!s) continue;
      const net = rec.network.hostVeth ? Network.readCounters(rec.network.hostVeth) : { rx: 0, tx: 0 };
      out.push({
        id,
        at,
        cpuTimeNs: s.cpuTimeNs,
        cpuCount: s.cpuQuotaCores ?? rec.vcpus,
        memoryUsedBytes: s.memoryWorkingSetBytes,
        memoryWorkingSetBytes: s.memoryWorkingSetBytes,
        memoryLimitBytes: s.memoryLimitBytes ?? this.host.memTotalBytes,
        diskReadBytes: s.blkReadBytes,
        diskWriteBytes: s.blkWriteBytes,
        netRxBytes: net.rx,
        netTxBytes: net.tx,
        pids: s.pids,
        oomKills: rec.oomKills + s.oomKills,
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- consoles, exec, logs

  async openConsole(id: string, size: TermSize): Promise<ConsoleStream> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    const state = this.stateOf(this.rec(uuid));
    if (state !== "running" && state !== "paused")
      throw invalidState(`cannot open the console of a container that is ${state}`);
    const paths = this.paths(uuid);
    let stream: AttachConsole;
    try {
      stream = new AttachConsole(paths.attach, paths.ctl);
    } catch (e) {
      throw new AppError(
        "BACKEND_UNAVAILABLE",
        `cannot attach to the container console: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    stream.resize(size);
    return stream;
  }

  /** Runs cmd in the running container on a new PTY (a second console). */
  async exec(id: string, cmd: string[], size: TermSize): Promise<ConsoleStream> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((c) => typeof c !== "string" || c.includes("\0"))) {
      throw new AppError("VALIDATION", "exec needs a command: a non-empty list of strings");
    }
    const state = this.stateOf(this.rec(uuid));
    if (state !== "running") throw invalidState(`cannot exec in a container that is ${state}`);
    const paths = this.paths(uuid);
    const base = (JSON.parse(readFileSync(paths.config, "utf8")) as OciSpec).process;
    const tag = randomUUID().slice(0, 8);
    const processFile = path.join(paths.dir, `exec-${tag}.json`);
    const sock = path.join(paths.dir, `exec-${tag}.sock`);
    const pidFile = path.join(paths.dir, `exec-${tag}.pid`);
    const cleanup = () => {
      for (const f of [processFile, sock, pidFile]) rmSync(f, { force: true });
    };
    writeFileSync(processFile, JSON.stringify(buildExecProcess(base, cmd, size)));
    const listener = listenForFd(sock);
    try {
      const received = listener.receive(15_000);
      received.catch(() => undefined);
      await this.runtime.execDetached(this.runtimeId(uuid), processFile, sock, pidFile);
      const fd = await received;
      const stream = new PtyConsole(fd, cleanup);
      stream.resize(size);
      return stream;
    } catch (e) {
      cleanup();
      throw new AppError("INTERNAL", `exec failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      listener.close();
    }
  }

  async logs(id: string, opts: { follow?: boolean; signal?: AbortSignal } = {}): Promise<AsyncIterable<LogLine>> {
    await this.ensureReady();
    const uuid = this.uuidOf(id);
    return readLogs(this.paths(uuid).log, { ...opts, isAlive: () => this.records.has(uuid) });
  }

  /** Resizes the main console without an open stream (e.g. from a REST call). */
  async resizeConsole(id: string, size: TermSize): Promise<void> {
    await this.ensureReady();
    writeCtl(this.paths(this.uuidOf(id)).ctl, size);
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    this.closed = true;
    this.exitWatcher?.close();
    if (this.watchdog) clearInterval(this.watchdog);
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
    await Promise.all([...this.locks.values()]);
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
      dir: this.paths(uuid).dir,
      cgroups: cgroupDirs(this.host.layout, this.cgroupRel(uuid)),
      netns: this.network.netnsPath(uuid),
      runtimeId: this.runtimeId(uuid),
      hostVeth: this.rec(uuid).network.hostVeth,
    };
  }
}
