// libvirt's numeric constants (generated from its headers into constants.gen.ts) and the
// lower-case names Tandem uses for them: state, event and close-reason names, stats groups and
// address sources.
import { CloseReason, DomainEventType, DomainState, InterfaceAddressSource, StatsGroup } from "./constants.gen";

export * from "./constants.gen";

export type DomainStateName = Lowercase<keyof typeof DomainState>;
export type DomainEventName = Lowercase<keyof typeof DomainEventType>;
export type StatsGroupName = keyof typeof StatsGroup;
export type InterfaceAddressSourceName = Lowercase<keyof typeof InterfaceAddressSource>;
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
export const closeReasonName = (r: number): CloseReasonName => closeNames.get(r) ?? "error";

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

/** The virDomainInterfaceAddressesSource number of a source name; throws on an unknown one. */
export function interfaceAddressSource(source: InterfaceAddressSourceName): number {
  const key = String(source).toUpperCase();
  if (source !== key.toLowerCase() || !Object.hasOwn(InterfaceAddressSource, key))
    throw new TypeError(`unknown address source '${String(source)}'`);
  return InterfaceAddressSource[key as keyof typeof InterfaceAddressSource];
}
