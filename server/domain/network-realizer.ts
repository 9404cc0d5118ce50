// What a driver does to make a Tandem network real on its host, declared here so drivers can
// implement it without importing services: set the network up, change it, remove it, and keep
// the per-NIC host entries (a DHCP reservation mac → address, a DNS name → address) that the
// network's own DHCP/DNS server answers with. services/network-service.ts calls every registered
// realizer; each method must be idempotent (a retry after a crash calls it again).
import type { Network } from "../contract/network";

/** One NIC's entries on its network's DHCP/DNS server. */
export interface NicHostEntry {
  mac: string;
  /** The IPv4 address Tandem gave the NIC (Nic.address). */
  address: string;
  /** DHCP reservation mac → address (VMs ask DHCP; containers are configured directly). */
  dhcp: boolean;
  /** DNS names for the address (`web`, `web.tandem.internal`); empty: no DNS entry. */
  names: string[];
}

export interface NetworkRealizer {
  /** Make the network exist on the host as described (created or adopted). */
  ensure(network: Network): Promise<void>;
  /** Apply a change to an existing network (DHCP range, DNS, addressing). */
  update(network: Network): Promise<void>;
  /** Remove what ensure made; no guest uses the network any more. */
  remove(network: Network): Promise<void>;
  /**
   * Make the network's DHCP/DNS server answer for this NIC as described (live and in the
   * stored definition), replacing an older entry for the same MAC or address. Optional: a
   * realizer whose networks have no server of their own (none yet) leaves it out.
   */
  setHost?(network: Network, entry: NicHostEntry): Promise<void>;
  /** Drop the NIC's entries; absent ones are fine. */
  removeHost?(network: Network, entry: NicHostEntry): Promise<void>;
}
