// The port between the services and the host firewall for Tandem networks: what the firewall is
// built from (a plain description the network-firewall service assembles from the database) and
// what the driver that applies it (server/drivers/netfilter/) offers. Pure types: the services
// own the rows, the driver owns the host commands.

export interface FirewallNetwork {
  id: string;
  /** The Linux bridge (tdn…; for a bridged network the host bridge, which Tandem never filters). */
  bridge: string;
  type: "isolated" | "nat" | "bridged" | "vlan";
  ipv4: { subnet: string; gateway: string } | null;
  ipv6: { subnet: string; gateway: string } | null;
  /** nat: the interface traffic leaves by; null: any interface but the bridge. */
  uplink: string | null;
}

/** One inbound rule of a guest's firewall (contract/forwards.ts FirewallRule, flattened). */
export interface FirewallRuleSpec {
  action: "allow" | "deny";
  protocol: "tcp" | "udp" | "icmp" | "any";
  ports: { start: number; end: number } | null;
  /** An address or CIDR, IPv4 or IPv6; null: any source. */
  source: string | null;
}

export interface FirewallNic {
  id: string;
  guestId: string;
  networkId: string;
  mac: string;
  /** The NIC's IPv4 address; null while unknown (then only its MAC is pinned). */
  address: string | null;
  /** The host side (a container's vn… veth, a VM's tn… tap); null while unknown. */
  iface: string | null;
  /** The guest's firewall, in order (first match wins); the same list on each of its NICs. */
  rules: FirewallRuleSpec[];
}

export interface FirewallForward {
  id: string;
  protocol: "tcp" | "udp";
  hostPort: number;
  guestPort: number;
  /** The NIC's IPv4 address; a forward whose NIC has none yet is held but not DNAT'd. */
  address: string | null;
}

export interface HostFirewallState {
  networks: FirewallNetwork[];
  nics: FirewallNic[];
  forwards: FirewallForward[];
}

/** A forward whose host port could not be held (something on the host took it). */
export interface ForwardFailure {
  forward: FirewallForward;
  code: string;
  message: string;
}

export interface HostFirewall {
  /**
   * Makes the host match `state` in one atomic nft transaction (tables, sysctls) and holds the
   * forwards' host ports; returns the forwards that could not be held (left out of the DNAT).
   * Calls run one at a time, in order.
   */
  apply(state: HostFirewallState): Promise<ForwardFailure[]>;
  /** Rejects (EADDRINUSE, EACCES…) when the host port cannot be bound right now. */
  probePort(p: { protocol: "tcp" | "udp"; hostPort: number }): Promise<void>;
  /** Lets go of the held ports (Tandem stopping); the tables stay, so forwards keep working. */
  close(): void;
  /** Removes the tables and held ports (tests, uninstall). */
  destroy(): Promise<void>;
}
