// Per-NIC host entries on a Tandem network's libvirt network: a DHCP reservation (mac → address,
// what a VM's DHCP client gets) and a DNS host (address → the guest's names), both answered by
// the network's dnsmasq. They go through virNetworkUpdate, live and in the stored definition
// (config only while the network is stopped), so libvirt rewrites dnsmasq's files and signals it;
// nothing here edits dnsmasq's files. Setting is idempotent: stale entries for the same MAC,
// address or name are replaced, an identical one is kept.
import { XMLParser } from "fast-xml-parser";
import { NetworkUpdateFlag, NetworkXMLFlag, type Connection } from "../../../../native/libvirt/index";
import type { NicHostEntry } from "../../../domain/network-realizer";
import { xmlText } from "./xml-build";

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  isArray: (name) => ["ip", "host", "hostname"].includes(name),
});

interface DhcpHost {
  mac: string;
  ip: string;
  name: string | null;
}
interface DnsHost {
  ip: string;
  names: string[];
}

type Node = Record<string, unknown>;
const attr = (n: Node, k: string) => (typeof n[`@_${k}`] === "string" ? (n[`@_${k}`] as string) : null);
const text = (v: unknown) =>
  typeof v === "string" ? v : typeof (v as Node)?.["#text"] === "string" ? String((v as Node)["#text"]) : "";

/** The DHCP and DNS hosts of a network definition (the IPv4 <ip> element's reservations). */
export function readHosts(xml: string): { dhcp: DhcpHost[]; dns: DnsHost[] } {
  const net = ((parser.parse(xml) as Node).network ?? {}) as Node;
  const dhcp: DhcpHost[] = [];
  for (const ip of (net.ip ?? []) as Node[]) {
    if (attr(ip, "family") === "ipv6") continue;
    for (const h of (((ip.dhcp ?? {}) as Node).host ?? []) as Node[]) {
      const mac = attr(h, "mac");
      const addr = attr(h, "ip");
      if (mac && addr) dhcp.push({ mac: mac.toLowerCase(), ip: addr, name: attr(h, "name") });
    }
  }
  const dns = ((((net.dns ?? {}) as Node).host ?? []) as Node[]).map((h) => ({
    ip: attr(h, "ip") ?? "",
    names: ((h.hostname ?? []) as unknown[]).map(text).filter(Boolean),
  }));
  return { dhcp, dns };
}

export const dhcpHostXml = (h: { mac: string; ip: string; name?: string | null }) =>
  `<host mac='${xmlText(h.mac, "mac")}'${h.name ? ` name='${xmlText(h.name, "name")}'` : ""} ip='${xmlText(h.ip, "address")}'/>`;

export const dnsHostXml = (h: DnsHost) =>
  `<host ip='${xmlText(h.ip, "address")}'>${h.names.map((n) => `<hostname>${xmlText(n, "name")}</hostname>`).join("")}</host>`;

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The network's state decides the flags: LIVE on a stopped network is an error. */
async function flagsOf(c: Connection, name: string): Promise<number> {
  const active = (await c.listNetworks()).find((n) => n.name === name)?.active ?? false;
  return active ? NetworkUpdateFlag.LIVE | NetworkUpdateFlag.CONFIG : NetworkUpdateFlag.CONFIG;
}

/** Makes the network answer for `e` exactly (DHCP reservation when `e.dhcp`, DNS when names). */
export async function setNetworkHost(c: Connection, name: string, e: NicHostEntry): Promise<void> {
  const flags = await flagsOf(c, name);
  const { dhcp, dns } = readHosts(await c.networkGetXMLDesc(name, NetworkXMLFlag.INACTIVE));
  const mac = e.mac.toLowerCase();
  let keepDhcp = false;
  for (const h of dhcp.filter((h) => h.mac === mac || h.ip === e.address)) {
    if (e.dhcp && h.mac === mac && h.ip === e.address && !h.name && !keepDhcp) keepDhcp = true;
    else await c.networkUpdate(name, "delete", "ip_dhcp_host", dhcpHostXml(h), flags);
  }
  if (e.dhcp && !keepDhcp)
    await c.networkUpdate(name, "add_last", "ip_dhcp_host", dhcpHostXml({ mac, ip: e.address }), flags);
  let keepDns = false;
  for (const h of dns.filter((h) => h.ip === e.address || h.names.some((n) => e.names.includes(n)))) {
    if (e.names.length && h.ip === e.address && sameSet(h.names, e.names) && !keepDns) keepDns = true;
    else await c.networkUpdate(name, "delete", "dns_host", dnsHostXml(h), flags);
  }
  if (e.names.length && !keepDns) {
    await c.networkUpdate(name, "add_last", "dns_host", dnsHostXml({ ip: e.address, names: e.names }), flags);
  }
}

/** Drops the reservation of `e.mac` and the DNS host of `e.address`, whatever they say. */
export async function removeNetworkHost(c: Connection, name: string, e: NicHostEntry): Promise<void> {
  const flags = await flagsOf(c, name);
  const { dhcp, dns } = readHosts(await c.networkGetXMLDesc(name, NetworkXMLFlag.INACTIVE));
  const mac = e.mac.toLowerCase();
  for (const h of dhcp.filter((h) => h.mac === mac)) {
    await c.networkUpdate(name, "delete", "ip_dhcp_host", dhcpHostXml(h), flags);
  }
  for (const h of dns.filter((h) => h.ip === e.address)) {
    await c.networkUpdate(name, "delete", "dns_host", dnsHostXml(h), flags);
  }
}

/**
 * After a redefinition from the row (which has no NIC entries): puts the entries of the
 * previous definition `before` back into the stored one. The live network kept its own.
 */
export async function restoreHosts(c: Connection, name: string, before: string): Promise<void> {
  const { dhcp, dns } = readHosts(before);
  const now = readHosts(await c.networkGetXMLDesc(name, NetworkXMLFlag.INACTIVE));
  for (const h of dhcp) {
    if (now.dhcp.some((x) => x.mac === h.mac)) continue;
    await c.networkUpdate(name, "add_last", "ip_dhcp_host", dhcpHostXml(h), NetworkUpdateFlag.CONFIG);
  }
  for (const h of dns) {
    if (now.dns.some((x) => x.ip === h.ip)) continue;
    await c.networkUpdate(name, "add_last", "dns_host", dnsHostXml(h), NetworkUpdateFlag.CONFIG);
  }
}
