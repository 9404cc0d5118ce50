// nftables text pieces both of Tandem's firewalls render (the container driver's own bridge,
// server/drivers/container/oci/network.ts, and the Tandem networks' tables, ./render.ts): the
// per-interface address pin and the loopback guard, plus the checks that keep anything but a
// well-formed name or address out of an nft script (a quote or newline would add a rule).
import { isIP } from "node:net";

const IFNAME = /^[a-zA-Z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const TABLE = /^[a-zA-Z][a-zA-Z0-9_]{0,30}$/;

export function checkIfname(name: string): string {
  if (!IFNAME.test(name)) throw new RangeError(`'${name}' is not an interface name`);
  return name;
}

export function checkMac(mac: string): string {
  if (!MAC.test(mac)) throw new RangeError(`'${mac}' is not a lower-case MAC address`);
  return mac;
}

export function checkTable(name: string): string {
  if (!TABLE.test(name)) throw new RangeError(`'${name}' is not an nftables table name`);
  return name;
}

/** An address (4 or 6) or a CIDR of either; returns its family. */
export function checkAddress(a: string): 4 | 6 {
  const [addr, len, ...rest] = a.split("/");
  const fam = isIP(addr ?? "");
  if (!fam || rest.length) throw new RangeError(`'${a}' is not an address or CIDR`);
  if (len !== undefined && !(/^\d{1,3}$/.test(len) && Number(len) <= (fam === 4 ? 32 : 128))) {
    throw new RangeError(`'${a}' has a bad prefix length`);
  }
  return fam as 4 | 6;
}

export interface PinSpec {
  /** The chain's name (pin_<iface>). */
  chain: string;
  mac: string;
  /** The only IPv4 source (ARP included); null: IPv4 is not pinned to an address (only the MAC). */
  ipv4: string | null;
  /** Let a DHCP client's discover/request out (source 0.0.0.0, before it has an address). */
  dhcp: boolean;
  /** IPv6 sources allowed (prefixes); empty: no IPv6 at all from this interface. */
  ipv6: string[];
}

/**
 * One bridge-family chain that lets through only frames with the interface's own MAC and
 * addresses. Every frame a guest sends enters the bridge through its host-side interface, so a
 * guest cannot pose as another guest or the gateway (ARP spoofing included).
 */
export function pinChain(p: PinSpec): string[] {
  checkMac(p.mac);
  if (p.ipv4 !== null && checkAddress(p.ipv4) !== 4) throw new RangeError(`'${p.ipv4}' is not IPv4`);
  for (const a of p.ipv6) if (checkAddress(a) !== 6) throw new RangeError(`'${a}' is not IPv6`);
  const arp = "ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4";
  return [
    `  chain ${p.chain} {`,
    `    ether saddr != ${p.mac} drop`,
    ...(p.ipv4 !== null
      ? [
          `    ${arp} arp saddr ether ${p.mac} arp saddr ip ${p.ipv4} accept`,
          `    ether type ip ip saddr ${p.ipv4} accept`,
        ]
      : [`    ${arp} arp saddr ether ${p.mac} accept`, "    ether type ip accept"]),
    ...(p.dhcp && p.ipv4 !== null
      ? ["    ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept"]
      : []),
    ...(p.ipv6.length ? [`    ether type ip6 ip6 saddr { ${p.ipv6.join(", ")} } accept`] : []),
    "    drop",
    "  }",
  ];
}

/**
 * CVE-2020-8558: with route_localnet on, a guest could reach services bound to the host's
 * loopback. route_localnet stays off on the bridges; these drops hold even if someone turns it
 * on (kube-proxy's fix), before conntrack sees the packet. `from` is an iifname match.
 */
export function loopbackGuard(from: string, ipv6: boolean): string[] {
  return [
    `    ${from} ip daddr 127.0.0.0/8 drop`,
    `    ${from} ip saddr 127.0.0.0/8 drop`,
    ...(ipv6 ? [`    ${from} ip6 daddr ::1 drop`, `    ${from} ip6 saddr ::1 drop`] : []),
  ];
}
