// The plain objects the addon resolves with, as the public API hands them on: domain info,
// stats records, networks and their DHCP leases, storage pools and volumes, guest interfaces,
// snapshots.
import type { StoragePoolStateName, StorageVolTypeName } from "./constants";

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
/** A storage pool as listStoragePools/storagePoolGetInfo report it (sizes in bytes). */
export interface StoragePoolInfo extends NameUuid {
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  /** virStoragePoolState by name; "unknown" when libvirt could not say. */
  state: StoragePoolStateName | "unknown";
  capacity: number;
  allocation: number;
  available: number;
  /** The pool's backend, <pool type=...>: dir, fs, logical, disk, iscsi, rbd, zfs, ... */
  type: string;
  /** <target><path>: where the pool's volumes appear on the host; null when it has none. */
  targetPath: string | null;
}
/** A storage volume (sizes in bytes). */
export interface StorageVolInfo {
  name: string;
  /** libvirt's unique key (for file volumes, the path). */
  key: string;
  path: string;
  /** The pool it lives in. */
  pool: string;
  /** virStorageVolType by name; "unknown" when libvirt could not say. */
  type: StorageVolTypeName | "unknown";
  capacity: number;
  allocation: number;
}
