// The addon's raw surface (build/Release/tandem_libvirt.node) as TypeScript sees it. Internal:
// only the wrapper modules use these types; callers get Connection, Domain and Console.
import type {
  DhcpLease,
  DomainInfo,
  DomainInterface,
  DomainStatsRecord,
  NameUuid,
  NetworkInfo,
  SnapshotDetails,
} from "./shapes";

/** A libvirt flags word (an unsigned 32-bit OR of one flag table's values). */
export type Flags = number;

export interface NativeDomain {
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
  /** onEvent gets (StreamEvent, payload) from ops.gen.ts. */
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
  attachDeviceFlags(xml: string, flags?: Flags): Promise<void>;
  detachDeviceFlags(xml: string, flags?: Flags): Promise<void>;
  updateDeviceFlags(xml: string, flags?: Flags): Promise<void>;
  detachDeviceAlias(alias: string, flags?: Flags): Promise<void>;
  blockResize(disk: string, size: number, flags?: Flags): Promise<void>;
}
export interface NativeStream {
  write(data: Uint8Array | string): number;
  close(): Promise<void>;
  isClosed(): boolean;
  pending(): number;
}
export interface NativeDetailed {
  domain: NativeDomain;
  name: string;
  uuid: string;
  id: number;
  state: number;
  reason: number;
  persistent: boolean;
  xml: string;
}
export interface NativeDomainEvent {
  eventId: number;
  name: string;
  uuid: string;
  event: number;
  detail: number;
}
export interface NativeConnection {
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
  /** eventId: a DomainEventId. */
  registerDomainEvent(eventId: number, cb: (ev: NativeDomainEvent) => void): Promise<number>;
  deregisterDomainEvent(id: number): Promise<void>;
  listNetworks(flags?: Flags): Promise<NetworkInfo[]>;
  networkDefineXML(xml: string): Promise<NameUuid>;
  networkCreateXML(xml: string): Promise<NameUuid>;
  /** op: a NetworkOp (ops.gen.ts). */
  networkOp(name: string, op: number): Promise<void>;
  networkGetXMLDesc(name: string, flags?: Flags): Promise<string>;
  networkGetDHCPLeases(name: string, mac: string | null): Promise<DhcpLease[]>;
  /** command, section: NetworkUpdateCommand, NetworkUpdateSection (constants.gen.ts). */
  networkUpdate(
    name: string,
    command: number,
    section: number,
    parentIndex: number,
    xml: string,
    flags?: Flags,
  ): Promise<void>;
  listStoragePools(flags?: Flags): Promise<NativePoolInfo[]>;
  storagePoolGetInfo(name: string): Promise<NativePoolInfo>;
  storagePoolDefineXML(xml: string, flags?: Flags): Promise<NameUuid>;
  storagePoolCreateXML(xml: string, flags?: Flags): Promise<NameUuid>;
  /** op: a StoragePoolOp (ops.gen.ts). */
  storagePoolOp(name: string, op: number, flags?: Flags): Promise<void>;
  storagePoolGetXMLDesc(name: string, flags?: Flags): Promise<string>;
  listStorageVolumes(pool: string): Promise<NativeVolInfo[]>;
  storageVolGetInfo(pool: string, name: string): Promise<NativeVolInfo>;
  storageVolLookupByPath(path: string): Promise<NativeVolInfo>;
  storageVolCreateXML(pool: string, xml: string, flags?: Flags): Promise<NativeVolInfo>;
  storageVolCreateXMLFrom(
    pool: string,
    xml: string,
    srcPool: string,
    srcName: string,
    flags?: Flags,
  ): Promise<NativeVolInfo>;
  storageVolDelete(pool: string, name: string, flags?: Flags): Promise<void>;
  storageVolResize(pool: string, name: string, capacity: number, flags?: Flags): Promise<NativeVolInfo>;
  storageVolGetXMLDesc(pool: string, name: string, flags?: Flags): Promise<string>;
  storageVolUpload(pool: string, name: string, filePath: string): Promise<number>;
  storageVolDownload(pool: string, name: string, filePath: string): Promise<number>;
}
/** A pool as the addon reports it: libvirt's state number and the XML storage.ts reads. */
export interface NativePoolInfo extends NameUuid {
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  /** virStoragePoolState; -1 when unknown. */
  state: number;
  capacity: number;
  allocation: number;
  available: number;
  xml: string;
}
export interface NativeVolInfo {
  name: string;
  key: string;
  path: string;
  pool: string;
  /** virStorageVolType; -1 when unknown. */
  type: number;
  capacity: number;
  allocation: number;
}
export interface NativeBinding {
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
