// Typed loader and Promise API over the libvirt addon (build/Release/tandem_libvirt.node).
// Owns: finding and loading the addon, the LibvirtError type and predicates, libvirt's numeric
// constants, and thin wrapper classes that give the native objects a typed, documented surface.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ErrorCode, ErrorDomain } from "./error-codes.gen";

export { ErrorCode, ErrorDomain };

// ------------------------------------------------------------------------------------ errors

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const domainNames = new Map<number, string>(Object.entries(ErrorDomain).map(([k, v]) => [v, k]));

/** An error reported by libvirt, with libvirt's own numbers (virErrorNumber, virErrorDomain). */
export class LibvirtError extends Error {
  override readonly name = "LibvirtError";
  constructor(
    /** virErrorNumber, e.g. 42 = NO_DOMAIN; -1 for failures outside libvirt (e.g. a file open). */
    readonly code: number,
    /** virErrorDomain: which part of libvirt reported it (10 = QEMU, 7 = RPC, ...). */
    readonly domain: number,
    message: string,
    /** 1 = warning, 2 = error. */
    readonly level = 2,
    readonly str1 = "",
    readonly int1 = 0,
  ) {
    super(message);
  }
  /** Symbolic name of `code`, e.g. "NO_DOMAIN". */
  get codeName(): string {
    return codeNames.get(this.code) ?? (this.code === -1 ? "SYSTEM" : `UNKNOWN_${this.code}`);
  }
  get domainName(): string {
    return domainNames.get(this.domain) ?? `UNKNOWN_${this.domain}`;
  }
}

export function isLibvirtError(e: unknown): e is LibvirtError {
  return e instanceof LibvirtError;
}
const hasCode = (e: unknown, ...codes: number[]) => isLibvirtError(e) && codes.includes(e.code);
export const isNoDomain = (e: unknown) => hasCode(e, ErrorCode.NO_DOMAIN);
export const isNoNetwork = (e: unknown) => hasCode(e, ErrorCode.NO_NETWORK);
export const isNoSnapshot = (e: unknown) => hasCode(e, ErrorCode.NO_DOMAIN_SNAPSHOT);
/** The domain's state refuses the call (e.g. suspend a shut-off domain). */
export const isOperationInvalid = (e: unknown) => hasCode(e, ErrorCode.OPERATION_INVALID);
export const isAlreadyExists = (e: unknown) => hasCode(e, ErrorCode.DOM_EXIST, ErrorCode.NETWORK_EXIST);
/**
 * The connection to libvirtd is gone (daemon restarted, socket closed, keepalive timeout). A
 * SYSTEM_ERROR counts only when the RPC layer reports it: the same code also means "cannot
 * access a file" from a driver.
 */
const rpcDomains: readonly number[] = [ErrorDomain.RPC, ErrorDomain.REMOTE];
export const isConnectionError = (e: unknown) =>
  hasCode(e, ErrorCode.NO_CONNECT, ErrorCode.INVALID_CONN, ErrorCode.RPC) ||
  (isLibvirtError(e) && e.code === ErrorCode.SYSTEM_ERROR && rpcDomains.includes(e.domain)) ||
  (e instanceof Error && e.message === "connection is closed");

// --------------------------------------------------------------------------------- constants

export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;
export type DomainStateName = Lowercase<keyof typeof DomainState>;

export const DomainEventType = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;
export type DomainEventName = Lowercase<keyof typeof DomainEventType>;

/** virConnectListAllDomainsFlags (also valid as stats flags). */
export const ListFlag = {
  ACTIVE: 1,
  INACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  RUNNING: 16,
  PAUSED: 32,
  SHUTOFF: 64,
  OTHER: 128,
} as const;

export const StatsFlag = { ...ListFlag, NOWAIT: 1 << 29, BACKING: 1 << 30, ENFORCE_STATS: 2 ** 31 } as const;

export const StatsGroup = {
  state: 1,
  cpu: 2,
  balloon: 4,
  vcpu: 8,
  interface: 16,
  block: 32,
  perf: 64,
  iothread: 128,
  memory: 256,
  dirtyrate: 512,
  vm: 1024,
} as const;
export type StatsGroupName = keyof typeof StatsGroup;

export const UndefineFlag = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  KEEP_NVRAM: 8,
  CHECKPOINTS_METADATA: 16,
  TPM: 32,
  KEEP_TPM: 64,
} as const;

export const ShutdownFlag = { DEFAULT: 0, ACPI: 1, AGENT: 2, INITCTL: 4, SIGNAL: 8, PARAVIRT: 16 } as const;
export const DestroyFlag = { DEFAULT: 0, GRACEFUL: 1 } as const;
export const XMLFlag = { SECURE: 1, INACTIVE: 2, UPDATE_CPU: 4, MIGRATABLE: 8 } as const;
export const DefineFlag = { VALIDATE: 1 } as const;
export const ConsoleFlag = { FORCE: 1, SAFE: 2 } as const;
export const CreateFlag = {
  PAUSED: 1,
  AUTODESTROY: 2,
  BYPASS_CACHE: 4,
  FORCE_BOOT: 8,
  VALIDATE: 16,
  RESET_NVRAM: 32,
} as const;
export const SnapshotCreateFlag = {
  REDEFINE: 1,
  CURRENT: 2,
  NO_METADATA: 4,
  HALT: 8,
  DISK_ONLY: 16,
  REUSE_EXT: 32,
  QUIESCE: 64,
  ATOMIC: 128,
  LIVE: 256,
  VALIDATE: 512,
} as const;
export const SnapshotDeleteFlag = { CHILDREN: 1, METADATA_ONLY: 2, CHILDREN_ONLY: 4 } as const;
export const SnapshotRevertFlag = { RUNNING: 1, PAUSED: 2, FORCE: 4, RESET_NVRAM: 8 } as const;
/** virDomainInterfaceAddressesSource: where libvirt learns a guest's addresses. */
export const InterfaceAddressSource = { LEASE: 0, AGENT: 1, ARP: 2 } as const;
export type InterfaceAddressSourceName = Lowercase<keyof typeof InterfaceAddressSource>;

/** Why the connection closed (virConnectCloseReason). */
export const CloseReason = { ERROR: 0, EOF: 1, KEEPALIVE: 2, CLIENT: 3 } as const;
export type CloseReasonName = Lowercase<keyof typeof CloseReason>;

const lower = <T extends Record<string, number>>(o: T) =>
  new Map<number, Lowercase<keyof T & string>>(
    Object.entries(o).map(([k, v]) => [v, k.toLowerCase() as Lowercase<keyof T & string>]),
  );
const stateNames = lower(DomainState);
const eventNames = lower(DomainEventType);
const closeNames = lower(CloseReason);

export const domainStateName = (s: number): DomainStateName => stateNames.get(s) ?? "nostate";
export const domainEventName = (e: number): DomainEventName | "unknown" => eventNames.get(e) ?? "unknown";

// ---------------------------------------------------------------------------- native surface

type Flags = number;
interface NativeDomain {
  create(flags?: Flags): Promise<void>;
  shutdown(flags?: Flags): Promise<void>;
  destroy(flags?: Flags): Promise<void>;
  reboot(flags?: Flags): Promise<void>;
  reset(flags?: Flags): Promise<void>;
  suspend(): Promise<void>;
  resume(): Promise<void>;
  rename(name: string): Promise<void>;
  undefine(flags?: Flags): Promise<void>;
  getXMLDesc(flags?: Flags): Promise<string>;
  getInfo(): Promise<DomainInfo>;
  getState(): Promise<{ state: number; reason: number }>;
  isActive(): Promise<boolean>;
  isPersistent(): Promise<boolean>;
  setAutostart(on: boolean): Promise<void>;
  getName(): string;
  getUUIDString(): string;
  getID(): number;
  free(): void;
  isFreed(): boolean;
  openConsole(
    dev: string | null,
    flags: Flags,
    onEvent: (type: number, payload?: Buffer | Error) => void,
  ): Promise<NativeStream>;
  snapshotCreateXML(xml: string, flags?: Flags): Promise<string>;
  listSnapshots(flags?: Flags): Promise<string[]>;
  snapshotGetXMLDesc(name: string, flags?: Flags): Promise<string>;
  revertToSnapshot(name: string, flags?: Flags): Promise<void>;
  deleteSnapshot(name: string, flags?: Flags): Promise<void>;
  snapshotIsCurrent(name: string): Promise<boolean>;
  snapshotCurrentName(): Promise<string | null>;
  listSnapshotsDetailed(flags?: Flags, xmlFlags?: Flags): Promise<SnapshotDetails[]>;
  interfaceAddresses(source: number): Promise<DomainInterface[]>;
}
interface NativeStream {
  write(data: Uint8Array | string): number;
  close(): Promise<void>;
  isClosed(): boolean;
  pending(): number;
}
interface NativeDetailed {
  domain: NativeDomain;
  name: string;
  uuid: string;
  id: number;
  state: number;
  reason: number;
  persistent: boolean;
  xml: string;
}
interface NativeDomainEvent {
  eventId: number;
  name: string;
  uuid: string;
  event: number;
  detail: number;
}
interface NativeConnection {
  keepaliveSupported: boolean;
  close(): Promise<void>;
  isClosed(): boolean;
  isAlive(): boolean;
  getVersion(): Promise<number>;
  getLibVersion(): Promise<number>;
  getHostname(): Promise<string>;
  getURI(): Promise<string>;
  getCapabilities(): Promise<string>;
  listAllDomains(flags?: Flags): Promise<NativeDomain[]>;
  listAllDomainsDetailed(flags?: Flags, xmlFlags?: Flags): Promise<NativeDetailed[]>;
  lookupDomainByName(name: string): Promise<NativeDomain>;
  lookupDomainByUUID(uuid: string): Promise<NativeDomain>;
  defineDomain(xml: string, flags?: Flags): Promise<NativeDomain>;
  createDomainXML(xml: string, flags?: Flags): Promise<NativeDomain>;
  getAllDomainStats(groups: number, flags?: Flags): Promise<DomainStatsRecord[]>;
  registerDomainEvent(eventId: number, cb: (ev: NativeDomainEvent) => void): Promise<number>;
  deregisterDomainEvent(id: number): Promise<void>;
  listNetworks(flags?: Flags): Promise<NetworkInfo[]>;
  networkDefineXML(xml: string): Promise<NameUuid>;
  networkCreateXML(xml: string): Promise<NameUuid>;
  networkOp(name: string, op: number): Promise<void>;
  networkGetXMLDesc(name: string, flags?: Flags): Promise<string>;
  networkGetDHCPLeases(name: string, mac: string | null): Promise<DhcpLease[]>;
}
interface NativeBinding {
  open(
    uri: string | null,
    readOnly: boolean,
    keepaliveInterval: number,
    keepaliveCount: number,
    onClose?: (reason: number) => void,
  ): Promise<NativeConnection>;
  setErrorFactory(
    f: (code: number, domain: number, message: string, level: number, str1: string, int1: number) => Error,
  ): void;
  libraryVersion(): number;
}

// ------------------------------------------------------------------------------------ loader

let binding: NativeBinding | null = null;
let loadError: Error | null = null;

/** Candidate locations of the built addon, relative to this file (never absolute paths). */
function candidates(): string[] {
  return ["./build/Release/tandem_libvirt.node", "./build/Debug/tandem_libvirt.node"].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
}

function load(): NativeBinding {
  if (binding) return binding;
  if (loadError) throw loadError;
  const file = candidates().find((f) => existsSync(f));
  if (!file) {
    loadError = new Error(
      "the libvirt addon is not built: run `npx node-gyp rebuild` in native/libvirt (needs libvirt-dev)",
    );
    throw loadError;
  }
  const require = createRequire(import.meta.url);
  const b = require(file) as NativeBinding;
  b.setErrorFactory(
    (code, domain, message, level, str1, int1) => new LibvirtError(code, domain, message, level, str1, int1),
  );
  binding = b;
  return b;
}

/** True when the addon is built and loads; `loadFailure()` says why not. */
export function isAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}
export function loadFailure(): Error | null {
  return isAvailable() ? null : loadError;
}

/** Version of the libvirt client library, as major*1e6 + minor*1e3 + micro. */
export function libraryVersion(): number {
  return load().libraryVersion();
}

/** 9000000 → "9.0.0" */
export function formatVersion(v: number): string {
  return `${Math.floor(v / 1e6)}.${Math.floor((v % 1e6) / 1e3)}.${v % 1e3}`;
}

// ------------------------------------------------------------------------------------ shapes

export interface DomainInfo {
  state: number;
  maxMemKiB: number;
  memoryKiB: number;
  nrVirtCpu: number;
  cpuTimeNs: number;
}
export type TypedParamValue = number | string | boolean;
export interface DomainStatsRecord {
  name: string;
  uuid: string;
  /** libvirt's flat keys: "state.state", "cpu.time", "balloon.rss", "block.0.rd.bytes", ... */
  params: Record<string, TypedParamValue>;
}
export interface NameUuid {
  name: string;
  uuid: string;
}
export interface NetworkInfo extends NameUuid {
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  bridge: string | null;
}
/** One lease from a libvirt network's DHCP server (virNetworkDHCPLease). */
export interface DhcpLease {
  /** Bridge the lease was handed out on. */
  iface: string;
  /** Seconds since the epoch. */
  expiryTime: number;
  type: "ipv4" | "ipv6";
  /** Lower-case MAC (IPv4 leases); null for DHCPv6 without one. */
  mac: string | null;
  iaid: string | null;
  ipaddr: string;
  prefix: number;
  hostname: string | null;
  clientId: string | null;
}
export interface DomainInterfaceAddress {
  type: "ipv4" | "ipv6";
  addr: string;
  prefix: number;
}
/** One guest NIC with its addresses (virDomainInterfaceAddresses). */
export interface DomainInterface {
  /** Host-side device (e.g. vnet3) for the lease/ARP sources, the guest's name for the agent. */
  name: string;
  hwaddr: string | null;
  addrs: DomainInterfaceAddress[];
}
export interface SnapshotDetails {
  name: string;
  /** virDomainSnapshotGetXMLDesc: <domainsnapshot> with creationTime, state, parent, ... */
  xml: string;
  current: boolean;
}
export interface DomainEvent {
  kind: "lifecycle" | "reboot";
  name: string;
  uuid: string;
  /** Lifecycle only: virDomainEventType and its detail number. */
  event: number;
  eventName: DomainEventName | "unknown";
  detail: number;
}
export interface DomainDetails {
  domain: Domain;
  name: string;
  uuid: string;
  /** Running id, -1 when inactive. */
  id: number;
  state: DomainStateName;
  stateCode: number;
  reason: number;
  persistent: boolean;
  xml: string;
}

// ---------------------------------------------------------------------------------- wrappers

export interface ConnectOptions {
  readOnly?: boolean;
  /** Keepalive probe interval (s) and missed-probe count; `false` disables. Default 5 s × 5. */
  keepalive?: { interval: number; count: number } | false;
  /** Called on libvirt's event thread's behalf when the connection closes by itself. */
  onClose?: (reason: CloseReasonName) => void;
}

/**
 * Opens a connection to any libvirt URI (`qemu:///system`, `qemu+ssh://user@host/system`, ...)
 * with libvirt's default authentication callback.
 */
export async function connect(uri: string, opts: ConnectOptions = {}): Promise<Connection> {
  if (typeof uri !== "string") throw new TypeError("uri must be a string");
  const b = load();
  const ka = opts.keepalive === false ? { interval: 0, count: 0 } : (opts.keepalive ?? { interval: 5, count: 5 });
  const onClose = opts.onClose;
  const native = await b.open(
    uri,
    opts.readOnly ?? false,
    ka.interval,
    ka.count,
    onClose ? (r: number) => onClose(closeNames.get(r) ?? "error") : undefined,
  );
  return new Connection(native);
}

const groupsMask = (groups: readonly StatsGroupName[]) => {
  let mask = 0;
  for (const g of groups) {
    const bit = StatsGroup[g];
    if (bit === undefined) throw new TypeError(`unknown stats group '${String(g)}'`);
    mask |= bit;
  }
  return mask >>> 0;
};

export class Connection {
  /** @internal */
  constructor(private readonly n: NativeConnection) {}

  get keepaliveSupported(): boolean {
    return this.n.keepaliveSupported;
  }
  /** Deregisters events and closes. Domain handles still alive keep the socket until freed. */
  close(): Promise<void> {
    return this.n.close();
  }
  isClosed(): boolean {
    return this.n.isClosed();
  }
  /** Local check (no round trip): false once libvirtd went away or keepalive timed out. */
  isAlive(): boolean {
    return this.n.isAlive();
  }
  /** Hypervisor version (e.g. QEMU 7.2.22 → 7002022). */
  getVersion(): Promise<number> {
    return this.n.getVersion();
  }
  /** libvirt version of the daemon. */
  getLibVersion(): Promise<number> {
    return this.n.getLibVersion();
  }
  getHostname(): Promise<string> {
    return this.n.getHostname();
  }
  getURI(): Promise<string> {
    return this.n.getURI();
  }
  getCapabilities(): Promise<string> {
    return this.n.getCapabilities();
  }

  listAllDomains(flags: Flags = 0): Promise<Domain[]> {
    return this.n.listAllDomains(flags).then((l) => l.map((d) => new Domain(d)));
  }
  /** Every domain with its state and XML, in one worker round. Vanished domains are skipped. */
  listAllDomainsDetailed(flags: Flags = 0, xmlFlags: Flags = 0): Promise<DomainDetails[]> {
    return this.n.listAllDomainsDetailed(flags, xmlFlags).then((l) =>
      l.map((d) => ({
        domain: new Domain(d.domain),
        name: d.name,
        uuid: d.uuid,
        id: d.id,
        state: domainStateName(d.state),
        stateCode: d.state,
        reason: d.reason,
        persistent: d.persistent,
        xml: d.xml,
      })),
    );
  }
  lookupDomainByName(name: string): Promise<Domain> {
    return this.n.lookupDomainByName(name).then((d) => new Domain(d));
  }
  lookupDomainByUUID(uuid: string): Promise<Domain> {
    return this.n.lookupDomainByUUID(uuid).then((d) => new Domain(d));
  }
  /** virDomainDefineXMLFlags: a persistent domain, not started. */
  defineDomain(xml: string, flags: Flags = 0): Promise<Domain> {
    return this.n.defineDomain(xml, flags).then((d) => new Domain(d));
  }
  /** virDomainCreateXML: a transient domain, started at once. */
  createDomainXML(xml: string, flags: Flags = 0): Promise<Domain> {
    return this.n.createDomainXML(xml, flags).then((d) => new Domain(d));
  }

  /** One virConnectGetAllDomainStats call. Ask only for the groups you need (state is cheap). */
  getAllDomainStats(groups: readonly StatsGroupName[], flags: Flags = 0): Promise<DomainStatsRecord[]> {
    return this.n.getAllDomainStats(groupsMask(groups), flags);
  }

  /**
   * Subscribes to lifecycle and reboot events of all domains. Resolves with an unsubscribe
   * function. Events are hints: re-read the domain.
   */
  async onDomainEvent(listener: (ev: DomainEvent) => void): Promise<() => Promise<void>> {
    if (typeof listener !== "function") throw new TypeError("listener must be a function");
    const deliver = (kind: DomainEvent["kind"]) => (ev: NativeDomainEvent) =>
      listener({
        kind,
        name: ev.name,
        uuid: ev.uuid,
        event: ev.event,
        eventName: kind === "lifecycle" ? domainEventName(ev.event) : "unknown",
        detail: ev.detail,
      });
    const ids: number[] = [];
    try {
      ids.push(await this.n.registerDomainEvent(0, deliver("lifecycle")));
      ids.push(await this.n.registerDomainEvent(1, deliver("reboot")));
    } catch (e) {
      await Promise.allSettled(ids.map((id) => this.n.deregisterDomainEvent(id)));
      throw e;
    }
    let done = false;
    return async () => {
      if (done || this.n.isClosed()) return;
      done = true;
      await Promise.allSettled(ids.map((id) => this.n.deregisterDomainEvent(id)));
    };
  }

  // networks ---------------------------------------------------------------------------
  listNetworks(): Promise<NetworkInfo[]> {
    return this.n.listNetworks(0);
  }
  networkDefineXML(xml: string): Promise<NameUuid> {
    return this.n.networkDefineXML(xml);
  }
  /** A transient network, started at once. */
  networkCreateXML(xml: string): Promise<NameUuid> {
    return this.n.networkCreateXML(xml);
  }
  networkCreate(name: string): Promise<void> {
    return this.n.networkOp(name, 0);
  }
  networkDestroy(name: string): Promise<void> {
    return this.n.networkOp(name, 1);
  }
  networkUndefine(name: string): Promise<void> {
    return this.n.networkOp(name, 2);
  }
  networkSetAutostart(name: string, on: boolean): Promise<void> {
    return this.n.networkOp(name, on ? 3 : 4);
  }
  networkGetXMLDesc(name: string, flags: Flags = 0): Promise<string> {
    return this.n.networkGetXMLDesc(name, flags);
  }
  /**
   * virNetworkGetDHCPLeases: every lease the network's dnsmasq handed out (or only `mac`'s).
   * One call answers for all guests on the network; leases can outlive a guest's run.
   */
  networkGetDHCPLeases(name: string, mac: string | null = null): Promise<DhcpLease[]> {
    return this.n.networkGetDHCPLeases(name, mac);
  }
}

export class Domain {
  /** @internal */
  constructor(private readonly n: NativeDomain) {}

  /** Cached in the handle (no round trip). */
  get name(): string {
    return this.n.getName();
  }
  get uuid(): string {
    return this.n.getUUIDString();
  }
  /** Running id as of the lookup; -1 when inactive. */
  get id(): number {
    return this.n.getID();
  }
  create(flags: Flags = 0): Promise<void> {
    return this.n.create(flags);
  }
  /** Asks the guest to shut down (ACPI by default); returns before the guest is off. */
  shutdown(flags: Flags = 0): Promise<void> {
    return this.n.shutdown(flags);
  }
  /** Forced power-off. */
  destroy(flags: Flags = 0): Promise<void> {
    return this.n.destroy(flags);
  }
  reboot(flags: Flags = 0): Promise<void> {
    return this.n.reboot(flags);
  }
  reset(): Promise<void> {
    return this.n.reset(0);
  }
  suspend(): Promise<void> {
    return this.n.suspend();
  }
  resume(): Promise<void> {
    return this.n.resume();
  }
  /** virDomainRename (the domain must be inactive). */
  rename(name: string): Promise<void> {
    return this.n.rename(name);
  }
  /** virDomainUndefineFlags; pass UndefineFlag.SNAPSHOTS_METADATA | NVRAM to drop those too. */
  undefine(flags: Flags = 0): Promise<void> {
    return this.n.undefine(flags);
  }
  getXMLDesc(flags: Flags = 0): Promise<string> {
    return this.n.getXMLDesc(flags);
  }
  getInfo(): Promise<DomainInfo> {
    return this.n.getInfo();
  }
  getState(): Promise<{ state: DomainStateName; code: number; reason: number }> {
    return this.n.getState().then((s) => ({ state: domainStateName(s.state), code: s.state, reason: s.reason }));
  }
  isActive(): Promise<boolean> {
    return this.n.isActive();
  }
  isPersistent(): Promise<boolean> {
    return this.n.isPersistent();
  }
  setAutostart(on: boolean): Promise<void> {
    return this.n.setAutostart(on);
  }
  /** Drops the handle now instead of at GC; later calls throw. */
  free(): void {
    this.n.free();
  }
  isFreed(): boolean {
    return this.n.isFreed();
  }

  /**
   * Opens the domain's console (`devName` null = first serial/console) on a non-blocking stream.
   * `force` takes the console from another client.
   */
  openConsole(opts: { devName?: string | null; force?: boolean; safe?: boolean } = {}): Promise<Console> {
    const flags = (opts.force ? ConsoleFlag.FORCE : 0) | (opts.safe ? ConsoleFlag.SAFE : 0);
    const c = new Console();
    return this.n
      .openConsole(opts.devName ?? null, flags, (t, p) => c.dispatch(t, p))
      .then((n) => {
        c.attach(n);
        return c;
      });
  }

  snapshotCreateXML(xml: string, flags: Flags = 0): Promise<string> {
    return this.n.snapshotCreateXML(xml, flags);
  }
  listSnapshots(): Promise<string[]> {
    return this.n.listSnapshots(0);
  }
  snapshotGetXMLDesc(name: string): Promise<string> {
    return this.n.snapshotGetXMLDesc(name, 0);
  }
  revertToSnapshot(name: string, flags: Flags = 0): Promise<void> {
    return this.n.revertToSnapshot(name, flags);
  }
  deleteSnapshot(name: string, flags: Flags = 0): Promise<void> {
    return this.n.deleteSnapshot(name, flags);
  }
  /** virDomainSnapshotIsCurrent. */
  snapshotIsCurrent(name: string): Promise<boolean> {
    return this.n.snapshotIsCurrent(name);
  }
  /** The current snapshot's name (virDomainSnapshotCurrent), or null when there is none. */
  snapshotCurrentName(): Promise<string | null> {
    return this.n.snapshotCurrentName();
  }
  /** Every snapshot with its XML and current flag in one round (no call per snapshot). */
  listSnapshotsDetailed(): Promise<SnapshotDetails[]> {
    return this.n.listSnapshotsDetailed(0, 0);
  }
  /** virDomainInterfaceAddresses: the running guest's NICs and addresses from `source`. */
  interfaceAddresses(source: InterfaceAddressSourceName = "lease"): Promise<DomainInterface[]> {
    const s = {
      lease: InterfaceAddressSource.LEASE,
      agent: InterfaceAddressSource.AGENT,
      arp: InterfaceAddressSource.ARP,
    }[source];
    if (s === undefined) throw new TypeError(`unknown address source '${String(source)}'`);
    return this.n.interfaceAddresses(s);
  }
}

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
    if (type === 0 && payload instanceof Buffer) {
      if (this.dataListeners.length === 0) this.early.push(payload);
      for (const l of this.dataListeners) l(payload);
    } else if (type === 2 && payload instanceof Error) {
      this.lastError = payload;
    } else if (type === 1) {
      this.closed ??= { reason: "eof" };
    } else if (type === 3) {
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
