// Guest IP addresses from libvirt's DHCP leases: one virNetworkGetDHCPLeases call per network
// answers for every guest on it, matched to a guest by its NIC's MAC. Pure.
import type { DhcpLease } from "../../../../native/libvirt/index";
import type { ParsedNic } from "./xml-parse";

/** The libvirt networks whose leases can name an address of these NICs. */
export function leaseNetworks(nics: Iterable<ParsedNic>): Set<string> {
  const out = new Set<string>();
  for (const n of nics) if (n.type === "network" && n.network && n.mac) out.add(n.network);
  return out;
}

/**
 * MAC (lower case) → the addresses leased to it: the newest unexpired IPv4 lease, then the
 * newest IPv6 one. A client holds one lease per family; an older one for the same MAC is what
 * dnsmasq remembers from before (another boot, another address), not a second address.
 */
export function addressesByMac(leases: Iterable<DhcpLease>, nowSec: number): Map<string, string[]> {
  const newest = new Map<string, DhcpLease>();
  for (const l of leases) {
    if (!l.mac || !l.ipaddr || (l.expiryTime !== 0 && l.expiryTime <= nowSec)) continue;
    const key = `${l.mac.toLowerCase()} ${l.type}`;
    const seen = newest.get(key);
    if (!seen || (seen.expiryTime !== 0 && (l.expiryTime === 0 || l.expiryTime > seen.expiryTime))) newest.set(key, l);
  }
  const out = new Map<string, string[]>();
  for (const l of [...newest.values()].sort((a, b) => (a.type === b.type ? 0 : a.type === "ipv4" ? -1 : 1))) {
    const mac = l.mac!.toLowerCase();
    out.set(mac, [...(out.get(mac) ?? []), l.ipaddr]);
  }
  return out;
}

/** A guest's addresses: those leased to any of its NICs on a network in `byNetwork`. */
export function guestAddresses(nics: readonly ParsedNic[], byNetwork: ReadonlyMap<string, Map<string, string[]>>) {
  const out: string[] = [];
  for (const n of nics) {
    if (n.type !== "network" || !n.network || !n.mac) continue;
    for (const ip of byNetwork.get(n.network)?.get(n.mac.toLowerCase()) ?? []) if (!out.includes(ip)) out.push(ip);
  }
  return out;
}
