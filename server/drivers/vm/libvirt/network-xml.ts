// libvirt network XML for a Tandem network (pure: no libvirt calls), and the reading back of the
// parts Tandem sets from what libvirt stored, so the realizer can check a definition took as
// asked and tell which parts of a running network a change touches.
// Types: isolated (no <forward>), nat (<forward mode='open'>: libvirt adds no firewall rules;
// Tandem's own nft table masquerades and filters, see server/drivers/netfilter/), bridged (<forward mode='bridge'> onto an existing host bridge: libvirt runs no dnsmasq and
// assigns no address), vlan (<forward mode='bridge'> onto the network's own bridge, which
// vlan-bridge.ts makes with the 802.1Q link in it: no dnsmasq, no address either).
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import type { Network } from "../../../contract/network";
import { xmlText } from "./xml-build";

/** The libvirt network behind a Tandem network: Tandem's by its prefix, unique by the row id. */
export function libvirtNetworkName(n: Pick<Network, "id">): string {
  return `tandem-net-${n.id}`;
}

/**
 * The DNS domain guests' names live under on every Tandem network (`web.tandem.internal`).
 * `.internal` is reserved for private use, so it never shadows a real name; localOnly keeps
 * queries for it from leaving the host.
 */
export const GUEST_DOMAIN = "tandem.internal";

/** The parts of a libvirt network Tandem decides; compared field by field (summaryDiff). */
export interface NetworkSummary {
  forward: { mode: string; dev: string | null; natIpv6: boolean } | null;
  bridge: string | null;
  /** STP on the bridge (libvirt's default is on); null for a bridged network (not libvirt's bridge). */
  stp: boolean | null;
  ips: { family: "ipv4" | "ipv6"; address: string; prefix: number }[];
  dhcp: { start: string; end: string }[];
  forwarders: string[];
  domain: { name: string; localOnly: boolean } | null;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
});

type Node = Record<string, unknown>;

const prefixOf = (cidr: string) => Number(cidr.split("/")[1]);

/** The desired network XML; `uuid` is the existing network's when redefining it. */
export function buildLibvirtNetworkXml(n: Network, uuid?: string): string {
  const net: Node = { name: xmlText(libvirtNetworkName(n), "network name") };
  if (uuid) net.uuid = xmlText(uuid, "uuid");
  if (n.type === "vlan") {
    // libvirt tags VLANs only on Open vSwitch; on a Linux bridge the tagging is the 802.1Q link
    // that is the bridge's uplink port (vlan-bridge.ts). libvirt only plugs guests in.
    net.forward = { "@_mode": "bridge" };
    net.bridge = { "@_name": xmlText(n.bridge, "bridge") };
    return builder.build({ network: net }) as string;
  }
  if (n.type === "bridged") {
    // The uplink is the host bridge itself; libvirt only plugs guests into it.
    if (!n.uplink) throw new RangeError("uplink: a bridged network needs the host bridge to join");
    net.forward = { "@_mode": "bridge" };
    net.bridge = { "@_name": xmlText(n.uplink, "uplink") };
    return builder.build({ network: net }) as string;
  }
  // nat: mode='open' rather than 'nat'. With 'nat' libvirt writes its own iptables chains
  // (LIBVIRT_FWI rejects every new inbound connection, so a DNAT'd port forward could never reach
  // a guest) and they are not Tandem's to change. 'open' adds no rule at all; Tandem's nft table
  // does the masquerade (out of the uplink), the forward filter and the port forwards. libvirt
  // still runs dnsmasq (DHCP, DNS) and turns ip_forward on when the network starts.
  if (n.type === "nat") net.forward = { "@_mode": "open" };
  // STP off: the bridge is host-internal (guests' ports and no uplink port), so it cannot loop,
  // and STP's learning state held every new port for ~2 s (a container's first packets lost).
  net.bridge = { "@_name": xmlText(n.bridge, "bridge"), "@_stp": "off" };
  const dns: Node = {};
  if (n.dnsForwarders.length) dns.forwarder = n.dnsForwarders.map((a) => ({ "@_addr": xmlText(a, "dnsForwarders") }));
  if (Object.keys(dns).length) net.dns = dns;
  if (n.dnsNames) net.domain = { "@_name": GUEST_DOMAIN, "@_localOnly": "yes" };
  const ips: Node[] = [];
  if (n.ipv4) {
    const ip: Node = {
      "@_address": xmlText(n.ipv4.gateway, "ipv4.gateway"),
      "@_prefix": String(prefixOf(n.ipv4.subnet)),
    };
    if (n.ipv4.dhcp) {
      ip.dhcp = {
        range: { "@_start": xmlText(n.ipv4.dhcp.start, "dhcp start"), "@_end": xmlText(n.ipv4.dhcp.end, "dhcp end") },
      };
    }
    ips.push(ip);
  }
  if (n.ipv6) {
    ips.push({
      "@_family": "ipv6",
      "@_address": xmlText(n.ipv6.gateway, "ipv6.gateway"),
      "@_prefix": String(prefixOf(n.ipv6.subnet)),
    });
  }
  if (ips.length) net.ip = ips;
  return builder.build({ network: net }) as string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  isArray: (name) => ["ip", "range", "forwarder"].includes(name),
});

/** IPv6 addresses in one spelling (libvirt prints them canonically; a user may not). */
function canonicalIp(addr: string): string {
  if (!addr.includes(":")) return addr;
  try {
    return new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  } catch {
    return addr;
  }
}

/** The Tandem-decided parts of a network XML (ours or libvirt's, which adds uuid, mac, …). */
export function summarize(xml: string): NetworkSummary {
  const net = ((parser.parse(xml) as Node).network ?? {}) as Node;
  const fwd = net.forward as Node | undefined;
  const ipNodes = (net.ip as Node[] | undefined) ?? [];
  const dns = net.dns as Node | undefined;
  const domain = net.domain as Node | undefined;
  return {
    forward: fwd
      ? {
          mode: String(fwd["@_mode"] ?? "nat"),
          dev: fwd["@_dev"] ? String(fwd["@_dev"]) : null,
          natIpv6: (fwd.nat as Node | undefined)?.["@_ipv6"] === "yes",
        }
      : null,
    bridge: (net.bridge as Node | undefined)?.["@_name"] ? String((net.bridge as Node)["@_name"]) : null,
    stp: fwd?.["@_mode"] === "bridge" ? null : (net.bridge as Node | undefined)?.["@_stp"] !== "off",
    ips: ipNodes.map((ip) => ({
      family: ip["@_family"] === "ipv6" ? "ipv6" : "ipv4",
      address: canonicalIp(String(ip["@_address"])),
      prefix: Number(ip["@_prefix"]),
    })),
    dhcp: ipNodes.flatMap((ip) =>
      (((ip.dhcp as Node | undefined)?.range as Node[] | undefined) ?? []).map((r) => ({
        start: canonicalIp(String(r["@_start"])),
        end: canonicalIp(String(r["@_end"])),
      })),
    ),
    forwarders: ((dns?.forwarder as Node[] | undefined) ?? []).map((f) => canonicalIp(String(f["@_addr"]))),
    domain: domain ? { name: String(domain["@_name"]), localOnly: domain["@_localOnly"] === "yes" } : null,
  };
}

/** The fields of `want` that `have` differs in, by name; empty when the network is as wanted. */
export function summaryDiff(want: NetworkSummary, have: NetworkSummary): (keyof NetworkSummary)[] {
  return (Object.keys(want) as (keyof NetworkSummary)[]).filter(
    (k) => JSON.stringify(want[k]) !== JSON.stringify(have[k]),
  );
}

/** libvirt's uuid of a network from its XML. */
export function uuidOf(xml: string): string | undefined {
  const u = ((parser.parse(xml) as Node).network as Node | undefined)?.uuid;
  return u ? String(u) : undefined;
}

/** One <range> for virNetworkUpdate's ip-dhcp-range section. */
export function dhcpRangeXml(r: { start: string; end: string }): string {
  return (
    builder.build({
      range: { "@_start": xmlText(r.start, "dhcp start"), "@_end": xmlText(r.end, "dhcp end") },
    }) as string
  ).trim();
}
