// The network form as the user edits it (strings in inputs), how it becomes a create or update
// body, and sensible defaults from a subnet (gateway = first address, DHCP = the upper half, as
// the server's default network does). Validation is the contract's own zod schema.
import { CreateNetworkBody, UpdateNetworkBody, type Network, type NetworkType } from "@/server/contract";

export type NetworkDraft = {
  name: string;
  type: NetworkType;
  subnet: string;
  gateway: string;
  dhcp: boolean;
  dhcpStart: string;
  dhcpEnd: string;
  ipv6Subnet: string;
  ipv6Gateway: string;
  uplink: string;
  vlanId: string;
  vlanParent: string;
  dnsForwarders: string;
  dnsNames: boolean;
};

export const emptyNetworkDraft = (): NetworkDraft => ({
  name: "",
  type: "nat",
  subnet: "",
  gateway: "",
  dhcp: true,
  dhcpStart: "",
  dhcpEnd: "",
  ipv6Subnet: "",
  ipv6Gateway: "",
  uplink: "",
  vlanId: "",
  vlanParent: "",
  dnsForwarders: "",
  dnsNames: true,
});

/** The draft of an existing network, for the edit form. */
export function draftOf(n: Network): NetworkDraft {
  return {
    ...emptyNetworkDraft(),
    name: n.name,
    type: n.type,
    subnet: n.ipv4?.subnet ?? "",
    gateway: n.ipv4?.gateway ?? "",
    dhcp: n.ipv4 ? n.ipv4.dhcp !== null : true,
    dhcpStart: n.ipv4?.dhcp?.start ?? "",
    dhcpEnd: n.ipv4?.dhcp?.end ?? "",
    ipv6Subnet: n.ipv6?.subnet ?? "",
    ipv6Gateway: n.ipv6?.gateway ?? "",
    uplink: n.uplink ?? "",
    vlanId: n.vlan ? String(n.vlan.id) : "",
    vlanParent: n.vlan?.parent ?? "",
    dnsForwarders: n.dnsForwarders.join(", "),
    dnsNames: n.dnsNames,
  };
}

const toInt = (ip: string) => ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

/** Gateway and DHCP range Tandem would pick for an IPv4 subnet, or null if it is not one. */
export function subnetDefaults(subnet: string): { gateway: string; dhcpStart: string; dhcpEnd: string } | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(subnet.trim());
  if (!m) return null;
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 29 || m[1]!.split(".").some((o) => Number(o) > 255)) return null;
  const size = 2 ** (32 - prefix);
  const base = toInt(m[1]!) - (toInt(m[1]!) % size);
  return { gateway: toIp(base + 1), dhcpStart: toIp(base + size / 2), dhcpEnd: toIp(base + size - 2) };
}

const or = (s: string, fallback: string | undefined) => (s.trim() === "" ? fallback : s.trim());

/**
 * Bridged and VLAN networks join a LAN whose own router serves DHCP and DNS: Tandem runs neither
 * there (the server refuses ipv4.dhcp and dnsNames); their IPv4 only describes the LAN.
 */
export const joinsLan = (t: NetworkType) => t === "bridged" || t === "vlan";

function ipv4Of(d: NetworkDraft) {
  if (d.subnet.trim() === "") return null;
  const def = subnetDefaults(d.subnet);
  return {
    subnet: d.subnet.trim(),
    gateway: or(d.gateway, def?.gateway),
    dhcp:
      d.dhcp && !joinsLan(d.type) ? { start: or(d.dhcpStart, def?.dhcpStart), end: or(d.dhcpEnd, def?.dhcpEnd) } : null,
  };
}

function ipv6Of(d: NetworkDraft) {
  if (d.ipv6Subnet.trim() === "") return null;
  return { subnet: d.ipv6Subnet.trim(), gateway: d.ipv6Gateway.trim() };
}

export const splitList = (s: string) => s.split(/[\s,]+/).filter(Boolean);

/** The POST body as the server will read it (not yet validated). */
export function toCreateBody(d: NetworkDraft): Record<string, unknown> {
  return {
    name: d.name.trim(),
    type: d.type,
    ipv4: ipv4Of(d),
    ipv6: ipv6Of(d),
    uplink: d.type === "nat" || d.type === "bridged" ? or(d.uplink, undefined) : undefined,
    vlan:
      d.type === "vlan"
        ? { id: d.vlanId.trim() === "" ? undefined : Number(d.vlanId), parent: d.vlanParent.trim() }
        : undefined,
    dnsForwarders: d.type === "nat" && splitList(d.dnsForwarders).length ? splitList(d.dnsForwarders) : undefined,
    dnsNames: joinsLan(d.type) ? false : d.dnsNames,
  };
}

/** The PATCH body: only what changed. Addressing is sent only when the network is unused. */
export function toUpdateBody(d: NetworkDraft, n: Network): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const ipv4 = ipv4Of(d);
  if (JSON.stringify(ipv4) !== JSON.stringify(n.ipv4)) body.ipv4 = ipv4;
  const ipv6 = ipv6Of(d);
  if (n.usedBy.length === 0 && JSON.stringify(ipv6) !== JSON.stringify(n.ipv6)) body.ipv6 = ipv6;
  const fw = splitList(d.dnsForwarders);
  if (fw.join(",") !== n.dnsForwarders.join(",")) body.dnsForwarders = fw;
  if (!joinsLan(n.type) && d.dnsNames !== n.dnsNames) body.dnsNames = d.dnsNames;
  return body;
}

export type FieldErrors = Partial<Record<string, string>>;

/** Field key of an issue path: "name", "ipv4.subnet", "ipv4.dhcp", "vlan.id", "dnsForwarders". */
function fieldOf(path: PropertyKey[]): string {
  const [a, b] = path.map(String);
  if ((a === "ipv4" || a === "ipv6" || a === "vlan") && b !== undefined) return `${a}.${b}`;
  return a ?? "";
}

function check<T>(
  r: { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } },
): { body: T | null; errors: FieldErrors } {
  if (r.success) return { body: r.data, errors: {} };
  const errors: FieldErrors = {};
  for (const i of r.error.issues) errors[fieldOf(i.path)] ??= i.message;
  return { body: null, errors };
}

/** A bad subnet leaves the defaults unknown: blame the subnet, not the empty fields after it. */
function blameSubnet(d: NetworkDraft, r: { body: unknown; errors: FieldErrors }) {
  if (r.errors["ipv4.subnet"]) {
    if (!d.gateway.trim()) delete r.errors["ipv4.gateway"];
    if (!d.dhcpStart.trim() && !d.dhcpEnd.trim()) delete r.errors["ipv4.dhcp"];
  }
  return r;
}

export const validateCreate = (d: NetworkDraft) => blameSubnet(d, check(CreateNetworkBody.safeParse(toCreateBody(d))));
export const validateUpdate = (d: NetworkDraft, n: Network) =>
  blameSubnet(d, check(UpdateNetworkBody.safeParse(toUpdateBody(d, n))));

export const typeLabels: Record<NetworkType, string> = {
  isolated: "Isolated",
  nat: "NAT",
  bridged: "Bridged",
  vlan: "VLAN",
};

export const typeHints: Record<NetworkType, string> = {
  isolated: "Guests on it reach each other and the host's DNS/DHCP, nothing outside.",
  nat: "Outbound access through the host (masquerade), DHCP and DNS from the network.",
  bridged: "Guests join a host bridge's LAN directly (admins only).",
  vlan: "Tagged frames on a host interface or bridge (admins only).",
};
