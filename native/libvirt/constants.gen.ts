// GENERATED — DO NOT EDIT. Regenerate with: node native/libvirt/scripts/gen-codes.mjs
// libvirt constants the wrappers pass to the addon, from 9.0.0 headers (the table of
// names is in the generator).

/** virDomainState. */
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

/** virDomainEventType: what a lifecycle event reports. */
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

/** virDomainEventID: the event kinds registerDomainEvent accepts. */
export const DomainEventId = {
  LIFECYCLE: 0,
  REBOOT: 1,
} as const;

/** virConnectListAllDomainsFlags. */
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

/** virConnectGetAllDomainStatsFlags (the list filters plus the stats-only flags). */
export const StatsFlag = {
  ACTIVE: 1,
  INACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  RUNNING: 16,
  PAUSED: 32,
  SHUTOFF: 64,
  OTHER: 128,
  NOWAIT: 536870912,
  BACKING: 1073741824,
  ENFORCE_STATS: 2147483648,
} as const;

/** virDomainStatsTypes: the groups getAllDomainStats can ask for. */
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

/** virDomainUndefineFlagsValues. */
export const UndefineFlag = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  KEEP_NVRAM: 8,
  CHECKPOINTS_METADATA: 16,
  TPM: 32,
  KEEP_TPM: 64,
} as const;

/** virDomainShutdownFlagValues. */
export const ShutdownFlag = {
  DEFAULT: 0,
  ACPI: 1,
  AGENT: 2,
  INITCTL: 4,
  SIGNAL: 8,
  PARAVIRT: 16,
} as const;

/** virDomainDestroyFlagsValues. */
export const DestroyFlag = {
  DEFAULT: 0,
  GRACEFUL: 1,
} as const;

/** virDomainXMLFlags. */
export const XMLFlag = {
  SECURE: 1,
  INACTIVE: 2,
  UPDATE_CPU: 4,
  MIGRATABLE: 8,
} as const;

/** virDomainDefineFlags. */
export const DefineFlag = {
  VALIDATE: 1,
} as const;

/** virDomainConsoleFlags. */
export const ConsoleFlag = {
  FORCE: 1,
  SAFE: 2,
} as const;

/** virDomainCreateFlags (start flags). */
export const CreateFlag = {
  PAUSED: 1,
  AUTODESTROY: 2,
  BYPASS_CACHE: 4,
  FORCE_BOOT: 8,
  VALIDATE: 16,
  RESET_NVRAM: 32,
} as const;

/** virDomainSnapshotCreateFlags. */
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

/** virDomainSnapshotDeleteFlags. */
export const SnapshotDeleteFlag = {
  CHILDREN: 1,
  METADATA_ONLY: 2,
  CHILDREN_ONLY: 4,
} as const;

/** virDomainSnapshotRevertFlags. */
export const SnapshotRevertFlag = {
  RUNNING: 1,
  PAUSED: 2,
  FORCE: 4,
  RESET_NVRAM: 8,
} as const;

/** virDomainInterfaceAddressesSource: where libvirt learns a guest's addresses. */
export const InterfaceAddressSource = {
  LEASE: 0,
  AGENT: 1,
  ARP: 2,
} as const;

/** virNetworkXMLFlags. */
export const NetworkXMLFlag = {
  INACTIVE: 1,
} as const;

/** virNetworkUpdateCommand: what networkUpdate does with the XML snippet. */
export const NetworkUpdateCommand = {
  MODIFY: 1,
  DELETE: 2,
  ADD_LAST: 3,
  ADD_FIRST: 4,
} as const;

/** virNetworkUpdateSection: which part of <network> networkUpdate changes. */
export const NetworkUpdateSection = {
  BRIDGE: 1,
  DOMAIN: 2,
  IP: 3,
  IP_DHCP_HOST: 4,
  IP_DHCP_RANGE: 5,
  FORWARD: 6,
  FORWARD_INTERFACE: 7,
  FORWARD_PF: 8,
  PORTGROUP: 9,
  DNS_HOST: 10,
  DNS_TXT: 11,
  DNS_SRV: 12,
} as const;

/** virNetworkUpdateFlags: the running network, its persistent config, or both. */
export const NetworkUpdateFlag = {
  CURRENT: 0,
  LIVE: 1,
  CONFIG: 2,
} as const;

/** virDomainDeviceModifyFlags: attach/detach/update on the running domain, its config, or both. */
export const DeviceModifyFlag = {
  CURRENT: 0,
  LIVE: 1,
  CONFIG: 2,
  FORCE: 4,
} as const;

/** virDomainBlockResizeFlags. */
export const BlockResizeFlag = {
  BYTES: 1,
} as const;

/** virStoragePoolState. */
export const StoragePoolState = {
  INACTIVE: 0,
  BUILDING: 1,
  RUNNING: 2,
  DEGRADED: 3,
  INACCESSIBLE: 4,
} as const;

/** virStoragePoolBuildFlags. */
export const StoragePoolBuildFlag = {
  NEW: 0,
  REPAIR: 1,
  RESIZE: 2,
  NO_OVERWRITE: 4,
  OVERWRITE: 8,
} as const;

/** virStorageXMLFlags. */
export const StorageXMLFlag = {
  INACTIVE: 1,
} as const;

/** virStorageVolType. */
export const StorageVolType = {
  FILE: 0,
  BLOCK: 1,
  DIR: 2,
  NETWORK: 3,
  NETDIR: 4,
  PLOOP: 5,
} as const;

/** virStorageVolCreateFlags. */
export const StorageVolCreateFlag = {
  PREALLOC_METADATA: 1,
  REFLINK: 2,
  VALIDATE: 4,
} as const;

/** virStorageVolDeleteFlags. */
export const StorageVolDeleteFlag = {
  NORMAL: 0,
  ZEROED: 1,
  WITH_SNAPSHOTS: 2,
} as const;

/** virStorageVolResizeFlags. */
export const StorageVolResizeFlag = {
  ALLOCATE: 1,
  DELTA: 2,
  SHRINK: 4,
} as const;

/** virConnectCloseReason: why the connection closed. */
export const CloseReason = {
  ERROR: 0,
  EOF: 1,
  KEEPALIVE: 2,
  CLIENT: 3,
} as const;
