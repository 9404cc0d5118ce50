// Which IPv4 address a guest's NIC gets on a Tandem network (pure; guest-nics.ts reads the rows
// and writes the result). Tandem gives every NIC on a network with IPv4 an address of its own,
// so firewall pins, port forwards and DNS names know it before the guest runs: the lowest free
// host address outside the DHCP range (on the default network, the lower half of the subnet),
// or the fixed one the body asked for, checked here. The unique (network, address) index is the
// backstop when two creates race.
import type { Network as NetworkRow } from "@prisma/client";
import { tandemAssignsAddresses, type NetworkType } from "../contract/network";
import { AppError } from "../domain/errors";
import { contains, formatIp, parseCidr, parseIp } from "./network-addresses";

/** What the allocator needs of a network row. */
export type NicNetwork = Pick<NetworkRow, "name" | "type" | "ipv4Subnet" | "ipv4Gateway" | "dhcpStart" | "dhcpEnd">;

/**
 * True when Tandem assigns addresses on this network: isolated and NAT networks with IPv4 (their
 * own dnsmasq). On bridged and VLAN networks the LAN decides (contract tandemAssignsAddresses).
 */
export const assignsAddresses = (n: NicNetwork) =>
  tandemAssignsAddresses(n.type as NetworkType) && !!n.ipv4Subnet && !!n.ipv4Gateway;

function block(n: NicNetwork) {
  const sub = parseCidr(n.ipv4Subnet ?? "");
  if (!sub || sub.family !== 4) return null;
  const dhcp =
    n.dhcpStart && n.dhcpEnd ? { first: parseIp(n.dhcpStart)!.value, last: parseIp(n.dhcpEnd)!.value } : null;
  const gateway = n.ipv4Gateway ? parseIp(n.ipv4Gateway)!.value : null;
  return { sub, dhcp, gateway };
}

/**
 * A fixed address from a create or hotplug body: a host address of the subnet (not its network or
 * broadcast address), not the gateway and not in the DHCP range (dnsmasq would lease it to
 * another guest). 400 naming `field`; whether it is taken is checked against the rows (409).
 */
export function checkFixedAddress(n: NicNetwork, address: string, field: string): void {
  const bad = (why: string) => new AppError("VALIDATION", `${field}: ${why}`, { field });
  const b = block(n);
  if (!b) throw bad(`network '${n.name}' has no IPv4 subnet to take ${address} from`);
  const ip = parseIp(address);
  if (!ip || !contains(b.sub, ip)) throw bad(`${address} is not in ${n.name}'s subnet ${n.ipv4Subnet}`);
  if (ip.value === b.sub.first || ip.value === b.sub.last) {
    throw bad(`${address} is the network or broadcast address of ${n.ipv4Subnet}`);
  }
  if (ip.value === b.gateway) throw bad(`${address} is the gateway of '${n.name}'`);
  if (b.dhcp && ip.value >= b.dhcp.first && ip.value <= b.dhcp.last) {
    throw bad(`${address} is in the DHCP range ${n.dhcpStart}-${n.dhcpEnd} of '${n.name}'`);
  }
}

/**
 * The lowest host address of the subnet that is not the gateway, not in the DHCP range and not
 * `used`. INSUFFICIENT_RESOURCES naming the network when none is left.
 */
export function lowestFreeAddress(n: NicNetwork, used: ReadonlySet<string>): string {
  const b = block(n);
  if (!b) throw new AppError("VALIDATION", `network '${n.name}' has no IPv4 subnet`);
  for (let v = b.sub.first + 1n; v < b.sub.last; v++) {
    if (v === b.gateway) continue;
    if (b.dhcp && v >= b.dhcp.first && v <= b.dhcp.last) {
      v = b.dhcp.last;
      continue;
    }
    const text = formatIp(4, v);
    if (!used.has(text)) return text;
  }
  throw new AppError(
    "INSUFFICIENT_RESOURCES",
    `network '${n.name}' has no free address left outside its DHCP range in ${n.ipv4Subnet}`,
  );
}
