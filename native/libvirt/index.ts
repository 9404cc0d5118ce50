// Typed Promise API over Tandem's libvirt addon (build/Release/tandem_libvirt.node); the one
// entry point callers import. Each concern lives in its own module, re-exported here:
//   errors.ts      LibvirtError and the predicates callers branch on (error-codes.gen.ts)
//   constants.ts   libvirt's flags and enums (constants.gen.ts) and their lower-case names
//   loader.ts      finding and loading the addon; library version
//   connection.ts  connect() and Connection: host, domain lookup/define, stats, networks,
//                  storage pools and volumes (storage.ts shapes their records)
//   events.ts      domain lifecycle/reboot event subscription
//   domain.ts      Domain: lifecycle, XML, state, snapshots, guest addresses, device hotplug
//   console.ts     Console: a domain's serial console as a stream
//   shapes.ts      the plain result objects
// native.ts types the raw addon and ops.gen.ts holds the op codes shared with src/ops.h; both
// stay internal. The *.gen.ts files come from scripts/gen-codes.mjs (test/codes.test.ts checks).
export { ErrorCode, ErrorDomain } from "./error-codes.gen";
export {
  LibvirtError,
  isConnectionError,
  isLibvirtError,
  isNoDomain,
  isNoNetwork,
  isNoSnapshot,
  isNoStoragePool,
  isNoStorageVol,
  isOperationInvalid,
} from "./errors";
export {
  BlockResizeFlag,
  CloseReason,
  ConsoleFlag,
  CreateFlag,
  DefineFlag,
  DestroyFlag,
  DeviceModifyFlag,
  DomainEventType,
  DomainState,
  InterfaceAddressSource,
  ListFlag,
  NetworkUpdateCommand,
  NetworkUpdateFlag,
  NetworkUpdateSection,
  NetworkXMLFlag,
  ShutdownFlag,
  SnapshotCreateFlag,
  SnapshotDeleteFlag,
  SnapshotRevertFlag,
  StatsFlag,
  StatsGroup,
  StoragePoolBuildFlag,
  StoragePoolState,
  StorageVolCreateFlag,
  StorageVolDeleteFlag,
  StorageVolResizeFlag,
  StorageVolType,
  StorageXMLFlag,
  UndefineFlag,
  XMLFlag,
  domainEventName,
  domainStateName,
  type CloseReasonName,
  type DomainEventName,
  type DomainStateName,
  type InterfaceAddressSourceName,
  type NetworkUpdateCommandName,
  type NetworkUpdateSectionName,
  type StatsGroupName,
  type StoragePoolStateName,
  type StorageVolTypeName,
} from "./constants";
export { formatVersion, libraryVersion } from "./loader";
export { Connection, connect, type ConnectOptions, type DomainDetails } from "./connection";
export type { DomainEvent } from "./events";
export { Domain } from "./domain";
export { Console } from "./console";
export type {
  DhcpLease,
  DomainInfo,
  DomainInterface,
  DomainInterfaceAddress,
  DomainStatsRecord,
  NameUuid,
  NetworkInfo,
  SnapshotDetails,
  StoragePoolInfo,
  StorageVolInfo,
  TypedParamValue,
} from "./shapes";
