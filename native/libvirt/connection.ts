// Connecting to libvirtd and the Connection object: host queries, domain listing, lookup and
// define, stats, event subscription, networks (addressed by name), storage pools (by name) and
// volumes (by pool + name, or by path).
import {
  closeReasonName,
  domainStateName,
  networkUpdateCommand,
  networkUpdateSection,
  statsGroupsMask,
  type CloseReasonName,
  type DomainStateName,
  type NetworkUpdateCommandName,
  type NetworkUpdateSectionName,
  type StatsGroupName,
} from "./constants";
import { Domain } from "./domain";
import { subscribeDomainEvents, type DomainEvent } from "./events";
import { load } from "./loader";
import type { Flags, NativeConnection } from "./native";
import { NetworkOp, StoragePoolOp } from "./ops.gen";
import type { DhcpLease, DomainStatsRecord, NameUuid, NetworkInfo, StoragePoolInfo, StorageVolInfo } from "./shapes";
import { toPoolInfo, toVolInfo } from "./storage";

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
    onClose ? (r: number) => onClose(closeReasonName(r)) : undefined,
  );
  return new Connection(native);
}

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
    return this.n.getAllDomainStats(statsGroupsMask(groups), flags);
  }

  /**
   * Subscribes to lifecycle and reboot events of all domains. Resolves with an unsubscribe
   * function. Events are hints: re-read the domain.
   */
  onDomainEvent(listener: (ev: DomainEvent) => void): Promise<() => Promise<void>> {
    return subscribeDomainEvents(this.n, listener);
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
    return this.n.networkOp(name, NetworkOp.CREATE);
  }
  networkDestroy(name: string): Promise<void> {
    return this.n.networkOp(name, NetworkOp.DESTROY);
  }
  networkUndefine(name: string): Promise<void> {
    return this.n.networkOp(name, NetworkOp.UNDEFINE);
  }
  networkSetAutostart(name: string, on: boolean): Promise<void> {
    return this.n.networkOp(name, on ? NetworkOp.AUTOSTART_ON : NetworkOp.AUTOSTART_OFF);
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
  /**
   * virNetworkUpdate: `command` one element of `section` (e.g. add_last a dns_host
   * `<host ip='10.0.0.5'><hostname>web</hostname></host>`) without restarting the network.
   * flags: NetworkUpdateFlag.LIVE | CONFIG (CURRENT = live if running, else config). parentIndex
   * picks the <ip> element for the DHCP sections (-1: the one whose subnet fits).
   */
  networkUpdate(
    name: string,
    command: NetworkUpdateCommandName,
    section: NetworkUpdateSectionName,
    xml: string,
    flags: Flags = 0,
    parentIndex = -1,
  ): Promise<void> {
    const cmd = networkUpdateCommand(command);
    const sec = networkUpdateSection(section);
    return this.n.networkUpdate(name, cmd, sec, parentIndex, xml, flags);
  }

  // storage pools -------------------------------------------------------------------------
  /** Every pool with state, sizes, type and target path, in one worker round. */
  listStoragePools(): Promise<StoragePoolInfo[]> {
    return this.n.listStoragePools(0).then((l) => l.map(toPoolInfo));
  }
  storagePoolGetInfo(name: string): Promise<StoragePoolInfo> {
    return this.n.storagePoolGetInfo(name).then(toPoolInfo);
  }
  /** A persistent pool, neither built nor started. */
  storagePoolDefineXML(xml: string, flags: Flags = 0): Promise<NameUuid> {
    return this.n.storagePoolDefineXML(xml, flags);
  }
  /** A transient pool, started at once. */
  storagePoolCreateXML(xml: string, flags: Flags = 0): Promise<NameUuid> {
    return this.n.storagePoolCreateXML(xml, flags);
  }
  /** Starts a defined pool. */
  storagePoolCreate(name: string, flags: Flags = 0): Promise<void> {
    return this.n.storagePoolOp(name, StoragePoolOp.CREATE, flags);
  }
  /** Makes the pool's storage (a dir pool: its directory); flags: StoragePoolBuildFlag. */
  storagePoolBuild(name: string, flags: Flags = 0): Promise<void> {
    return this.n.storagePoolOp(name, StoragePoolOp.BUILD, flags);
  }
  /** Stops the pool (its volumes stay on disk). */
  storagePoolDestroy(name: string): Promise<void> {
    return this.n.storagePoolOp(name, StoragePoolOp.DESTROY);
  }
  storagePoolUndefine(name: string): Promise<void> {
    return this.n.storagePoolOp(name, StoragePoolOp.UNDEFINE);
  }
  /** Rescans the pool's volumes and sizes (after changes made outside libvirt). */
  storagePoolRefresh(name: string): Promise<void> {
    return this.n.storagePoolOp(name, StoragePoolOp.REFRESH);
  }
  /** Removes the pool's storage (a dir pool: its empty directory); the pool must be stopped. */
  storagePoolDelete(name: string, flags: Flags = 0): Promise<void> {
    return this.n.storagePoolOp(name, StoragePoolOp.DELETE, flags);
  }
  storagePoolSetAutostart(name: string, on: boolean): Promise<void> {
    return this.n.storagePoolOp(name, on ? StoragePoolOp.AUTOSTART_ON : StoragePoolOp.AUTOSTART_OFF);
  }
  storagePoolGetXMLDesc(name: string, flags: Flags = 0): Promise<string> {
    return this.n.storagePoolGetXMLDesc(name, flags);
  }

  // storage volumes -----------------------------------------------------------------------
  listStorageVolumes(pool: string): Promise<StorageVolInfo[]> {
    return this.n.listStorageVolumes(pool).then((l) => l.map(toVolInfo));
  }
  storageVolGetInfo(pool: string, name: string): Promise<StorageVolInfo> {
    return this.n.storageVolGetInfo(pool, name).then(toVolInfo);
  }
  /** The volume at a host path (e.g. a domain disk's source), with its pool's name. */
  storageVolLookupByPath(path: string): Promise<StorageVolInfo> {
    return this.n.storageVolLookupByPath(path).then(toVolInfo);
  }
  /** A new volume from `<volume>` XML (name, capacity, target format); flags: StorageVolCreateFlag. */
  storageVolCreateXML(pool: string, xml: string, flags: Flags = 0): Promise<StorageVolInfo> {
    return this.n.storageVolCreateXML(pool, xml, flags).then(toVolInfo);
  }
  /** A new volume in `pool` holding a copy of srcPool/srcName, converted to the XML's format. */
  storageVolCreateXMLFrom(
    pool: string,
    xml: string,
    srcPool: string,
    srcName: string,
    flags: Flags = 0,
  ): Promise<StorageVolInfo> {
    return this.n.storageVolCreateXMLFrom(pool, xml, srcPool, srcName, flags).then(toVolInfo);
  }
  storageVolDelete(pool: string, name: string, flags: Flags = 0): Promise<void> {
    return this.n.storageVolDelete(pool, name, flags);
  }
  /**
   * Sets the volume's capacity in bytes; resolves with its info afterwards. libvirt refuses a
   * smaller size unless flags has StorageVolResizeFlag.SHRINK. A running guest using the volume
   * does not see the change: use Domain.blockResize for that.
   */
  storageVolResize(pool: string, name: string, capacity: number, flags: Flags = 0): Promise<StorageVolInfo> {
    return this.n.storageVolResize(pool, name, capacity, flags).then(toVolInfo);
  }
  storageVolGetXMLDesc(pool: string, name: string, flags: Flags = 0): Promise<string> {
    return this.n.storageVolGetXMLDesc(pool, name, flags);
  }
  /** Streams a local file into an existing volume (the daemon may be remote); resolves with the bytes sent. */
  storageVolUpload(pool: string, name: string, filePath: string): Promise<number> {
    return this.n.storageVolUpload(pool, name, filePath);
  }
  /** Streams the volume's bytes into a local file (created 0600 or truncated); resolves with the bytes received. */
  storageVolDownload(pool: string, name: string, filePath: string): Promise<number> {
    return this.n.storageVolDownload(pool, name, filePath);
  }
}
