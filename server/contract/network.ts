// Network shapes shared by server and browser: one model for the networks VMs and containers
// plug into (one Linux bridge each), the create / update bodies and who may manage which type.
// Shapes only; the rules that need the other networks and the host (overlaps, interfaces) are
// the server's (server/services/network-rules.ts).
import { z } from "zod";
import type { Role } from "./auth";

export const networkTypes = ["isolated", "nat", "bridged", "vlan"] as const;
export const NetworkType = z.enum(networkTypes);
export type NetworkType = z.infer<typeof NetworkType>;

/**
 * Bridged and VLAN networks attach Tandem to a host interface (they change the host's own
 * network), so they need an admin; isolated and NAT networks live on Tandem's own bridge.
 */
export function networkRole(type: NetworkType): Role {
  return type === "bridged" || type === "vlan" ? "admin" : "operator";
}

/**
 * The bridge guests' NICs join: a bridged network's uplink (the host bridge libvirt plugs VMs
 * into), else the network's own bridge (libvirt's for isolated/NAT, vlan-bridge.ts's for a VLAN).
 */
export function guestBridge(n: { type: NetworkType; bridge: string; uplink: string | null }): string {
  return n.type === "bridged" && n.uplink ? n.uplink : n.bridge;
}

/**
 * Whether Tandem picks a container NIC's address on this type. Isolated and NAT networks are
 * Tandem's own subnets; on bridged and vlan networks the LAN decides (its DHCP, its admin), so a
 * container there needs a fixed address (Tandem runs no DHCP client inside containers).
 */
export function tandemAssignsAddresses(type: NetworkType): boolean {
  return type === "isolated" || type === "nat";
}

export const NetworkName = z
  .string()
  .min(1, "name is required")
  .max(63, "name must be at most 63 characters")
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
    "name may contain letters, digits, '-', '_' and '.', and must start with a letter or digit",
  );

/** A Linux interface name as the kernel takes it: at most 15 bytes, no '/', no spaces. */
export const InterfaceName = z
  .string()
  .min(1)
  .max(15, "interface names are at most 15 characters")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "not an interface name");

export const DhcpRange = z.object({ start: z.ipv4(), end: z.ipv4() });
export type DhcpRange = z.infer<typeof DhcpRange>;

export const Ipv4Config = z.strictObject({
  /** The network address with its prefix: 10.88.0.0/16. */
  subnet: z.cidrv4(),
  /** The bridge's own address: the guests' default route, DNS and DHCP server. */
  gateway: z.ipv4(),
  /** Addresses dnsmasq leases; null: no DHCP (static addresses only). */
  dhcp: DhcpRange.nullable(),
});
export type Ipv4Config = z.infer<typeof Ipv4Config>;

export const Ipv6Config = z.strictObject({
  /** A /64 (or longer) prefix: fd00:88::/64. */
  subnet: z.cidrv6(),
  gateway: z.ipv6(),
});
export type Ipv6Config = z.infer<typeof Ipv6Config>;

export const VlanConfig = z.strictObject({
  id: z.number().int().min(1, "VLAN ids are 1–4094").max(4094, "VLAN ids are 1–4094"),
  /** The host interface (or bridge) the tagged frames leave on. */
  parent: InterfaceName,
});
export type VlanConfig = z.infer<typeof VlanConfig>;

const DnsForwarders = z.array(z.ipv4()).max(8, "at most 8 DNS forwarders");

export const NetworkUser = z.object({ id: z.string(), name: z.string() });

export const Network = z.object({
  id: z.string(),
  name: z.string(),
  type: NetworkType,
  ipv4: Ipv4Config.nullable(),
  ipv6: Ipv6Config.nullable(),
  /**
   * NAT: the interface traffic leaves by (null: the default route's, looked up when the network
   * is set up); bridged: the host bridge or interface the network joins; else null.
   */
  uplink: z.string().nullable(),
  vlan: VlanConfig.nullable(),
  /** Upstream DNS servers for the network's dnsmasq (NAT only); empty: the host's resolvers. */
  dnsForwarders: z.array(z.string()),
  /** Guests resolve each other by name through the network's dnsmasq. */
  dnsNames: z.boolean(),
  /** The Linux bridge Tandem made for this network (`tdn…`, at most 15 characters). */
  bridge: z.string(),
  createdAt: z.string(),
  /** Guests with a NIC on this network. */
  usedBy: z.array(NetworkUser),
});
export type Network = z.infer<typeof Network>;

export const CreateNetworkBody = z.strictObject({
  name: NetworkName,
  type: NetworkType,
  ipv4: Ipv4Config.nullable().optional(),
  ipv6: Ipv6Config.nullable().optional(),
  uplink: InterfaceName.optional(),
  vlan: VlanConfig.optional(),
  dnsForwarders: DnsForwarders.optional(),
  dnsNames: z.boolean().optional(),
});
export type CreateNetworkBody = z.infer<typeof CreateNetworkBody>;

/**
 * What may change on an existing network: its addressing (refused while guests use it, except
 * the DHCP range), DNS forwarders and name resolution. Type, uplink and VLAN are fixed: make a
 * new network instead.
 */
export const UpdateNetworkBody = z.strictObject({
  ipv4: Ipv4Config.nullable().optional(),
  ipv6: Ipv6Config.nullable().optional(),
  dnsForwarders: DnsForwarders.optional(),
  dnsNames: z.boolean().optional(),
});
export type UpdateNetworkBody = z.infer<typeof UpdateNetworkBody>;

export const NetworkId = z.string().min(1).max(200);
export const NetworkIdParam = z.object({ id: NetworkId });

export const NetworkResponse = z.object({ network: Network });
export const NetworkList = z.object({ networks: z.array(Network) });
