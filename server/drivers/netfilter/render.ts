// The nftables script for Tandem networks (pure): one `inet` table (IPv4 and IPv6) and one
// `bridge` table, each declared, deleted and re-created in the same `nft -f` transaction, so the
// swap is atomic and nothing else's rules are touched. What it says, per routed network (isolated
// or nat; a bridged or VLAN network is the host's LAN, whose bridge Tandem never filters):
// - guard: packets from the bridge with a loopback source or destination are dropped (raw);
// - input: from the bridge only DHCP, DNS and ping to the gateway (DHCPv6, RS and ND for IPv6),
//   the forwards' host ports (the port holder relays them), replies; everything else dropped;
// - nat: masquerade out of the uplink (any interface but the bridge when none is given); DNAT of
//   each forward's host port for packets from elsewhere than a Tandem network (guests reach
//   forwards through the port holder, which needs no hairpin);
// - forward: replies; within the bridge (the network's own segment) free; out only on nat
//   networks; in to a guest only what its firewall allows (first match wins, by the NIC's IPv4
//   address) and DNAT'd forwards;
// - bridge table: each NIC's host-side interface pinned to its MAC and addresses (ARP too).
import type { FirewallNetwork, FirewallNic, FirewallRuleSpec, HostFirewallState } from "../../domain/host-firewall";
import { checkAddress, checkIfname, checkTable, loopbackGuard, pinChain } from "./nft-pieces";

const q = (name: string) => JSON.stringify(checkIfname(name));
const set = (names: string[]) => (names.length === 1 ? names[0]! : `{ ${names.join(", ")} }`);

/** Networks whose bridge is Tandem's own and routed by the host (isolated, nat). */
export function routed(n: FirewallNetwork): boolean {
  return n.type === "isolated" || n.type === "nat";
}

function port(p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`${p} is not a port`);
  return p;
}

function v4(a: string): string {
  if (checkAddress(a) !== 4) throw new RangeError(`'${a}' is not IPv4`);
  return a;
}

function v6(a: string): string {
  if (checkAddress(a) !== 6) throw new RangeError(`'${a}' is not IPv6`);
  return a;
}

/** One firewall rule as an nft rule body (without the NIC match). */
export function ruleText(r: FirewallRuleSpec): string {
  const parts: string[] = [];
  if (r.source !== null) parts.push(`${checkAddress(r.source) === 4 ? "ip" : "ip6"} saddr ${r.source}`);
  const range = r.ports
    ? r.ports.start === r.ports.end
      ? `${port(r.ports.start)}`
      : `${port(r.ports.start)}-${port(r.ports.end)}`
    : null;
  if (r.ports && r.ports.start > r.ports.end) throw new RangeError("ports.start exceeds ports.end");
  if (r.protocol === "icmp") parts.push("meta l4proto { icmp, ipv6-icmp }");
  else if (r.protocol === "any") parts.push(range ? `meta l4proto { tcp, udp } th dport ${range}` : "");
  else parts.push(range ? `${r.protocol} dport ${range}` : `meta l4proto ${r.protocol}`);
  parts.push(r.action === "allow" ? "accept" : "drop");
  return parts.filter(Boolean).join(" ");
}

/** The IPv6 sources a NIC may use: its network's prefix, link-local, and :: (duplicate address detection). */
function ipv6Sources(n: FirewallNetwork | undefined): string[] {
  if (!n) return [];
  if (!routed(n)) return ["::/0"];
  return n.ipv6 ? [v6(n.ipv6.subnet), "fe80::/64", "::"] : [];
}

function inputRules(n: FirewallNetwork): string[] {
  const br = q(n.bridge);
  const out: string[] = [];
  if (n.ipv4) {
    out.push(
      // A DHCP client has no address yet: discover and request come from 0.0.0.0 to broadcast.
      `    iifname ${br} udp sport 68 udp dport 67 accept`,
      `    iifname ${br} ip daddr ${v4(n.ipv4.gateway)} meta l4proto { tcp, udp } th dport 53 accept`,
      `    iifname ${br} ip daddr ${n.ipv4.gateway} icmp type echo-request accept`,
    );
  }
  if (n.ipv6) {
    out.push(
      `    iifname ${br} ip6 daddr ${v6(n.ipv6.gateway)} meta l4proto { tcp, udp } th dport 53 accept`,
      `    iifname ${br} udp dport 547 accept`,
      `    iifname ${br} icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, echo-request } accept`,
    );
  }
  return out;
}

/**
 * How a NIC is matched as the destination of routed traffic: by its address. At the IP layer the
 * output interface is the bridge, never the guest's port (that is only known to the bridge), and
 * the bridge table's pins make sure the address belongs to that port. No address known: no rules
 * of its own (nothing comes in but forwards).
 */
function towards(nic: FirewallNic): string | null {
  return nic.address ? `ip daddr ${v4(nic.address)}` : null;
}

export function renderHostFirewall(table: string, state: HostFirewallState): string {
  const t = checkTable(table);
  const nets = state.networks.filter(routed);
  const bridges = nets.map((n) => q(n.bridge));
  const fromTandem = bridges.length ? `iifname ${set(bridges)}` : null;
  const nicsOn = (n: FirewallNetwork) => state.nics.filter((x) => x.networkId === n.id);

  const dnat = state.forwards
    .filter((f) => f.address !== null)
    .map(
      (f) =>
        `    ${bridges.length ? `iifname != ${set(bridges)} ` : ""}fib daddr type local ${f.protocol} dport ${port(f.hostPort)} dnat ip to ${v4(f.address!)}:${port(f.guestPort)}`,
    );
  const held = (proto: "tcp" | "udp") => [
    ...new Set(state.forwards.filter((f) => f.protocol === proto).map((f) => f.hostPort)),
  ];
  const publishedIn = (["tcp", "udp"] as const).flatMap((proto) => {
    const ports = held(proto);
    return ports.length && fromTandem ? [`    ${fromTandem} ${proto} dport { ${ports.join(", ")} } accept`] : [];
  });

  const masquerade = nets
    .filter((n) => n.type === "nat")
    .flatMap((n) => {
      const out = n.uplink ? `oifname ${q(n.uplink)}` : `oifname != ${q(n.bridge)}`;
      return [
        ...(n.ipv4 ? [`    ip saddr ${v4(n.ipv4.subnet)} ${out} masquerade`] : []),
        ...(n.ipv6 ? [`    ip6 saddr ${v6(n.ipv6.subnet)} ${out} masquerade`] : []),
      ];
    });

  const guestChains: string[] = [];
  const netChains = nets.flatMap((n, i) => {
    const jumps = nicsOn(n).flatMap((nic) => {
      const match = towards(nic);
      if (!match || !nic.rules.length) return [];
      const name = `guest_${i}_${guestChains.length}`;
      guestChains.push(`  chain ${name} {`, ...nic.rules.map((r) => `    ${ruleText(r)}`), "  }");
      return [`    ${match} jump ${name}`];
    });
    // The guest's own rules first (a deny blocks a forward too), then forwards, then nothing.
    return [`  chain to_net_${i} {`, ...jumps, "    ct status dnat accept", "    drop", "  }"];
  });

  // Every network's way in before any way out: a NAT network's "out of any interface but its
  // bridge" must not let its guests past another network's inbound rules.
  const forward = [
    ...nets.flatMap((n, i) => {
      const br = q(n.bridge);
      return [`    iifname ${br} oifname ${br} accept`, `    oifname ${br} jump to_net_${i}`];
    }),
    ...nets
      .filter((n) => n.type === "nat")
      .map((n) => `    iifname ${q(n.bridge)} oifname ${n.uplink ? q(n.uplink) : `!= ${q(n.bridge)}`} accept`),
  ];

  const pins = state.nics.filter((nic) => nic.iface);
  const byId = new Map(state.networks.map((n) => [n.id, n]));

  return [
    `table inet ${t} {}`,
    `delete table inet ${t}`,
    `table bridge ${t} {}`,
    `delete table bridge ${t}`,
    `table inet ${t} {`,
    "  chain guard {",
    "    type filter hook prerouting priority raw; policy accept;",
    ...(fromTandem ? loopbackGuard(fromTandem, true) : []),
    "  }",
    "  chain nat_in {",
    "    type nat hook prerouting priority dstnat; policy accept;",
    ...dnat,
    "  }",
    "  chain nat_out {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    ...masquerade,
    "  }",
    "  chain input {",
    "    type filter hook input priority filter; policy accept;",
    ...(fromTandem
      ? [
          `    iifname != ${set(bridges)} accept`,
          "    ct state established,related accept",
          ...nets.flatMap(inputRules),
          ...publishedIn,
          // Dropped, as the issue-10 VM guard's isolated bridges are not: nothing on the host
          // answers a guest except what is listed above.
          "    drop",
        ]
      : []),
    "  }",
    "  chain forward {",
    "    type filter hook forward priority filter; policy accept;",
    ...(fromTandem ? ["    ct state established,related accept", ...forward, `    ${fromTandem} drop`] : []),
    "  }",
    ...netChains,
    ...guestChains,
    "}",
    `table bridge ${t} {`,
    "  chain prerouting {",
    "    type filter hook prerouting priority -300; policy accept;",
    ...pins.map((nic, i) => `    iifname ${q(nic.iface!)} jump pin_${i}`),
    "  }",
    ...pins.flatMap((nic, i) => {
      const net = byId.get(nic.networkId);
      return pinChain({
        chain: `pin_${i}`,
        mac: nic.mac,
        // On a bridged network the address is the guest's own business (the LAN's DHCP).
        ipv4: net && routed(net) ? nic.address : null,
        dhcp: true,
        ipv6: ipv6Sources(net),
      });
    }),
    "}",
    "",
  ].join("\n");
}

/** The script that removes both tables (missing is fine). */
export function deleteScript(table: string): string {
  const t = checkTable(table);
  return `table inet ${t} {}\ndelete table inet ${t}\ntable bridge ${t} {}\ndelete table bridge ${t}\n`;
}
