// LibvirtDriver: GuestDriver for QEMU VMs through libvirt (native/libvirt). libvirtd owns the
// truth — every read goes to it; Tandem's own fields live in the domain's <metadata>. Per-VM
// files (disk overlay, cloud-init seed, serial log) live in `${dataDir}/vms/<uuid>/` and a purge
// removes exactly that directory. Domains made outside Tandem are listed as adopted; deleting
// one only undefines it, purge or not: its disks are not Tandem's to delete.
// Linked clones are qcow2 overlays on the source's disk files: while one exists, the source
// is a template — it is not started, reverted or purged (that would change or remove the data
// the clones are built on). See README.md.
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, rm } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import { XMLBuilder } from "fast-xml-parser";
import { z } from "zod";
import {
  connect as libvirtConnect,
  DefineFlag,
  DomainState,
  isConnectionError,
  isLibvirtError,
  isNoDomain,
  isNoSnapshot,
  isOperationInvalid,
  ShutdownFlag,
  StatsFlag,
  UndefineFlag,
  XMLFlag,
  type Connection,
  type Domain,
  type DomainEvent,
} from "../../../../native/libvirt/index";
import { GuestName, type GuestAction, type GuestState } from "../../../contract/guest";
import { canAct } from "../../../contract/states";
import type {
  CloneCapable,
  ConsoleHistoryCapable,
  DiskInspectCapable,
  ConsoleStream,
  DriverEvent,
  DriverGuest,
  GuestDriver,
  GuestSample,
  GuestSpec,
  Progress,
  SnapshotCapable,
  SnapshotInfo,
  TermSize,
  VncCapable,
} from "../../../domain/driver";
import { AppError, invalidState, notFound } from "../../../domain/errors";
import { makeGuestId, parseGuestId } from "../../../domain/ids";
import { detectAccel, type Accel } from "./accel";
import { addressesByMac, guestAddresses, leaseNetworks } from "./addresses";
import { cloneDomainXml, pinBackingXml, resizeDomainXml, vncSocketXml } from "./clone-xml";
import { cloneSeed, makeSeed, seedTool } from "./cloud-init";
import { inspectDiskImage } from "./disk-inspect";
import { SerialConsole } from "./console";
import { readConsoleLog } from "./console-log";
import {
  backingChain,
  copyImage,
  createBlank,
  createOverlay,
  isImageFormat,
  virtualSize,
  type BackingLayer,
  type ImageFormat,
} from "./disks";
import { EventHub } from "../../../domain/event-hub";
import { applyHostGuard, type HostGuardSpec } from "./host-guard";
import { LibvirtLink, type ConnectFn } from "./link";
import { makeReachable, makeReadable, qemuIdentity, shareDir, type QemuIdentity } from "./qemu-access";
import { silentLogger, type Logger } from "../../../domain/logger";
import { guestState, stateHint } from "./states";
import { dial } from "./vnc-dial";
import { SAMPLE_GROUPS, toSample } from "./stats";
import {
  buildDomainXml,
  buildNetworkXml,
  type DiskDef,
  type DomainDef,
  type NicDef,
  type TandemMeta,
} from "./xml-build";
import { parseDomainXml, parseSnapshotXml, type ParsedDomain, type ParsedNic } from "./xml-parse";

export interface IsolatedNetworkOptions {
  /** libvirt network name (default tandem-isolated). */
  name: string;
  /** Host bridge (default tandem-vm0). */
  bridge: string;
  /** First three octets of the /24 (default 10.77.0): host .1, DHCP .100–.254. */
  prefix: string;
}

export interface LibvirtDriverOptions {
  uri: string;
  hostId: string;
  /** Per-VM disks, seeds and logs go to `${dataDir}/vms/<uuid>/`. */
  dataDir: string;
  accel?: "kvm" | "qemu" | "auto";
  logger?: Logger;
  /** How long `shutdown` waits for the guest to power off after the ACPI request (default 60 s). */
  shutdownTimeoutMs?: number;
  isolatedNetwork?: Partial<IsolatedNetworkOptions>;
  /**
   * The nftables table that keeps guests off the host's own services (host-guard.ts); default
   * tandem_vm_guard. Tests use their own and remove it; unit tests record instead of applying.
   */
  hostGuard?: { table?: string; apply?: (spec: HostGuardSpec) => Promise<void> };
  /** Reconnect back-off after libvirtd goes away (default 250 ms doubling to 10 s). */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /** For tests: how to open a connection. */
  connect?: ConnectFn;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOSTNAME_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const GiB = 1024 ** 3;
const DEFAULT_INSTALL_DISK_GIB = 20;

const absPath = z.string().min(2).startsWith("/");
const DemoMeta = z.object({ kernel: absPath, initrd: absPath, disk: absPath, cmdline: z.string().max(4096) });

const snapshotBuilder = new XMLBuilder({ format: false, suppressEmptyNode: true });
/** Most a console history read returns, whatever the caller asks for. */
const MAX_CONSOLE_HISTORY = 4 * 1024 * 1024;

/** A transient state Tandem knows better than libvirt (an ACPI shutdown in progress). */
interface Transition {
  state: GuestState;
  until: number;
}

/** Lease tables of the networks asked for: network → MAC → addresses. */
type Leases = Map<string, Map<string, string[]>>;

export class LibvirtDriver
  implements GuestDriver, VncCapable, SnapshotCapable, CloneCapable, ConsoleHistoryCapable, DiskInspectCapable
{
  readonly kind = "vm" as const;
  readonly accel: Accel;
  private readonly log: Logger;
  private readonly dataDir: string;
  private readonly vmsDir: string;
  private readonly shutdownTimeoutMs: number;
  private readonly net: IsolatedNetworkOptions;
  private readonly hub = new EventHub();
  private readonly link: LibvirtLink;
  private readonly transitions = new Map<string, Transition>();
  private readonly vcpus = new Map<string, number>();
  private readonly firstSeen = new Map<string, string>();
  private readonly consoles = new Set<SerialConsole>();
  private networkReady: Promise<void> | null = null;
  /** The host guard installed for this connection's QEMU user (see ensureHostGuard). */
  private guardReady: Promise<void> | null = null;
  /** Who QEMU runs as on this connection's daemon (its DAC base label); null: root or remote. */
  private qemuUser: Promise<QemuIdentity | null> | null = null;
  private versions: string | null = null;
  private closed = false;
  /** VMs whose files are being made right now: the orphan sweep must not touch them. */
  private readonly building = new Set<string>();
  private swept = false;

  constructor(private readonly opts: LibvirtDriverOptions) {
    this.log = opts.logger ?? silentLogger;
    this.accel = detectAccel(opts.accel ?? "auto");
    this.dataDir = path.resolve(opts.dataDir);
    this.vmsDir = path.join(this.dataDir, "vms");
    this.shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 60_000;
    this.net = {
      name: opts.isolatedNetwork?.name ?? "tandem-isolated",
      bridge: opts.isolatedNetwork?.bridge ?? "tandem-vm0",
      prefix: opts.isolatedNetwork?.prefix ?? "10.77.0",
    };
    const connect: ConnectFn = opts.connect ?? ((uri, onClose) => libvirtConnect(uri, { onClose: (r) => onClose(r) }));
    this.link = new LibvirtLink({
      uri: opts.uri,
      connect,
      logger: this.log,
      minDelayMs: opts.reconnect?.minDelayMs,
      maxDelayMs: opts.reconnect?.maxDelayMs,
      onDomainEvent: (e) => this.onDomainEvent(e),
      onHealth: (healthy, message) => {
        if (healthy) {
          this.networkReady = null;
          this.qemuUser = null; // a restarted daemon may run QEMU as another user
          this.guardReady = null;
        }
        this.versions = null;
        this.hub.emit({ type: "connection", healthy, message });
      },
    });
  }

  // ------------------------------------------------------------------------------ plumbing

  private async conn(): Promise<Connection> {
    if (this.closed) throw new AppError("BACKEND_UNAVAILABLE", "the VM driver is closed");
    try {
      return await this.link.get();
    } catch (e) {
      throw new AppError("BACKEND_UNAVAILABLE", `libvirt is not reachable at ${this.opts.uri}`, {
        cause: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** libvirt errors → AppError; a lost connection also tells the link to reconnect. */
  private fail(e: unknown, what: string, id?: string): AppError {
    if (e instanceof AppError) return e;
    if (isNoDomain(e) && id) return notFound("vm", id);
    if (isOperationInvalid(e)) return invalidState(`cannot ${what}: ${(e as Error).message}`);
    if (isConnectionError(e)) {
      this.link.lost((e as Error).message);
      return new AppError("BACKEND_UNAVAILABLE", `lost the connection to libvirt while trying to ${what}`);
    }
    if (isLibvirtError(e)) {
      this.log.warn({ code: e.code, domain: e.domain, err: e.message, what }, "libvirt call failed");
      return new AppError("INTERNAL", `libvirt could not ${what}: ${e.message}`, { code: e.codeName });
    }
    this.log.error({ err: e instanceof Error ? e.stack : String(e), what }, "VM driver failure");
    return new AppError("INTERNAL", `could not ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }

  private uuidOf(id: string): string {
    const p = parseGuestId(id);
    if (!p || p.kind !== "vm" || p.hostId !== this.opts.hostId || !UUID_RE.test(p.uuid)) throw notFound("vm", id);
    return p.uuid;
  }

  private idOf(uuid: string): string {
    return makeGuestId(this.opts.hostId, "vm", uuid);
  }

  /**
   * A create or clone killed before libvirt had the domain leaves `vms/<uuid>/` (and maybe its
   * disk) with nothing pointing at it. Once per process, on the first full listing, such
   * directories are removed; directories of VMs being built now are left alone.
   */
  private async sweepOrphanDirs(domainUuids: Set<string>): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.vmsDir);
    } catch {
      return; // no VMs made yet
    }
    for (const uuid of entries) {
      if (!UUID_RE.test(uuid) || domainUuids.has(uuid) || this.building.has(uuid)) continue;
      this.log.warn({ uuid }, "removing the files of a VM whose creation was interrupted");
      await rm(this.vmDir(uuid), { recursive: true, force: true }).catch((e: unknown) =>
        this.log.error({ uuid, err: String(e) }, "could not remove an orphaned VM directory"),
      );
    }
  }

  private vmDir(uuid: string): string {
    if (!UUID_RE.test(uuid)) throw new AppError("INTERNAL", "refusing a non-UUID directory name");
    return path.join(this.vmsDir, uuid);
  }

  /** Who the daemon runs QEMU as (its DAC base label), read once per connection; null: root or remote. */
  private qemu(c: Connection): Promise<QemuIdentity | null> {
    if (!this.isLocalUri()) return Promise.resolve(null);
    this.qemuUser ??= c
      .getCapabilities()
      .then(qemuIdentity)
      .catch((e: unknown) => {
        this.qemuUser = null;
        throw this.fail(e, "read the host's capabilities");
      });
    return this.qemuUser;
  }

  /**
   * Makes `vms/<uuid>/` (and `vms/`) for a new VM: 0710 root:<QEMU's group>, so QEMU can open
   * the files libvirt hands it and no other user can list or open anything.
   */
  private async makeVmDir(c: Connection, uuid: string): Promise<string> {
    const dir = this.vmDir(uuid);
    const who = await this.qemu(c);
    await mkdir(this.vmsDir, { recursive: true, mode: 0o700 });
    await shareDir(this.vmsDir, who);
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST")
        throw new AppError("CONFLICT", `VM ${uuid} already has files`);
      throw e;
    }
    await shareDir(dir, who);
    return dir;
  }

  /**
   * Before QEMU starts: every file it opens (disks and their backing chains, kernel, initrd,
   * NVRAM) must be reachable by QEMU's unprivileged user. libvirt chowns the files themselves;
   * the directories on the way are Tandem's to open (under the data directory) or to report.
   */
  private async reachFiles(c: Connection, parsed: ParsedDomain): Promise<void> {
    const who = await this.qemu(c);
    if (!who) return;
    const files: string[] = [];
    const layers: string[] = [];
    for (const disk of parsed.disks) {
      if (disk.type !== "file" || !disk.path) continue;
      files.push(disk.path);
      if (disk.format && disk.format !== "raw" && isImageFormat(disk.format) && existsSync(disk.path)) {
        layers.push(...(await backingChain(disk.path, disk.format)).map((l) => l.path));
      }
    }
    for (const f of [parsed.kernel, parsed.initrd, parsed.nvram]) if (f) files.push(f);
    for (const f of new Set([...files, ...layers])) await makeReachable(f, who, this.dataDir);
    for (const f of new Set(layers)) await makeReadable(f, who, this.dataDir);
  }

  /** The backing chains of a Tandem VM's own qcow2 disks (its overlays), to pin in its XML. */
  private async ownChains(uuid: string, parsed: ParsedDomain): Promise<Map<string, BackingLayer[]>> {
    const dir = this.vmDir(uuid) + path.sep;
    const out = new Map<string, BackingLayer[]>();
    for (const disk of parsed.disks) {
      if (disk.type !== "file" || !disk.path?.startsWith(dir) || disk.format !== "qcow2" || !existsSync(disk.path))
        continue;
      out.set(disk.path, await backingChain(disk.path, "qcow2"));
    }
    return out;
  }

  /**
   * The host firewall for guests (host-guard.ts), installed or refreshed once per connection
   * before the first guest starts: QEMU's user gets no new connection to a local address, and
   * the isolated bridge answers only DHCP and DNS. Fails closed: no guard, no start.
   */
  private ensureHostGuard(c: Connection): Promise<void> {
    if (!this.isLocalUri()) return Promise.resolve();
    this.guardReady ??= (async () => {
      const who = await this.qemu(c);
      if (!who) this.log.warn("QEMU runs as root: guests on the user network can reach the host's loopback");
      await (this.opts.hostGuard?.apply ?? applyHostGuard)({
        table: this.opts.hostGuard?.table ?? "tandem_vm_guard",
        qemuUid: who?.uid ?? null,
        bridges: [this.net.bridge],
      });
    })().catch((e: unknown) => {
      this.guardReady = null;
      throw e;
    });
    return this.guardReady;
  }

  /**
   * What a VM needs before each start: the host guard in place (every VM); and for a Tandem VM
   * its directory shared with QEMU's group, its VNC display on a unix socket (VMs defined before
   * that change are moved), its files reachable. Domains made outside Tandem keep their own XML
   * and files.
   */
  private async beforeStart(c: Connection, d: Domain): Promise<void> {
    await this.ensureHostGuard(c);
    const xml = await d.getXMLDesc(XMLFlag.INACTIVE);
    let parsed = parseDomainXml(xml);
    if (!parsed.tandem) return;
    // VMs defined before: VNC moves to a unix socket, base images get pinned (not handed to QEMU).
    const moved = vncSocketXml(xml);
    // (With QEMU as root there is nothing to keep from it: no chain is read then.)
    const chains = (await this.qemu(c)) ? await this.ownChains(d.uuid, parsed) : new Map<string, BackingLayer[]>();
    const pinned = pinBackingXml(moved ?? xml, chains);
    const next = pinned ?? moved;
    if (next) {
      (await c.defineDomain(next, DefineFlag.VALIDATE)).free();
      this.log.info(
        { name: parsed.name, vnc: moved !== null, backing: pinned !== null },
        "updated the VM's definition",
      );
      parsed = parseDomainXml(next);
    }
    if (existsSync(this.vmDir(d.uuid))) await shareDir(this.vmDir(d.uuid), await this.qemu(c));
    await this.reachFiles(c, parsed);
  }

  /** Runs fn with a freshly looked-up domain handle and frees it afterwards. */
  private async withDomain<T>(id: string, what: string, fn: (d: Domain, c: Connection) => Promise<T>): Promise<T> {
    const uuid = this.uuidOf(id);
    const c = await this.conn();
    let dom: Domain;
    try {
      dom = await c.lookupDomainByUUID(uuid);
    } catch (e) {
      throw this.fail(e, what, id);
    }
    try {
      return await fn(dom, c);
    } catch (e) {
      throw this.fail(e, what, id);
    } finally {
      dom.free();
    }
  }

  private stateOf(uuid: string, code: number, reason: number): GuestState {
    const base = guestState(code, reason);
    const t = this.transitions.get(uuid);
    if (t) {
      if (Date.now() < t.until && base === "running") return t.state;
      this.transitions.delete(uuid);
    }
    return base;
  }

  private toGuest(
    uuid: string,
    parsed: ParsedDomain,
    code: number,
    reason: number,
    leases: Leases | null = null,
  ): DriverGuest {
    this.vcpus.set(uuid, parsed.vcpus);
    const t = parsed.tandem;
    let createdAt = t?.createdAt || this.firstSeen.get(uuid);
    if (!createdAt) {
      createdAt = new Date().toISOString();
      this.firstSeen.set(uuid, createdAt);
    }
    return {
      id: this.idOf(uuid),
      hostId: this.opts.hostId,
      kind: "vm",
      name: parsed.name,
      state: this.stateOf(uuid, code, reason),
      vcpus: parsed.vcpus,
      memoryMiB: Math.round(parsed.memoryKiB / 1024),
      diskGiB: t?.diskBytes != null ? Math.round((t.diskBytes / GiB) * 100) / 100 : null,
      image: t?.image ?? null,
      createdAt,
      adopted: t === null,
      ipAddresses: leases ? guestAddresses(parsed.nics, leases) : [],
    };
  }

  /**
   * The DHCP leases of these networks: one virNetworkGetDHCPLeases call per network, all at
   * once. A network that cannot answer (stopped, no DHCP) just gives no addresses.
   */
  private async leases(c: Connection, networks: Iterable<string>): Promise<Leases> {
    const names = [...new Set(networks)];
    const now = Math.floor(Date.now() / 1000);
    const out: Leases = new Map();
    await Promise.all(
      names.map(async (n) => {
        try {
          out.set(n, addressesByMac(await c.networkGetDHCPLeases(n), now));
        } catch (e) {
          if (isConnectionError(e)) throw e;
          this.log.debug({ network: n, err: e instanceof Error ? e.message : String(e) }, "no DHCP leases");
        }
      }),
    );
    return out;
  }

  // ------------------------------------------------------------------------------ reads

  async list(): Promise<DriverGuest[]> {
    const c = await this.conn();
    let all;
    try {
      all = await c.listAllDomainsDetailed();
    } catch (e) {
      throw this.fail(e, "list VMs");
    }
    if (!this.swept) {
      this.swept = true;
      await this.sweepOrphanDirs(new Set(all.map((d) => d.uuid)));
    }
    const parsed: { d: (typeof all)[number]; p: ParsedDomain }[] = [];
    for (const d of all) {
      d.domain.free();
      try {
        parsed.push({ d, p: parseDomainXml(d.xml) });
      } catch (e) {
        this.log.warn({ name: d.name, err: e instanceof Error ? e.message : String(e) }, "skipping unreadable domain");
      }
    }
    // Addresses of running guests: one lease call per network they use, not one per guest.
    const nics: ParsedNic[] = parsed.filter((x) => x.d.id > 0).flatMap((x) => x.p.nics);
    let leases: Leases;
    try {
      leases = await this.leases(c, leaseNetworks(nics));
    } catch (e) {
      throw this.fail(e, "read DHCP leases");
    }
    return parsed.map(({ d, p }) => this.toGuest(d.uuid, p, d.stateCode, d.reason, d.id > 0 ? leases : null));
  }

  async get(id: string): Promise<DriverGuest> {
    return this.withDomain(id, "read the VM", async (d, c) => {
      const [xml, st, active] = await Promise.all([d.getXMLDesc(), d.getState(), d.isActive()]);
      const parsed = parseDomainXml(xml);
      const leases = active ? await this.leases(c, leaseNetworks(parsed.nics)) : null;
      return this.toGuest(d.uuid, parsed, st.code, st.reason, leases);
    });
  }

  /** The live domain XML (diagnostics and tests). */
  async domainXml(id: string): Promise<string> {
    return this.withDomain(id, "read the VM's XML", (d) => d.getXMLDesc());
  }

  /** Where this VM's own files live (they are removed by a purge, and nothing else is). */
  filesDir(id: string): string {
    return this.vmDir(this.uuidOf(id));
  }

  /** A new libvirt name for a shut-down VM (libvirt renames only inactive domains). */
  async rename(id: string, name: string): Promise<void> {
    const parsed = GuestName.safeParse(name);
    if (!parsed.success) throw new AppError("VALIDATION", `invalid VM name: ${parsed.error.issues[0]?.message}`);
    const uuid = this.uuidOf(id);
    await this.withDomain(id, "rename the VM", async (d) => {
      if (await d.isActive()) throw invalidState("shut the VM down to rename it");
      await d.rename(name);
    });
    this.hub.emit({ type: "changed", id: this.idOf(uuid) });
  }

  /** New vCPUs and memory for a stopped VM (its inactive definition is rewritten). */
  async resize(id: string, size: { vcpus?: number; memoryMiB?: number }): Promise<void> {
    if (size.vcpus !== undefined && (!Number.isInteger(size.vcpus) || size.vcpus < 1)) {
      throw new AppError("VALIDATION", "a VM's vcpus must be a whole number of at least 1");
    }
    const uuid = this.uuidOf(id);
    await this.withDomain(id, "resize the VM", async (d, c) => {
      if (await d.isActive()) throw invalidState("shut the VM down to change its vCPUs or memory");
      const xml = resizeDomainXml(await d.getXMLDesc(XMLFlag.INACTIVE), size);
      (await c.defineDomain(xml, DefineFlag.VALIDATE)).free();
    });
    this.hub.emit({ type: "changed", id: this.idOf(uuid) });
  }

  /**
   * A connected byte stream to the VM's VNC server. Tandem's VMs have it on a unix socket libvirt
   * generates in the domain's private directory (0750, QEMU's user: only root and QEMU reach it);
   * a domain made outside Tandem may have it on this host's loopback instead. Either way the
   * stream speaks plain RFB: the browser's websocket ends at Tandem.
   */
  async openVnc(id: string): Promise<Duplex> {
    const vnc = await this.withDomain(id, "open the VNC console", async (d) => {
      if (!(await d.isActive())) throw invalidState("the VM is not running: its screen exists only while it runs");
      return parseDomainXml(await d.getXMLDesc()).vnc;
    });
    if (!this.isLocalUri()) {
      throw new AppError("BAD_REQUEST", "the screen of a VM on a remote libvirt host is not available yet");
    }
    if (vnc?.socket) return dial(() => netConnect(vnc.socket!));
    if (vnc?.port && vnc.port > 0) return dial(() => netConnect(vnc.port!, "127.0.0.1"));
    throw invalidState("the VM has no VNC display (it must be running with a VNC <graphics> device)");
  }

  // ------------------------------------------------------------------------------ create

  /** An upload the image library is about to keep: a standalone image of its declared format. */
  async inspectDiskImage(file: string, format: "qcow2" | "raw" | "iso"): Promise<{ virtualBytes: number }> {
    return inspectDiskImage(file, format);
  }

  async create(spec: GuestSpec, progress: (p: Progress) => void): Promise<DriverGuest> {
    return this.whileBuilding(spec.uuid, () => this.createVm(spec, progress));
  }

  /** Marks a VM's directory as in use while its files are made (see sweepOrphanDirs). */
  private async whileBuilding<T>(uuid: string, work: () => Promise<T>): Promise<T> {
    this.building.add(uuid);
    try {
      return await work();
    } finally {
      this.building.delete(uuid);
    }
  }

  private async createVm(spec: GuestSpec, progress: (p: Progress) => void): Promise<DriverGuest> {
    const name = GuestName.safeParse(spec.name);
    if (!name.success)
      throw new AppError("VALIDATION", `invalid VM name: ${name.error.issues[0]?.message ?? "bad name"}`);
    if (!UUID_RE.test(spec.uuid)) throw new AppError("VALIDATION", "the VM's uuid must be a lowercase RFC 4122 UUID");
    if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1) throw new AppError("VALIDATION", "vcpus must be at least 1");
    if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 16)
      throw new AppError("VALIDATION", "memoryMiB must be at least 16");
    const image = spec.resolvedImage;
    if (image.kind !== "vm") throw new AppError("VALIDATION", `image '${image.id}' is not a VM image`);
    const uuid = spec.uuid;
    const id = this.idOf(uuid);
    const networkMode = spec.network ?? "user";

    progress({ percent: 5, message: "checking" });
    const c = await this.conn();
    let taken: boolean;
    try {
      const d = await c.lookupDomainByName(spec.name);
      d.free();
      taken = true;
    } catch (e) {
      if (!isNoDomain(e)) throw this.fail(e, "check the VM name");
      taken = false;
    }
    if (taken) throw new AppError("CONFLICT", `a VM named '${spec.name}' already exists on this host`);

    const dir = await this.makeVmDir(c, uuid);

    let defined = null as Domain | null;
    try {
      progress({ percent: 15, message: "preparing disks" });
      const { boot, disks, diskBytes } = await this.prepareDisks(spec, dir);

      let nic: NicDef | null = null;
      if (networkMode === "user") nic = { kind: "user" };
      else if (networkMode === "isolated") {
        progress({ percent: 45, message: `starting network ${this.net.name}` });
        await this.ensureIsolatedNetwork(c);
        nic = { kind: "network", network: this.net.name };
      }

      const def: DomainDef = {
        type: this.accel,
        name: spec.name,
        uuid,
        memoryMiB: spec.memoryMiB,
        vcpus: spec.vcpus,
        boot,
        disks,
        nic,
        serialLog: path.join(dir, "serial.log"),
        vnc: true,
        meta: { image: image.id, createdAt: new Date().toISOString(), diskBytes, network: networkMode },
      };
      progress({ percent: 60, message: "defining the domain" });
      const xml = buildDomainXml(def);
      try {
        defined = await c.defineDomain(xml, DefineFlag.VALIDATE);
      } catch (e) {
        throw this.fail(e, "define the VM", id);
      }
      if (spec.start !== false) {
        progress({ percent: 80, message: "starting" });
        await this.ensureHostGuard(c);
        await this.reachFiles(c, parseDomainXml(xml));
        try {
          await defined.create();
        } catch (e) {
          throw this.fail(e, "start the VM", id);
        }
      }
      progress({ percent: 100, message: spec.start !== false ? "running" : "created" });
      return await this.get(id);
    } catch (e) {
      // Leave nothing behind: the domain (if defined) and this VM's directory.
      if (defined) {
        await defined.destroy().catch(() => undefined);
        await defined.undefine(UndefineFlag.SNAPSHOTS_METADATA | UndefineFlag.NVRAM).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true });
      throw e instanceof AppError ? e : this.fail(e, "create the VM", id);
    } finally {
      defined?.free();
    }
  }

  private async prepareDisks(
    spec: GuestSpec,
    dir: string,
  ): Promise<{ boot: DomainDef["boot"]; disks: DiskDef[]; diskBytes: number | null }> {
    const image = spec.resolvedImage;
    const wanted = spec.diskGiB !== undefined ? spec.diskGiB * GiB : undefined;
    const main = path.join(dir, "disk.qcow2");
    const mainDisk = (backing?: DiskDef["backing"]): DiskDef => ({
      path: main,
      format: "qcow2",
      device: "disk",
      bus: "virtio",
      target: "vda",
      ...(backing ? { backing } : {}),
    });
    switch (image.format) {
      case "demo-kernel": {
        const meta = DemoMeta.safeParse(image.meta);
        if (!meta.success) throw new AppError("VALIDATION", `image '${image.id}' lacks kernel/initrd/disk paths`);
        for (const f of [meta.data.kernel, meta.data.initrd, meta.data.disk]) {
          if (!existsSync(f)) throw new AppError("VALIDATION", `image '${image.id}' is missing ${path.basename(f)}`);
        }
        await createOverlay(main, meta.data.disk, "qcow2", wanted);
        return {
          boot: { kind: "kernel", kernel: meta.data.kernel, initrd: meta.data.initrd, cmdline: meta.data.cmdline },
          disks: [mainDisk([{ path: meta.data.disk, format: "qcow2" }])],
          diskBytes: await virtualSize(main, "qcow2"),
        };
      }
      case "qcow2":
      case "raw": {
        if (!absPath.safeParse(image.path).success || !existsSync(image.path)) {
          throw new AppError("VALIDATION", `image '${image.id}' has no file on this host`);
        }
        // Again here, not only at upload: images admitted before uploads were inspected.
        await inspectDiskImage(image.path, image.format);
        await createOverlay(main, image.path, image.format, wanted);
        const disks = [mainDisk([{ path: image.path, format: image.format }])];
        const ci = spec.cloudInit;
        const hostname = ci?.hostname ?? spec.hostname ?? spec.name;
        if (!HOSTNAME_RE.test(hostname)) throw new AppError("VALIDATION", `'${hostname}' is not a valid hostname`);
        if (ci || (await seedTool())) {
          const seed = path.join(dir, "seed.iso");
          const tool = await makeSeed(seed, {
            instanceId: spec.uuid,
            hostname,
            user: ci?.user,
            password: ci?.password,
            sshKeys: ci?.sshKeys,
          }).catch((e: unknown) => {
            throw new AppError("BACKEND_UNAVAILABLE", e instanceof Error ? e.message : String(e));
          });
          this.log.debug({ tool, uuid: spec.uuid }, "cloud-init seed written");
          disks.push({ path: seed, format: "raw", device: "cdrom", bus: "sata", target: "sda", readonly: true });
        } else {
          this.log.warn({ uuid: spec.uuid }, "no seed tool (genisoimage/xorriso/mkfs.vfat+mcopy): no cloud-init seed");
        }
        return { boot: { kind: "firmware", order: ["hd"] }, disks, diskBytes: await virtualSize(main, "qcow2") };
      }
      case "iso": {
        if (!absPath.safeParse(image.path).success || !existsSync(image.path)) {
          throw new AppError("VALIDATION", `image '${image.id}' has no file on this host`);
        }
        const size = wanted ?? DEFAULT_INSTALL_DISK_GIB * GiB;
        await createBlank(main, size);
        return {
          boot: { kind: "firmware", order: ["cdrom", "hd"] },
          disks: [
            mainDisk(),
            { path: image.path, format: "raw", device: "cdrom", bus: "sata", target: "sda", readonly: true },
          ],
          diskBytes: size,
        };
      }
      default:
        throw new AppError("VALIDATION", `image format '${image.format}' cannot make a VM`);
    }
  }

  /** Defines and starts the isolated Tandem network once (a bridge with DHCP, no <forward>). */
  private ensureIsolatedNetwork(c: Connection): Promise<void> {
    this.networkReady ??= (async () => {
      const { name, bridge, prefix } = this.net;
      const existing = (await c.listNetworks()).find((n) => n.name === name);
      if (!existing) {
        await c.networkDefineXML(
          buildNetworkXml({
            name,
            bridge,
            address: `${prefix}.1`,
            netmask: "255.255.255.0",
            dhcpStart: `${prefix}.100`,
            dhcpEnd: `${prefix}.254`,
          }),
        );
        await c.networkSetAutostart(name, true).catch(() => undefined);
        this.log.info({ name, bridge }, "defined the isolated VM network");
      }
      if (!existing?.active) await c.networkCreate(name);
    })().catch((e: unknown) => {
      this.networkReady = null;
      throw this.fail(e, `start the network ${this.net.name}`);
    });
    return this.networkReady;
  }

  // ------------------------------------------------------------------------------ lifecycle

  async act(id: string, action: GuestAction): Promise<void> {
    const uuid = this.uuidOf(id);
    await this.withDomain(id, action, async (d, c) => {
      const st = await d.getState();
      const state = this.stateOf(uuid, st.code, st.reason);
      if (!canAct(state, action)) throw invalidState(`cannot ${action} ${d.name}: it is ${state}`);
      switch (action) {
        case "start":
          await this.refuseIfTemplate(c, d, "start");
          await this.beforeStart(c, d);
          await d.create();
          return;
        case "stop":
          this.transitions.delete(uuid);
          await d.destroy();
          return;
        case "reboot":
          await d.reboot();
          // libvirt sends no lifecycle event for a reboot: tell subscribers to re-read.
          this.hub.emit({ type: "changed", id: this.idOf(uuid) });
          return;
        case "pause":
          await d.suspend();
          return;
        case "resume":
          await d.resume();
          return;
        case "shutdown":
          await this.shutdown(uuid, d);
          return;
      }
    });
  }

  /** ACPI power button, then wait for the guest to power off — or report a clear timeout. */
  private async shutdown(uuid: string, d: Domain): Promise<void> {
    const started = Date.now();
    const until = started + this.shutdownTimeoutMs;
    this.transitions.set(uuid, { state: "shutting-down", until });
    this.hub.emit({ type: "changed", id: this.idOf(uuid), state: "shutting-down" });
    try {
      await d.shutdown(ShutdownFlag.ACPI);
      while (Date.now() < until) {
        const st = await d.getState();
        const s = guestState(st.code, st.reason);
        if (s !== "running" && s !== "shutting-down") return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new AppError(
        "CONFLICT",
        `${d.name} did not power off within ${Math.round(this.shutdownTimeoutMs / 1000)} s of the ACPI shutdown request; ` +
          "it is still running (the guest may ignore ACPI) — use stop to force it off",
        { reason: "shutdown-timeout", timeoutMs: this.shutdownTimeoutMs },
      );
    } finally {
      this.transitions.delete(uuid);
      this.hub.emit({ type: "changed", id: this.idOf(uuid) });
    }
  }

  /**
   * Destroys and undefines the domain (with its snapshot, checkpoint and managed-save metadata
   * and NVRAM). With `purgeDisks`, a Tandem-made VM's own directory goes too (overlay, seed,
   * serial log) — never a base image, an ISO, or anything of an adopted domain: an adopted
   * domain is only undefined, purge or not, because its disks are not Tandem's. A purge of a VM
   * whose disk backs a linked clone is refused with CONFLICT before anything is touched.
   */
  async remove(id: string, opts: { purgeDisks: boolean }): Promise<void> {
    const uuid = this.uuidOf(id);
    let parsed: ParsedDomain | null = null;
    await this.withDomain(id, "delete the VM", async (d, c) => {
      parsed = parseDomainXml(await d.getXMLDesc());
      if (opts.purgeDisks && parsed.tandem) await this.refuseIfTemplate(c, d, "purge", parsed);
      if (await d.isActive()) await d.destroy();
      await d.undefine(
        UndefineFlag.MANAGED_SAVE |
          UndefineFlag.SNAPSHOTS_METADATA |
          UndefineFlag.CHECKPOINTS_METADATA |
          UndefineFlag.NVRAM,
      );
    });
    this.transitions.delete(uuid);
    this.vcpus.delete(uuid);
    this.firstSeen.delete(uuid);
    const p = parsed as ParsedDomain | null;
    if (opts.purgeDisks && p?.tandem) {
      // Only this VM's own directory (overlay, seed, serial log): never a base image, an ISO
      // or a disk of an adopted domain.
      await rm(this.vmDir(uuid), { recursive: true, force: true });
      if (this.isLocalSystemUri()) {
        await rm(path.join("/var/log/libvirt/qemu", `${p.name}.log`), { force: true }).catch(() => undefined);
      }
    }
    this.hub.emit({ type: "removed", id });
  }

  private isLocalSystemUri(): boolean {
    return /^qemu:\/\/\/system$/.test(this.opts.uri);
  }

  /** A URI without a host: the domain's files (logs, disks) are on this machine. */
  private isLocalUri(): boolean {
    try {
      return new URL(this.opts.uri).host === "";
    } catch {
      return false;
    }
  }

  // ------------------------------------------------------------------------------ clones

  /** The linked clones (other domains) whose overlays are backed by one of `files`, by name. */
  private async linkedClonesOf(
    c: Connection,
    selfUuid: string,
    files: readonly string[],
  ): Promise<{ id: string; name: string }[]> {
    const mine = new Set(files.map((f) => path.resolve(f)));
    if (mine.size === 0) return [];
    const out: { id: string; name: string }[] = [];
    for (const d of await c.listAllDomainsDetailed()) {
      d.domain.free();
      if (d.uuid === selfUuid) continue;
      let backing: string[] = [];
      try {
        backing = parseDomainXml(d.xml).tandem?.backing ?? [];
      } catch {
        continue;
      }
      if (backing.some((b) => mine.has(path.resolve(b)))) out.push({ id: this.idOf(d.uuid), name: d.name });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The linked clones built on this VM's disks: while there is any, the VM is their template
   * (start, revert and purge are refused). For the UI and for checks before a task starts.
   */
  async linkedClones(id: string): Promise<{ id: string; name: string }[]> {
    return this.withDomain(id, "find linked clones", async (d, c) => {
      const p = parseDomainXml(await d.getXMLDesc(XMLFlag.INACTIVE));
      return this.linkedClonesOf(c, d.uuid, this.diskFiles(p));
    });
  }

  private diskFiles(p: ParsedDomain): string[] {
    return p.disks.filter((x) => x.path && x.type === "file").map((x) => x.path!);
  }

  /**
   * A VM whose disk files back linked clones is their template: starting or reverting it would
   * rewrite the data under the clones' overlays, purging it would delete it. Refuse with
   * CONFLICT and name the clones.
   */
  private async refuseIfTemplate(
    c: Connection,
    d: Domain,
    what: "start" | "revert" | "purge",
    parsed?: ParsedDomain,
  ): Promise<void> {
    const p = parsed ?? parseDomainXml(await d.getXMLDesc(XMLFlag.INACTIVE));
    const clones = (await this.linkedClonesOf(c, d.uuid, this.diskFiles(p))).map((x) => x.name);
    if (clones.length === 0) return;
    const verb = { start: "start", revert: "revert", purge: "delete the disks of" }[what];
    throw new AppError(
      "CONFLICT",
      `cannot ${verb} ${d.name}: its disk is the base of the linked clone${clones.length > 1 ? "s" : ""} ` +
        `${clones.join(", ")} — ${what === "purge" ? "deleting it would break them" : "writing to it would corrupt them"}. ` +
        "Delete the linked clones first (or make full clones instead).",
      { reason: "linked-clones", clones },
    );
  }

  /**
   * A copy of a stopped VM under a new name and uuid. `linked`: each writable disk becomes a
   * new qcow2 overlay backed by the source's disk file (instant, but the source becomes the
   * clones' template: it is not started, reverted or purged while they exist). `full`: each
   * disk is copied (qemu-img convert, the backing chain flattened) into an independent qcow2.
   * The domain XML is the source's with a new name, uuid, MACs, serial log, NVRAM copy, a new
   * cloud-init seed (new instance-id and hostname) and Tandem metadata naming the source.
   * Read-only or shareable disks outside the source's own directory (ISOs) are shared.
   */
  async clone(
    id: string,
    opts: { name: string; mode: "linked" | "full"; uuid: string },
    progress: (p: Progress) => void,
  ): Promise<DriverGuest> {
    return this.whileBuilding(opts.uuid, () => this.cloneVm(id, opts, progress));
  }

  private async cloneVm(
    id: string,
    opts: { name: string; mode: "linked" | "full"; uuid: string },
    progress: (p: Progress) => void,
  ): Promise<DriverGuest> {
    const name = GuestName.safeParse(opts.name);
    if (!name.success)
      throw new AppError("VALIDATION", `invalid VM name: ${name.error.issues[0]?.message ?? "bad name"}`);
    if (!UUID_RE.test(opts.uuid))
      throw new AppError("VALIDATION", "the clone's uuid must be a lowercase RFC 4122 UUID");
    if (opts.mode !== "linked" && opts.mode !== "full") throw new AppError("VALIDATION", "mode must be linked or full");
    const srcUuid = this.uuidOf(id);
    const uuid = opts.uuid;
    const newId = this.idOf(uuid);
    progress({ percent: 2, message: "checking" });

    // The source, stopped, and its persistent definition.
    const { xml, parsed } = await this.withDomain(id, "read the VM to clone", async (d) => {
      const st = await d.getState();
      const state = this.stateOf(srcUuid, st.code, st.reason);
      if (st.code !== DomainState.SHUTOFF) throw invalidState(`stop ${d.name} before cloning it: it is ${state}`);
      if (!(await d.isPersistent())) {
        throw new AppError("VALIDATION", `${d.name} is a transient domain: it has no definition to clone`);
      }
      const x = await d.getXMLDesc(XMLFlag.INACTIVE | XMLFlag.SECURE);
      return { xml: x, parsed: parseDomainXml(x) };
    });
    const c = await this.conn();
    for (const lookup of [() => c.lookupDomainByName(opts.name), () => c.lookupDomainByUUID(uuid)]) {
      let taken = false;
      try {
        (await lookup()).free();
        taken = true;
      } catch (e) {
        if (!isNoDomain(e)) throw this.fail(e, "check the clone's name");
      }
      if (taken) throw new AppError("CONFLICT", `a VM named '${opts.name}' (or with uuid ${uuid}) already exists`);
    }

    // What to copy: every disk Tandem can write to; a seed inside the source's directory is
    // rebuilt; shared read-only media stay where they are.
    const srcDir = parsed.tandem ? this.vmDir(srcUuid) : null;
    const inSrcDir = (f: string) => srcDir !== null && path.resolve(f).startsWith(srcDir + path.sep);
    const dir = this.vmDir(uuid);
    interface Job {
      from: string;
      format: ImageFormat;
      to: string;
    }
    const jobs: Job[] = [];
    let seed: { from: string; to: string } | null = null;
    for (const disk of parsed.disks) {
      if (disk.device === "disk" || disk.device === "lun") {
        if ((disk.readonly || disk.shareable) && disk.path && !inSrcDir(disk.path)) continue;
        if (disk.type !== "file" || !disk.path) {
          throw new AppError(
            "VALIDATION",
            `cannot clone ${parsed.name}: disk ${disk.target ?? "?"} is a ${disk.type} disk; only file disks can be copied`,
          );
        }
        const format = disk.format ?? "raw";
        if (!isImageFormat(format)) {
          throw new AppError("VALIDATION", `cannot clone ${parsed.name}: disk format '${format}' is not supported`);
        }
        const target = disk.target && /^[a-z0-9]{1,16}$/.test(disk.target) ? disk.target : String(jobs.length);
        jobs.push({
          from: disk.path,
          format,
          to: path.join(dir, jobs.length === 0 ? "disk.qcow2" : `disk-${target}.qcow2`),
        });
      } else if (disk.path && disk.type === "file" && inSrcDir(disk.path)) {
        if (seed) throw new AppError("VALIDATION", `cannot clone ${parsed.name}: more than one seed image`);
        seed = {
          from: disk.path,
          to: path.join(dir, path.basename(disk.path) === "seed.iso" ? "seed.iso" : "media.img"),
        };
      }
    }
    if (new Set(jobs.map((j) => j.to)).size !== jobs.length) {
      throw new AppError("VALIDATION", `cannot clone ${parsed.name}: two disks share a target name`);
    }

    await this.makeVmDir(c, uuid);
    let defined: Domain | null = null;
    try {
      // Disks.
      const files = new Map<string, { path: string; format: string; backing?: BackingLayer[] }>();
      const chains = new Map<string, BackingLayer[]>();
      if (opts.mode === "linked") {
        progress({ percent: 10, message: "creating linked overlays" });
        for (const j of jobs) {
          await createOverlay(j.to, j.from, j.format);
          chains.set(j.to, await backingChain(j.to, "qcow2"));
        }
      } else {
        const sizes = await Promise.all(jobs.map((j) => virtualSize(j.from, j.format).catch(() => 1)));
        const total = sizes.reduce((a, b) => a + b, 0) || 1;
        let done = 0;
        let last = -1;
        for (const [i, j] of jobs.entries()) {
          const size = sizes[i]!;
          await copyImage(j.from, j.format, j.to, (p) => {
            const percent = Math.floor(10 + (75 * (done + (size * p) / 100)) / total);
            if (percent !== last) {
              last = percent;
              progress({ percent, message: `copying disk ${i + 1} of ${jobs.length}` });
            }
          });
          done += size;
        }
      }
      for (const j of jobs) files.set(j.from, { path: j.to, format: "qcow2", backing: chains.get(j.to) });

      // Seed: same users and keys, a new instance-id and hostname.
      if (seed) {
        progress({ percent: 86, message: "writing the cloud-init seed" });
        const hostname = HOSTNAME_RE.test(opts.name)
          ? opts.name
          : opts.name
              .replace(/[^a-zA-Z0-9-]/g, "-")
              .slice(0, 63)
              .replace(/-+$/, "");
        try {
          await cloneSeed(seed.from, seed.to, { instanceId: uuid, hostname });
        } catch (e) {
          this.log.warn({ err: e instanceof Error ? e.message : String(e), uuid }, "seed not rebuilt; copied as is");
          await copyFile(seed.from, seed.to);
        }
        files.set(seed.from, { path: seed.to, format: "raw" });
      }

      // NVRAM: the source's UEFI variables, copied; libvirt makes a fresh store if there is none.
      let nvram: string | null = null;
      if (parsed.nvram && this.isLocalUri() && existsSync(parsed.nvram)) {
        nvram = path.join(dir, "nvram.fd");
        await copyFile(parsed.nvram, nvram);
      }

      const src = parsed.tandem;
      const meta: TandemMeta = {
        image: src?.image ?? null,
        createdAt: new Date().toISOString(),
        diskBytes: src?.diskBytes ?? (jobs[0] ? await virtualSize(jobs[0].to, "qcow2").catch(() => null) : null),
        network:
          src?.network ??
          (parsed.nics.length === 0
            ? "none"
            : parsed.nics.some((n) => n.network === this.net.name)
              ? "isolated"
              : "user"),
        clonedFrom: id,
        cloneMode: opts.mode,
        backing: opts.mode === "linked" ? jobs.map((j) => j.from) : [],
      };
      const cloneXml = cloneDomainXml(xml, {
        name: opts.name,
        uuid,
        files,
        serialLog: path.join(dir, "serial.log"),
        nvram,
        meta,
      });
      progress({ percent: 92, message: "defining the domain" });
      if (meta.network === "isolated" && parsed.nics.some((n) => n.network === this.net.name)) {
        await this.ensureIsolatedNetwork(c);
      }
      try {
        defined = await c.defineDomain(cloneXml, DefineFlag.VALIDATE);
      } catch (e) {
        throw this.fail(e, "define the clone", newId);
      }
      progress({ percent: 100, message: `${opts.mode} clone of ${parsed.name} created` });
      return await this.get(newId);
    } catch (e) {
      if (defined) await defined.undefine(UndefineFlag.SNAPSHOTS_METADATA | UndefineFlag.NVRAM).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw e instanceof AppError ? e : this.fail(e, "clone the VM", id);
    } finally {
      defined?.free();
    }
  }

  // ------------------------------------------------------------------------------ stats

  async sample(ids: string[]): Promise<GuestSample[]> {
    const wanted = new Map<string, string>();
    for (const id of ids) {
      const p = parseGuestId(id);
      if (p && p.kind === "vm" && p.hostId === this.opts.hostId) wanted.set(p.uuid, id);
    }
    if (wanted.size === 0) return [];
    const c = await this.conn();
    let recs;
    try {
      recs = await c.getAllDomainStats(SAMPLE_GROUPS, StatsFlag.ACTIVE);
    } catch (e) {
      throw this.fail(e, "read VM statistics");
    }
    const at = Date.now();
    if (recs.some((r) => wanted.has(r.uuid) && !this.vcpus.has(r.uuid))) await this.list().catch(() => undefined);
    const out: GuestSample[] = [];
    for (const r of recs) {
      const id = wanted.get(r.uuid);
      if (id) out.push(toSample(id, at, r.params, this.vcpus.get(r.uuid) ?? 1));
    }
    return out;
  }

  // ------------------------------------------------------------------------------ consoles

  async openConsole(id: string, _size: TermSize): Promise<ConsoleStream> {
    const uuid = this.uuidOf(id);
    return this.withDomain(id, "open the serial console", async (d) => {
      const st = await d.getState();
      const state = this.stateOf(uuid, st.code, st.reason);
      if (state !== "running" && state !== "paused" && state !== "shutting-down") {
        throw invalidState(`cannot open the console of a VM that is ${state}`);
      }
      // force: the newest viewer takes the console over (a second tab, a reconnect).
      const raw = await d.openConsole({ force: true });
      const con: SerialConsole = new SerialConsole(raw, () => this.consoles.delete(con));
      this.consoles.add(con);
      return con;
    });
  }

  /**
   * The tail of the serial log libvirt writes from power-on (`<log file=...>`), for a console
   * viewer that attaches late. Empty when the domain has no log or lives on another host.
   */
  async consoleHistory(id: string, maxBytes: number): Promise<Uint8Array> {
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new AppError("VALIDATION", "maxBytes must be positive");
    const xml = await this.withDomain(id, "read the console history", (d) => d.getXMLDesc());
    const log = parseDomainXml(xml).serialLog;
    if (!log || !path.isAbsolute(log) || !this.isLocalUri()) return new Uint8Array(0);
    try {
      return await readConsoleLog(log, Math.min(maxBytes, MAX_CONSOLE_HISTORY));
    } catch (e) {
      throw this.fail(e, "read the console history", id);
    }
  }

  // ------------------------------------------------------------------------------ snapshots

  /** Oldest first; `current` marks the snapshot the VM's state descends from (libvirt's). */
  async listSnapshots(id: string): Promise<SnapshotInfo[]> {
    return this.withDomain(id, "list snapshots", async (d) => {
      const snaps = (await d.listSnapshotsDetailed()).map((s) => ({ ...parseSnapshotXml(s.xml), current: s.current }));
      // creationTime has one-second resolution: a parent still sorts before its child.
      snaps.sort(
        (a, b) =>
          a.createdAt.localeCompare(b.createdAt) ||
          (b.parent === a.name ? -1 : a.parent === b.name ? 1 : a.name.localeCompare(b.name)),
      );
      return snaps.map((s): SnapshotInfo => ({
        name: s.name,
        description: s.description,
        createdAt: s.createdAt,
        state: s.state,
        current: s.current,
      }));
    });
  }

  async createSnapshot(id: string, name: string, description?: string): Promise<void> {
    if (!GuestName.safeParse(name).success) throw new AppError("VALIDATION", "invalid snapshot name");
    if (description !== undefined && (typeof description !== "string" || description.length > 4096))
      throw new AppError("VALIDATION", "the description must be a string of at most 4096 characters");
    const xml = snapshotBuilder.build({
      domainsnapshot: { name, ...(description ? { description } : {}) },
    }) as string;
    await this.withDomain(id, "create a snapshot", async (d) => {
      await d.snapshotCreateXML(xml);
    });
  }

  async revertSnapshot(id: string, name: string): Promise<void> {
    await this.withDomain(id, "revert to the snapshot", async (d, c) => {
      await this.refuseIfTemplate(c, d, "revert");
      // A running snapshot starts QEMU again: its files must be reachable as for a start.
      await this.beforeStart(c, d);
      await d.revertToSnapshot(name).catch((e: unknown) => {
        throw isNoSnapshot(e) ? notFound("snapshot", name) : e;
      });
    });
    this.hub.emit({ type: "changed", id });
  }

  async deleteSnapshot(id: string, name: string): Promise<void> {
    await this.withDomain(id, "delete the snapshot", async (d) => {
      await d.deleteSnapshot(name).catch((e: unknown) => {
        throw isNoSnapshot(e) ? notFound("snapshot", name) : e;
      });
    });
  }

  // ------------------------------------------------------------------------------ events, health

  events(signal: AbortSignal): AsyncIterable<DriverEvent> {
    // Subscribing is what makes the driver connect and listen; nothing polls.
    void this.link.get().catch(() => undefined);
    return this.hub.subscribe(signal);
  }

  private onDomainEvent(e: DomainEvent): void {
    if (!UUID_RE.test(e.uuid)) return;
    const id = this.idOf(e.uuid);
    if (e.kind === "reboot") {
      this.hub.emit({ type: "changed", id, state: "running" });
      return;
    }
    const hint = stateHint(e.event, e.detail);
    if (hint === "removed") {
      this.hub.emit({ type: "removed", id });
      return;
    }
    if (hint === "stopped" || hint === "crashed" || hint === "paused") this.transitions.delete(e.uuid);
    const transition = this.transitions.get(e.uuid);
    const state = transition && hint === "running" ? transition.state : (hint ?? undefined);
    this.hub.emit(state ? { type: "changed", id, state } : { type: "changed", id });
  }

  async health(): Promise<{ healthy: boolean; message: string }> {
    try {
      const c = await this.conn();
      if (!this.versions) {
        const [lib, hv] = await Promise.all([c.getLibVersion(), c.getVersion()]);
        const v = (n: number) => `${Math.floor(n / 1e6)}.${Math.floor((n % 1e6) / 1e3)}.${n % 1e3}`;
        this.versions = `libvirt ${v(lib)}, QEMU ${v(hv)}`;
      }
      return {
        healthy: true,
        message: `${this.versions} at ${this.opts.uri} (${this.accel === "kvm" ? "KVM" : "TCG, no hardware virtualisation"})`,
      };
    } catch (e) {
      const msg = e instanceof AppError ? this.link.lastMessage : e instanceof Error ? e.message : String(e);
      return { healthy: false, message: msg };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.consoles]) c.close();
    this.consoles.clear();
    await this.link.close();
  }
}
