// LibvirtDriver: GuestDriver for QEMU VMs through libvirt (native/libvirt), a thin surface over
// its parts. libvirtd owns the truth — every read goes to it (reads.ts); Tandem's own fields
// live in the domain's <metadata>. Per-VM files live in `${dataDir}/vms/<uuid>/` (layout.ts)
// and a purge removes exactly that directory. Domains made outside Tandem are listed as
// adopted; deleting one only undefines it, purge or not. Linked clones make their source a
// template (templates.ts). Acceleration (KVM or TCG) is detected here once (accel.ts) and read
// by the host summary through `accel`. See README.md.
import type { Duplex } from "node:stream";
import type { GuestAction } from "../../../contract/guest";
import type { DiskFormat } from "../../../contract/image";
import type {
  AccelCapable,
  CloneCapable,
  ConsoleHistoryCapable,
  ConsoleStream,
  DiskInspectCapable,
  DriverEvent,
  DriverGuest,
  GuestDriver,
  GuestSample,
  GuestSpec,
  NicHotplugCapable,
  Progress,
  RenameCapable,
  ResolvedNic,
  ResizeCapable,
  SnapshotCapable,
  SnapshotInfo,
  TermSize,
  VncCapable,
} from "../../../domain/driver";
import { specOfKind } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import type { DiskCapable, DriverDisk, VolumeRef } from "../../../domain/guest-disks";
import type { Logger } from "../../../domain/logger";
import { detectAccel, type Accel } from "./accel";
import { cloneVm } from "./clone";
import type { CloneOptions } from "./clone-plan";
import { Consoles } from "./consoles";
import { VmContext, type IsolatedNetworkOptions } from "./context";
import { createVm } from "./create";
import { renameVm, resizeVm } from "./definition";
import { inspectDiskImage } from "./disk-inspect";
import { GuestDisks } from "./guest-disks";
import { Lifecycle } from "./lifecycle";
import type { ConnectFn } from "./link";
import { IsolatedNetwork } from "./network";
import { LibvirtNetworkRealizer } from "./network-realizer";
import { NicHotplug } from "./nic-hotplug";
import { LibvirtStoragePools } from "./storage-pools";
import { OrphanSweep } from "./orphans";
import { GuestReader } from "./reads";
import { sampleVms } from "./sampler";
import { Snapshots } from "./snapshots";
import { StartPrep, type HostGuardOptions } from "./start-prep";
import { Templates, type CloneRef } from "./templates";

export type { IsolatedNetworkOptions } from "./context";

export interface LibvirtDriverOptions {
  uri: string;
  hostId: string;
  /** Per-VM disks, seeds and logs go to `${dataDir}/vms/<uuid>/`. */
  dataDir: string;
  /** KVM or QEMU's TCG; `auto` (default) detects (accel.ts). */
  accel?: "kvm" | "qemu" | "auto";
  logger?: Logger;
  /** How long `shutdown` waits for the guest to power off after the ACPI request (default 60 s). */
  shutdownTimeoutMs?: number;
  isolatedNetwork?: Partial<IsolatedNetworkOptions>;
  /**
   * The nftables table that keeps guests off the host's own services (host-guard.ts); default
   * tandem_vm_guard. Tests use their own and remove it; unit tests record instead of applying.
   */
  hostGuard?: HostGuardOptions;
  /** Reconnect back-off after libvirtd goes away (default 250 ms doubling to 10 s). */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /** For tests: how to open a connection. */
  connect?: ConnectFn;
  /**
   * Realize Tandem's networks as libvirt networks (network-realizer.ts). Off unless asked:
   * createDrivers turns it on for the server; tests that only run guests leave host networks alone.
   */
  manageNetworks?: boolean;
  /**
   * Offer libvirt's storage pools (storage-pools.ts) with Tandem's default directory pool,
   * named `storagePool` (default `tandem`), made under the data directory on first use.
   * createDrivers turns it on; tests that make pools name their own and remove it.
   */
  manageStorage?: boolean;
  storagePool?: string;
}

export class LibvirtDriver
  implements
    GuestDriver,
    AccelCapable,
    VncCapable,
    SnapshotCapable,
    CloneCapable,
    ConsoleHistoryCapable,
    DiskInspectCapable,
    RenameCapable,
    ResizeCapable,
    DiskCapable,
    NicHotplugCapable
{
  readonly kind = "vm" as const;
  /** How this host runs VMs: the one detection Tandem makes (the host summary shows it). */
  readonly accel: Accel;
  private readonly ctx: VmContext;
  private readonly orphans: OrphanSweep;
  private readonly reads: GuestReader;
  private readonly network: IsolatedNetwork;
  private readonly startPrep: StartPrep;
  private readonly templates: Templates;
  private readonly lifecycle: Lifecycle;
  private readonly snapshots: Snapshots;
  private readonly consoles: Consoles;
  private readonly disks: GuestDisks;
  private readonly nicPlug: NicHotplug;
  private versions: string | null = null;
  private closed = false;
  /** Sets Tandem's networks up as libvirt networks; null unless `manageNetworks`. */
  readonly networkRealizer: LibvirtNetworkRealizer | null;
  /** Storage pools and volumes (domain/storage.ts StorageBackend); null unless `manageStorage`. */
  readonly storage: LibvirtStoragePools | null;

  constructor(opts: LibvirtDriverOptions) {
    this.accel = detectAccel(opts.accel ?? "auto");
    const ctx = (this.ctx = new VmContext({ ...opts, accel: this.accel }));
    ctx.onNewConnection(() => (this.versions = null));
    this.orphans = new OrphanSweep(ctx);
    this.reads = new GuestReader(ctx, (uuids) => this.orphans.onListing(uuids));
    this.network = new IsolatedNetwork(ctx);
    this.startPrep = new StartPrep(ctx, opts.hostGuard);
    this.templates = new Templates(ctx);
    this.lifecycle = new Lifecycle(ctx, this.reads, this.templates, this.startPrep, opts.shutdownTimeoutMs ?? 60_000);
    this.snapshots = new Snapshots(ctx, this.templates, this.startPrep);
    this.consoles = new Consoles(ctx);
    this.disks = new GuestDisks(ctx);
    this.nicPlug = new NicHotplug(ctx);
    this.networkRealizer = opts.manageNetworks ? new LibvirtNetworkRealizer(ctx) : null;
    this.storage = opts.manageStorage ? new LibvirtStoragePools(ctx, opts.storagePool) : null;
  }

  // ------------------------------------------------------------------------------ reads

  list(): Promise<DriverGuest[]> {
    return this.reads.list();
  }

  get(id: string): Promise<DriverGuest> {
    return this.reads.get(id);
  }

  /** The live domain XML (diagnostics and tests). */
  domainXml(id: string): Promise<string> {
    return this.ctx.withDomain(id, "read the VM's XML", (d) => d.getXMLDesc());
  }

  /** Where this VM's own files live (they are removed by a purge, and nothing else is). */
  filesDir(id: string): string {
    return this.ctx.layout.dir(this.ctx.uuidOf(id));
  }

  /**
   * The linked clones built on this VM's disks: while there is any, the VM is their template
   * (start, revert and purge are refused).
   */
  linkedClones(id: string): Promise<CloneRef[]> {
    return this.templates.linkedClones(id);
  }

  /**
   * Removes the directories under vms/ that no domain owns and no create or clone is filling
   * (also done once on the first listing, i.e. when Tandem starts); returns their uuids.
   */
  async sweepOrphans(): Promise<string[]> {
    return this.orphans.sweep(await this.reads.domainUuids());
  }

  // ------------------------------------------------------------------------------ create, clone

  /** An upload the image library is about to keep: a standalone image of its declared format. */
  inspectDiskImage(file: string, format: DiskFormat): Promise<{ virtualBytes: number }> {
    return inspectDiskImage(file, format);
  }

  create(spec: GuestSpec, progress: (p: Progress) => void): Promise<DriverGuest> {
    const parts = { ctx: this.ctx, reads: this.reads, startPrep: this.startPrep, network: this.network };
    return this.orphans.whileBuilding(spec.uuid, () => createVm(parts, specOfKind(spec, "vm"), progress));
  }

  /** See clone.ts: linked (overlays on the source, which becomes a template) or full copies. */
  clone(id: string, opts: CloneOptions, progress: (p: Progress) => void): Promise<DriverGuest> {
    const parts = { ctx: this.ctx, reads: this.reads, network: this.network };
    return this.orphans.whileBuilding(opts.uuid, () => cloneVm(parts, id, opts, progress));
  }

  /** NICs on Tandem networks after create (nic-hotplug.ts): live and in the config when running. */
  attachNic(id: string, nic: ResolvedNic & { index: number; iface: string }): Promise<void> {
    return this.nicPlug.attachNic(id, nic);
  }

  detachNic(id: string, nic: { mac: string; networkId: string }): Promise<void> {
    return this.nicPlug.detachNic(id, nic);
  }

  // ------------------------------------------------------------------------------ lifecycle

  act(id: string, action: GuestAction): Promise<void> {
    return this.lifecycle.act(id, action);
  }

  /** See lifecycle.ts: an adopted domain is only undefined, purge or not. */
  remove(id: string, opts: { purgeDisks: boolean }): Promise<void> {
    return this.lifecycle.remove(id, opts);
  }

  /** A new libvirt name for a shut-down VM (libvirt renames only inactive domains). */
  rename(id: string, name: string): Promise<void> {
    return renameVm(this.ctx, id, name);
  }

  /** libvirt renames and resizes only inactive domains. */
  readonly liveResize = false;

  /** New vCPUs and memory for a stopped VM (its inactive definition is rewritten). */
  resize(id: string, size: { vcpus?: number; memoryMiB?: number }): Promise<void> {
    return resizeVm(this.ctx, id, size);
  }

  // ------------------------------------------------------------------------------ disks (guest-disks.ts)

  listDisks(id: string): Promise<DriverDisk[]> {
    return this.disks.listDisks(id);
  }

  attachDisk(id: string, volume: VolumeRef): Promise<{ target: string }> {
    return this.disks.attachDisk(id, volume);
  }

  detachDisk(id: string, target: string): Promise<void> {
    return this.disks.detachDisk(id, target);
  }

  growDiskLive(id: string, target: string, bytes: number): Promise<void> {
    return this.disks.growDiskLive(id, target, bytes);
  }

  switchDisk(id: string, target: string, to: VolumeRef): Promise<void> {
    return this.disks.switchDisk(id, target, to);
  }

  /** Linked clones whose overlays rest on this disk file (templates.ts). */
  diskClones(id: string, path: string): Promise<CloneRef[]> {
    return this.ctx.withDomain(id, "find linked clones", (d, c) => this.templates.clonesOf(c, d.uuid, [path]));
  }

  // ------------------------------------------------------------------------------ snapshots

  listSnapshots(id: string): Promise<SnapshotInfo[]> {
    return this.snapshots.list(id);
  }

  createSnapshot(id: string, name: string, description?: string): Promise<void> {
    return this.snapshots.create(id, name, description);
  }

  revertSnapshot(id: string, name: string): Promise<void> {
    return this.snapshots.revert(id, name);
  }

  deleteSnapshot(id: string, name: string): Promise<void> {
    return this.snapshots.delete(id, name);
  }

  // ------------------------------------------------------------------------------ stats, consoles

  sample(ids: string[]): Promise<GuestSample[]> {
    return sampleVms(this.ctx, this.reads, ids);
  }

  openConsole(id: string, _size: TermSize): Promise<ConsoleStream> {
    return this.consoles.serial(id);
  }

  /** What the VM printed on its serial console since power-on, for a viewer that attaches late. */
  consoleHistory(id: string, maxBytes: number): Promise<Uint8Array> {
    return this.consoles.history(id, maxBytes);
  }

  openVnc(id: string): Promise<Duplex> {
    return this.consoles.vnc(id);
  }

  // ------------------------------------------------------------------------------ events, health

  events(signal: AbortSignal): AsyncIterable<DriverEvent> {
    // Subscribing is what makes the driver connect and listen; nothing polls.
    void this.ctx.link.get().catch(() => undefined);
    return this.ctx.hub.subscribe(signal);
  }

  async health(): Promise<{ healthy: boolean; message: string }> {
    try {
      const c = await this.ctx.conn();
      if (!this.versions) {
        const [lib, hv] = await Promise.all([c.getLibVersion(), c.getVersion()]);
        const v = (n: number) => `${Math.floor(n / 1e6)}.${Math.floor((n % 1e6) / 1e3)}.${n % 1e3}`;
        this.versions = `libvirt ${v(lib)}, QEMU ${v(hv)}`;
      }
      const accel = this.accel === "kvm" ? "KVM" : "TCG, no hardware virtualisation";
      return { healthy: true, message: `${this.versions} at ${this.ctx.uri} (${accel})` };
    } catch (e) {
      const msg = e instanceof AppError ? this.ctx.link.lastMessage : e instanceof Error ? e.message : String(e);
      return { healthy: false, message: msg };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.consoles.closeAll();
    await this.ctx.close();
  }
}
