// The rules a network must satisfy before Tandem sets it up: what each type needs and refuses,
// addresses that make sense (gateway and DHCP range inside the subnet, no special-purpose
// ranges), and no clash with another Tandem network, the container subnet or an address already
// on a host interface. Pure: the service hands in the other networks and what the host has.
// Each refusal names the field: 400 VALIDATION for a bad value, 409 CONFLICT for a clash.
import type { Ipv4Config, Ipv6Config, NetworkType, VlanConfig } from "../contract/network";
import { AppError } from "../domain/errors";
import {
  RESERVED,
  canonical,
  contains,
  hostBitsSet,
  overlaps,
  parseCidr,
  parseIp,
  type Cidr,
} from "./network-addresses";

/** A network as the rules see it (the stored row's meaningful fields). */
export interface NetworkSpec {
  name: string;
  type: NetworkType;
  ipv4: Ipv4Config | null;
  ipv6: Ipv6Config | null;
  uplink: string | null;
  vlan: VlanConfig | null;
  dnsForwarders: string[];
  dnsNames: boolean;
}

export interface OtherNetwork extends NetworkSpec {
  bridge: string;
}

/** What the host has now: interface names and the addresses on them (with their prefixes). */
export interface HostView {
  interfaces: string[];
  addresses: { iface: string; cidr: string }[];
}

export interface RuleContext {
  /** Every other Tandem network (the one being changed excluded). */
  others: OtherNetwork[];
  /** Blocks that are not Tandem networks but are taken (the container subnet from config). */
  taken: { cidr: string; what: string }[];
  host: HostView;
  /** Tandem's own bridges: their addresses are the networks themselves, checked as networks. */
  ownBridges: ReadonlySet<string>;
}

const bad = (field: string, message: string) => new AppError("VALIDATION", `${field}: ${message}`, { field });
const clash = (field: string, message: string) => new AppError("CONFLICT", `${field}: ${message}`, { field });

/** What each type needs and refuses, independent of the host. */
export function checkShape(s: NetworkSpec): void {
  if (s.type !== "vlan" && s.vlan) throw bad("vlan", "only vlan networks carry a VLAN tag");
  if (s.type !== "nat" && s.dnsForwarders.length) throw bad("dnsForwarders", "only NAT networks forward DNS upstream");
  switch (s.type) {
    case "isolated":
      if (s.uplink) throw bad("uplink", "an isolated network has no uplink");
      break;
    case "nat":
      if (!s.ipv4) throw bad("ipv4", "a NAT network needs an IPv4 subnet to masquerade");
      break;
    case "bridged":
      if (!s.uplink) throw bad("uplink", "a bridged network needs the host bridge or interface it joins");
      if (s.ipv4?.dhcp) throw bad("ipv4.dhcp", "the LAN of a bridged network serves its own DHCP");
      if (s.dnsNames) throw bad("dnsNames", "a bridged network has no Tandem DNS (the LAN's DNS answers)");
      break;
    case "vlan":
      if (!s.vlan) throw bad("vlan", "a vlan network needs {id, parent}");
      if (s.uplink) throw bad("uplink", "a vlan network leaves by vlan.parent; uplink is not used");
      // Like bridged: the VLAN's own router and DHCP serve it; the host takes no address there.
      if (s.ipv4?.dhcp) throw bad("ipv4.dhcp", "the VLAN's own DHCP serves it; Tandem runs none on a VLAN");
      if (s.dnsNames) throw bad("dnsNames", "a vlan network has no Tandem DNS (the VLAN's DNS answers)");
      break;
  }
}

function checkBlock(c: Cidr, field: string, min: number, max: number): void {
  if (c.prefix < min || c.prefix > max) throw bad(field, `the prefix must be /${min} to /${max} (got /${c.prefix})`);
  if (hostBitsSet(c)) throw bad(field, `${c.text} has host bits set; the subnet is ${canonical(c)}`);
  for (const r of RESERVED) {
    const rc = parseCidr(r.cidr)!;
    if (overlaps(rc, c)) throw bad(field, `${c.text} is in the ${r.what} range ${r.cidr}`);
  }
}

/** A host address inside the block: not its network address, nor (IPv4) its broadcast. */
function checkHostAddress(c: Cidr, text: string, field: string): bigint {
  const ip = parseIp(text);
  if (!ip || !contains(c, ip)) throw bad(field, `${text} is outside the subnet ${c.text}`);
  if (ip.value === c.first) throw bad(field, `${text} is the subnet's network address`);
  if (c.family === 4 && ip.value === c.last) throw bad(field, `${text} is the subnet's broadcast address`);
  return ip.value;
}

export function checkIpv4(v: Ipv4Config, field = "ipv4"): Cidr {
  const c = parseCidr(v.subnet);
  if (!c || c.family !== 4) throw bad(`${field}.subnet`, `${v.subnet} is not an IPv4 CIDR`);
  checkBlock(c, `${field}.subnet`, 8, 30);
  const gw = checkHostAddress(c, v.gateway, `${field}.gateway`);
  if (v.dhcp) {
    const start = checkHostAddress(c, v.dhcp.start, `${field}.dhcp.start`);
    const end = checkHostAddress(c, v.dhcp.end, `${field}.dhcp.end`);
    if (start > end) throw bad(`${field}.dhcp`, `the range is reversed (${v.dhcp.start} is after ${v.dhcp.end})`);
    if (gw >= start && gw <= end) throw bad(`${field}.dhcp`, `the range contains the gateway ${v.gateway}`);
  }
  return c;
}

export function checkIpv6(v: Ipv6Config, field = "ipv6"): Cidr {
  const c = parseCidr(v.subnet);
  if (!c || c.family !== 6) throw bad(`${field}.subnet`, `${v.subnet} is not an IPv6 CIDR`);
  checkBlock(c, `${field}.subnet`, 64, 120);
  checkHostAddress(c, v.gateway, `${field}.gateway`);
  return c;
}

/** A subnet must not share an address with another network, a taken block or a host interface. */
function checkFree(c: Cidr, field: string, s: NetworkSpec, ctx: RuleContext): void {
  for (const o of ctx.others) {
    for (const sub of [o.ipv4?.subnet, o.ipv6?.subnet]) {
      const oc = sub ? parseCidr(sub) : null;
      if (oc && overlaps(c, oc)) throw clash(field, `${c.text} overlaps network '${o.name}' (${sub})`);
    }
  }
  for (const t of ctx.taken) {
    const tc = parseCidr(t.cidr);
    if (tc && overlaps(c, tc)) throw clash(field, `${c.text} overlaps ${t.what} ${t.cidr}`);
  }
  for (const a of ctx.host.addresses) {
    // A bridged network describes the LAN its uplink is on: the uplink's address belongs there.
    if (ctx.ownBridges.has(a.iface) || (s.type === "bridged" && a.iface === s.uplink)) continue;
    const ac = parseCidr(a.cidr);
    if (ac && overlaps(c, ac)) throw clash(field, `${c.text} overlaps ${a.cidr} on host interface ${a.iface}`);
  }
}

function checkInterface(name: string, field: string, ctx: RuleContext): void {
  if (name === "lo") throw bad(field, "lo is the loopback interface");
  if (ctx.ownBridges.has(name)) throw bad(field, `${name} is the bridge of a Tandem network`);
  if (!ctx.host.interfaces.includes(name)) throw bad(field, `no host interface is named ${name}`);
}

/** Every rule; throws the first refusal. */
export function checkNetwork(s: NetworkSpec, ctx: RuleContext): void {
  checkShape(s);
  const v4 = s.ipv4 ? checkIpv4(s.ipv4) : null;
  const v6 = s.ipv6 ? checkIpv6(s.ipv6) : null;
  if (ctx.others.some((o) => o.name === s.name)) throw clash("name", `a network named '${s.name}' exists`);
  if (s.uplink) {
    checkInterface(s.uplink, "uplink", ctx);
    const same = ctx.others.find((o) => o.type === "bridged" && o.uplink === s.uplink && s.type === "bridged");
    if (same) throw clash("uplink", `network '${same.name}' is already bridged to ${s.uplink}`);
  }
  if (s.vlan) {
    checkInterface(s.vlan.parent, "vlan.parent", ctx);
    const same = ctx.others.find((o) => o.vlan?.id === s.vlan!.id && o.vlan.parent === s.vlan!.parent);
    if (same) throw clash("vlan", `VLAN ${s.vlan.id} on ${s.vlan.parent} is network '${same.name}'`);
  }
  if (v4) checkFree(v4, "ipv4.subnet", s, ctx);
  if (v6) checkFree(v6, "ipv6.subnet", s, ctx);
}
