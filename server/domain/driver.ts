// The one boundary that matters: every backend (libvirt, OCI, fake) implements GuestDriver.
// Services talk only to this interface; server/main.ts is the only module that picks drivers.
import type { Duplex } from "node:stream";
import { AppError } from "./errors";
import type { CreateBodyOf, GuestAction, GuestKind, GuestState } from "../contract/guest";
import type { LogLine, Snapshot } from "../contract/guest-extras";
import type { DiskFormat } from "../contract/image";
import type { ResolvedBind, ResolvedVolume } from "./storage";
import type { VolumeRef } from "./guest-disks";

/** What the driver knows about a guest. Tandem-only fields (tags, notes) are added by services. */
export interface DriverGuest {
  /** Stable, URL-safe, globally unique: `${hostId}.${kind}.${uuid}`. */
  id: string;
  hostId: string;
  kind: GuestKind;
  name: string;
  state: GuestState;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number | null;
  /** Catalog image id this guest was made from, when Tandem made it. */
  image: string | null;
  createdAt: string;
  /** True when the guest was not created by Tandem (e.g. `virsh define`). */
  adopted: boolean;
  ipAddresses: string[];
}

/** An image resolved by the ImageService to files on disk, handed to the driver on create. */
export interface ResolvedImage {
  id: string;
  kind: GuestKind;
  /** One of the contract's imageFormats: 'demo-kernel' (kernel+initrd+qcow2), a disk, or 'oci' (unpacked layers). */
  format: string;
  /** Directory or file holding the image's content. */
  path: string;
  /** Parsed image metadata (OCI config for containers, kernel/initrd paths for demo VMs). */
  meta: Record<string, unknown>;
}

/** The spec narrowed to the kind a driver makes; a spec of another kind is a wiring bug. */
export function specOfKind<K extends GuestKind>(spec: GuestSpec, kind: K): GuestSpec<K> {
  if (spec.kind !== kind) throw new AppError("INTERNAL", `a ${spec.kind} spec reached the ${kind} driver`);
  return spec as GuestSpec<K>;
}

/** A create body of kind K (any kind by default), as the service hands it to the driver. */
export type GuestSpec<K extends GuestKind = GuestKind> = CreateBodyOf<K> & {
  /** Chosen by the service so the API can name the guest before the driver finishes. */
  uuid: string;
  resolvedImage: ResolvedImage;
  /** The body's `nics`, resolved by the service: network row ids and Tandem-chosen MACs, in order. */
  resolvedNics?: ResolvedNic[];
  /** VMs: the body's `disks`, made as pool volumes by the service, plugged in as vdb, vdc, … in order. */
  resolvedDisks?: VolumeRef[];
  /** Containers: the body's `volumes` and `binds`, resolved and checked by the storage service. */
  resolvedVolumes?: ResolvedVolume[];
  resolvedBinds?: ResolvedBind[];
};

/** One NIC on a Tandem network as the service hands it to a driver. */
export interface ResolvedNic {
  networkId: string;
  /** 52:54:00:xx:xx:xx (the QEMU/KVM prefix), unique among Tandem's NICs. */
  mac: string;
  /**
   * The NIC's IPv4 address, chosen by the service (Nic.address): a VM gets it from the network's
   * DHCP (a reservation for its MAC), a container is configured with it. Null: the network has
   * no Tandem-assigned addresses (bridged, or no IPv4).
   */
  address: string | null;
  /** The address was asked for in the body rather than chosen by Tandem. */
  addressFixed?: boolean;
  /**
   * The host-side interface name the driver must use: a container's veth (`vn…`), a VM's tap
   * (`tn…`, libvirt's <target dev>); known before the guest runs so firewall rules can name it.
   */
  iface?: string;
  /** Position among the guest's NICs (0 = first); the array order when absent. */
  index?: number;
  /**
   * What a driver that wires NICs itself (containers: a veth on the bridge) needs of the network;
   * the service fills it so drivers never read the database.
   */
  network?: { name: string; bridge: string; ipv4Subnet: string | null; ipv4Gateway: string | null };
}

export interface Progress {
  /** 0–100 */
  percent: number;
  message: string;
}

export interface TermSize {
  cols: number;
  rows: number;
}

/** A bidirectional byte stream to a guest console (serial, TTY or exec shell). */
export interface ConsoleStream {
  write(data: Uint8Array): void;
  resize(size: TermSize): void;
  onData(listener: (data: Uint8Array) => void): void;
  onClose(listener: (reason: string) => void): void;
  close(): void;
}

/** One measurement of one guest. Counters are cumulative; the metrics service derives rates. */
export interface GuestSample {
  id: string;
  /** Monotonic wall time of the reading in ms (performance.now() based or Date.now()). */
  at: number;
  /** Cumulative CPU time in nanoseconds across all vCPUs/cores. */
  cpuTimeNs: number;
  /** Number of CPUs the guest may use (vcpus or quota in cores) — the 100 % line. */
  cpuCount: number;
  memoryUsedBytes: number;
  memoryLimitBytes: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  pids?: number;
}

export type DriverEvent =
  | { type: "changed"; id: string; state?: GuestState }
  | { type: "removed"; id: string }
  | { type: "connection"; healthy: boolean; message: string };

export interface GuestDriver {
  readonly kind: GuestKind;
  list(): Promise<DriverGuest[]>;
  /** Throws AppError NOT_FOUND for an unknown id. */
  get(id: string): Promise<DriverGuest>;
  create(spec: GuestSpec, progress: (p: Progress) => void): Promise<DriverGuest>;
  /** Throws AppError INVALID_STATE when the guest's state refuses the action. */
  act(id: string, action: GuestAction): Promise<void>;
  remove(id: string, opts: { purgeDisks: boolean }): Promise<void>;
  /**
   * true: remove() stops a running guest itself, as act("stop") would (SIGKILL and wait), so a
   * delete needs no separate stop step (which would release the same resources twice).
   */
  readonly removesRunning?: boolean;
  /** One bulk read for all the given running guests, never one call per guest. */
  sample(ids: string[]): Promise<GuestSample[]>;
  openConsole(id: string, size: TermSize): Promise<ConsoleStream>;
  events(signal: AbortSignal): AsyncIterable<DriverEvent>;
  /** Host-level health of the backend (daemon reachable, runtime present). */
  health(): Promise<{ healthy: boolean; message: string }>;
  /** Release connections and timers; guests keep running. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Optional capabilities. A driver implements the ones its backend has; services and transports
// check with the guards below and answer BAD_REQUEST ("not available for containers") otherwise.

/** A new process in a running guest with its own TTY (containers). */
export interface ExecCapable {
  exec(id: string, cmd: string[], size: TermSize): Promise<ConsoleStream>;
}

export type { LogLine };

/** The guest's own output log (containers: conmon's log file). */
export interface LogsCapable {
  logs(id: string, opts: { follow?: boolean; signal?: AbortSignal; tail?: number }): Promise<AsyncIterable<LogLine>>;
}

/**
 * A graphical console: a byte stream speaking RFB (VNC) to the guest's display, already
 * connected. Tandem bridges the browser's websocket to it; nothing listens on TCP for it (QEMU's
 * VNC server is on a unix socket only root and QEMU's user reach). Ending the stream ends the
 * viewer's session.
 */
export interface VncCapable {
  openVnc(id: string): Promise<Duplex>;
}

/**
 * Checks a VM disk image before the image library keeps it: throws AppError VALIDATION unless
 * the file is a standalone image of the declared format (no backing file, no external data
 * file, nothing else a hypervisor would open on its behalf). The VM backend owns the tools.
 */
export interface DiskInspectCapable {
  inspectDiskImage(file: string, format: DiskFormat): Promise<{ virtualBytes: number }>;
}

/** A snapshot as the API shows it (contract: one shape, one set of limits). */
export type SnapshotInfo = Snapshot;

export interface SnapshotCapable {
  listSnapshots(id: string): Promise<SnapshotInfo[]>;
  createSnapshot(id: string, name: string, description?: string): Promise<void>;
  revertSnapshot(id: string, name: string): Promise<void>;
  deleteSnapshot(id: string, name: string): Promise<void>;
}

export const canExec = (d: GuestDriver): d is GuestDriver & ExecCapable =>
  typeof (d as Partial<ExecCapable>).exec === "function";
export const canLog = (d: GuestDriver): d is GuestDriver & LogsCapable =>
  typeof (d as Partial<LogsCapable>).logs === "function";
export const canVnc = (d: GuestDriver): d is GuestDriver & VncCapable =>
  typeof (d as Partial<VncCapable>).openVnc === "function";
export const canInspectDisks = (d: GuestDriver): d is GuestDriver & DiskInspectCapable =>
  typeof (d as Partial<DiskInspectCapable>).inspectDiskImage === "function";
export const canSnapshot = (d: GuestDriver): d is GuestDriver & SnapshotCapable =>
  typeof (d as Partial<SnapshotCapable>).listSnapshots === "function";

/** A copy of a stopped guest: a linked qcow2 overlay on the source's disk, or a full copy. */
export interface CloneCapable {
  clone(
    id: string,
    opts: {
      name: string;
      mode: "linked" | "full";
      uuid: string;
      /** The clone's NICs on Tandem networks (new MACs and host interfaces), by the source NIC's MAC. */
      nics?: { from: string; mac: string; iface: string }[];
    },
    progress: (p: Progress) => void,
  ): Promise<DriverGuest>;
}

/** What the guest printed on its console before anyone attached (VM serial log). */
export interface ConsoleHistoryCapable {
  consoleHistory(id: string, maxBytes: number): Promise<Uint8Array>;
}

export const canClone = (d: GuestDriver): d is GuestDriver & CloneCapable =>
  typeof (d as Partial<CloneCapable>).clone === "function";
export const hasConsoleHistory = (d: GuestDriver): d is GuestDriver & ConsoleHistoryCapable =>
  typeof (d as Partial<ConsoleHistoryCapable>).consoleHistory === "function";

/**
 * NICs on Tandem networks added to and removed from an existing guest: live on a running guest
 * (VMs: device hotplug, also stored in the definition; containers: a veth into its netns) and
 * kept for its next start. The NIC's index, MAC, address and host interface come from the service.
 */
export interface NicHotplugCapable {
  attachNic(id: string, nic: ResolvedNic & { index: number; iface: string }): Promise<void>;
  detachNic(id: string, nic: { index: number; mac: string; iface: string | null; networkId: string }): Promise<void>;
}

export const canHotplugNics = (d: GuestDriver): d is GuestDriver & NicHotplugCapable =>
  typeof (d as Partial<NicHotplugCapable>).attachNic === "function" &&
  typeof (d as Partial<NicHotplugCapable>).detachNic === "function";

/** A new name for a guest (the backend's own name, not just a label). */
export interface RenameCapable {
  rename(id: string, name: string): Promise<void>;
}

/** New CPU and memory limits: live where the backend can (containers), else while stopped. */
export interface ResizeCapable {
  resize(id: string, size: { vcpus?: number; memoryMiB?: number }): Promise<void>;
  /** True when resize (and rename) apply to a running guest; false: only while it is stopped. */
  readonly liveResize: boolean;
}

export const canRename = (d: GuestDriver): d is GuestDriver & RenameCapable =>
  typeof (d as Partial<RenameCapable>).rename === "function";
export const canResize = (d: GuestDriver): d is GuestDriver & ResizeCapable =>
  typeof (d as Partial<ResizeCapable>).resize === "function";

/**
 * How the host runs VMs: 'kvm' (hardware virtualisation) or QEMU's TCG ('qemu'). The VM backend
 * detects it once; the host summary reads it from there.
 */
export interface AccelCapable {
  readonly accel: "kvm" | "qemu";
}

export const hasAccel = (d: GuestDriver): d is GuestDriver & AccelCapable => {
  const a = (d as Partial<AccelCapable>).accel;
  return a === "kvm" || a === "qemu";
};
