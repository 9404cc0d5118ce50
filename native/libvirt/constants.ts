// libvirt's numeric constants (generated from its headers into constants.gen.ts) and the
// lower-case names Tandem uses for them: state, event and close-reason names, stats groups,
// address sources, pool states, volume types and networkUpdate's commands and sections.
import {
  CloseReason,
  DomainEventType,
  DomainState,
  InterfaceAddressSource,
  NetworkUpdateCommand,
  NetworkUpdateSection,
  StatsGroup,
  StoragePoolState,
  StorageVolType,
} from "./constants.gen";

export * from "./constants.gen";

export type DomainStateName = Lowercase<keyof typeof DomainState>;
export type DomainEventName = Lowercase<keyof typeof DomainEventType>;
export type StatsGroupName = keyof typeof StatsGroup;
export type InterfaceAddressSourceName = Lowercase<keyof typeof InterfaceAddressSource>;
export type CloseReasonName = Lowercase<keyof typeof CloseReason>;
export type StoragePoolStateName = Lowercase<keyof typeof StoragePoolState>;
export type StorageVolTypeName = Lowercase<keyof typeof StorageVolType>;
export type NetworkUpdateCommandName = Lowercase<keyof typeof NetworkUpdateCommand>;
export type NetworkUpdateSectionName = Lowercase<keyof typeof NetworkUpdateSection>;

const lower = <T extends Record<string, number>>(o: T) =>
  new Map<number, Lowercase<keyof T & string>>(
    Object.entries(o).map(([k, v]) => [v, k.toLowerCase() as Lowercase<keyof T & string>]),
  );
const stateNames = lower(DomainState);
const eventNames = lower(DomainEventType);
const closeNames = lower(CloseReason);
const poolStateNames = lower(StoragePoolState);
const volTypeNames = lower(StorageVolType);

export const domainStateName = (s: number): DomainStateName => stateNames.get(s) ?? "nostate";
export const domainEventName = (e: number): DomainEventName | "unknown" => eventNames.get(e) ?? "unknown";
export const closeReasonName = (r: number): CloseReasonName => closeNames.get(r) ?? "error";
export const storagePoolStateName = (s: number): StoragePoolStateName | "unknown" => poolStateNames.get(s) ?? "unknown";
export const storageVolTypeName = (t: number): StorageVolTypeName | "unknown" => volTypeNames.get(t) ?? "unknown";

/** The bit mask virConnectGetAllDomainStats takes for these groups; throws on an unknown name. */
export function statsGroupsMask(groups: readonly StatsGroupName[]): number {
  let mask = 0;
  for (const g of groups) {
    const bit = StatsGroup[g];
    if (bit === undefined) throw new TypeError(`unknown stats group '${String(g)}'`);
    mask |= bit;
  }
  return mask >>> 0;
}

/** The number of `name` (a lower-case key) in `table`; TypeError naming `what` otherwise. */
function codeOf(table: Record<string, number>, name: string, what: string): number {
  const key = String(name).toUpperCase();
  if (name !== key.toLowerCase() || !Object.hasOwn(table, key))
    throw new TypeError(`unknown ${what} '${String(name)}'`);
  return table[key]!;
}

/** The virDomainInterfaceAddressesSource number of a source name; throws on an unknown one. */
export const interfaceAddressSource = (source: InterfaceAddressSourceName): number =>
  codeOf(InterfaceAddressSource, source, "address source");
/** virNetworkUpdateCommand of a name ("add_last", "delete", ...); throws on an unknown one. */
export const networkUpdateCommand = (c: NetworkUpdateCommandName): number =>
  codeOf(NetworkUpdateCommand, c, "network update command");
/** virNetworkUpdateSection of a name ("dns_host", "ip_dhcp_host", ...); throws on an unknown one. */
export const networkUpdateSection = (s: NetworkUpdateSectionName): number =>
  codeOf(NetworkUpdateSection, s, "network update section");
