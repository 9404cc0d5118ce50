// The Tandem networks' nft script, rule by rule: what a guest may reach on the host, what
// leaves, what comes in to a guest (its firewall, then forwards), the pins, and the refusal of
// anything that is not a well-formed name or address.
import { describe, expect, it } from "vitest";
import type { FirewallNetwork, FirewallNic, HostFirewallState } from "../../domain/host-firewall";
import { deleteScript, renderHostFirewall, ruleText } from "./render";

const nat: FirewallNetwork = {
  id: "n1",
  bridge: "tdn00000001",
  type: "nat",
  ipv4: { subnet: "10.88.0.0/16", gateway: "10.88.0.1" },
  ipv6: null,
  uplink: null,
};
const iso: FirewallNetwork = {
  id: "n2",
  bridge: "tdn00000002",
  type: "isolated",
  ipv4: { subnet: "10.9.0.0/24", gateway: "10.9.0.1" },
  ipv6: { subnet: "fd00:9::/64", gateway: "fd00:9::1" },
  uplink: null,
};
const lan: FirewallNetwork = { id: "n3", bridge: "br0", type: "bridged", ipv4: null, ipv6: null, uplink: "br0" };
const web: FirewallNic = {
  id: "c1",
  guestId: "g1",
  networkId: "n1",
  mac: "52:54:00:aa:bb:cc",
  address: "10.88.0.2",
  iface: "vn0123456789a0",
  rules: [
    { action: "deny", protocol: "tcp", ports: { start: 8080, end: 8080 }, source: null },
    { action: "allow", protocol: "tcp", ports: { start: 22, end: 22 }, source: "198.51.100.0/24" },
  ],
};
const state: HostFirewallState = {
  networks: [nat, iso, lan],
  nics: [
    web,
    {
      ...web,
      id: "c2",
      guestId: "g2",
      networkId: "n2",
      mac: "52:54:00:00:00:02",
      address: null,
      iface: "tn1",
      rules: [],
    },
    {
      ...web,
      id: "c3",
      guestId: "g3",
      networkId: "n3",
      mac: "52:54:00:00:00:03",
      address: null,
      iface: "tn2",
      rules: [],
    },
  ],
  forwards: [{ id: "f1", protocol: "tcp", hostPort: 18080, guestPort: 80, address: "10.88.0.2" }],
};
const script = renderHostFirewall("tandem_net", state);
/** The rule lines of one chain of the inet table (or the bridge table: `bridge`). */
function chain(name: string, family: "inet" | "bridge" = "inet"): string[] {
  const table = script.slice(script.indexOf(`table ${family} tandem_net {\n`));
  const start = table.indexOf(`  chain ${name} {\n`);
  expect(start).toBeGreaterThan(-1);
  const body = table.slice(start).split("\n").slice(1);
  return body
    .slice(0, body.indexOf("  }"))
    .map((l) => l.trim())
    .filter((l) => !l.startsWith("type "));
}

describe("renderHostFirewall", () => {
  it("replaces both tables atomically: declared, deleted, re-created in one script", () => {
    expect(
      script.startsWith(
        "table inet tandem_net {}\ndelete table inet tandem_net\ntable bridge tandem_net {}\ndelete table bridge tandem_net\n",
      ),
    ).toBe(true);
    expect(deleteScript("tandem_net")).toContain("delete table bridge tandem_net");
  });

  it("guests reach on the host only DHCP, DNS and ping on the gateway (+ DHCPv6/ND), forwards, replies", () => {
    expect(chain("input")).toEqual([
      'iifname != { "tdn00000001", "tdn00000002" } accept',
      "ct state established,related accept",
      'iifname "tdn00000001" udp sport 68 udp dport 67 accept',
      'iifname "tdn00000001" ip daddr 10.88.0.1 meta l4proto { tcp, udp } th dport 53 accept',
      'iifname "tdn00000001" ip daddr 10.88.0.1 icmp type echo-request accept',
      'iifname "tdn00000002" udp sport 68 udp dport 67 accept',
      'iifname "tdn00000002" ip daddr 10.9.0.1 meta l4proto { tcp, udp } th dport 53 accept',
      'iifname "tdn00000002" ip daddr 10.9.0.1 icmp type echo-request accept',
      'iifname "tdn00000002" ip6 daddr fd00:9::1 meta l4proto { tcp, udp } th dport 53 accept',
      'iifname "tdn00000002" udp dport 547 accept',
      'iifname "tdn00000002" icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, echo-request } accept',
      'iifname { "tdn00000001", "tdn00000002" } tcp dport { 18080 } accept',
      "drop",
    ]);
    // The bridged network's bridge is the host's LAN: never filtered.
    expect(script).not.toMatch(/iifname[^\n]*"br0"/);
  });

  it("drops loopback addresses from the bridges before conntrack", () => {
    expect(chain("guard")).toEqual([
      'iifname { "tdn00000001", "tdn00000002" } ip daddr 127.0.0.0/8 drop',
      'iifname { "tdn00000001", "tdn00000002" } ip saddr 127.0.0.0/8 drop',
      'iifname { "tdn00000001", "tdn00000002" } ip6 daddr ::1 drop',
      'iifname { "tdn00000001", "tdn00000002" } ip6 saddr ::1 drop',
    ]);
  });

  it("masquerades a NAT network out of any interface but its bridge (or its uplink); isolated never", () => {
    expect(chain("nat_out")).toEqual(['ip saddr 10.88.0.0/16 oifname != "tdn00000001" masquerade']);
    const up = renderHostFirewall("t", { ...state, networks: [{ ...nat, uplink: "eth1", ipv6: iso.ipv6 }] });
    expect(up).toContain('ip saddr 10.88.0.0/16 oifname "eth1" masquerade');
    expect(up).toContain('ip6 saddr fd00:9::/64 oifname "eth1" masquerade');
    expect(up).toContain('iifname "tdn00000001" oifname "eth1" accept');
  });

  it("DNATs forwards for packets not from a Tandem network", () => {
    expect(chain("nat_in")).toEqual([
      'iifname != { "tdn00000001", "tdn00000002" } fib daddr type local tcp dport 18080 dnat ip to 10.88.0.2:80',
    ]);
  });

  it("forward: replies, the network's own segment, out only for NAT, in only through the guest's rules then forwards", () => {
    expect(chain("forward")).toEqual([
      "ct state established,related accept",
      'iifname "tdn00000001" oifname "tdn00000001" accept',
      'oifname "tdn00000001" jump to_net_0',
      'iifname "tdn00000002" oifname "tdn00000002" accept',
      // Every way in before any way out: the NAT network's guests meet the isolated one's rules.
      'oifname "tdn00000002" jump to_net_1',
      'iifname "tdn00000001" oifname != "tdn00000001" accept',
      'iifname { "tdn00000001", "tdn00000002" } drop',
    ]);
    // By address: at the IP layer the output interface is the bridge, not the guest's port.
    expect(chain("to_net_0")).toEqual(["ip daddr 10.88.0.2 jump guest_0_0", "ct status dnat accept", "drop"]);
    expect(chain("guest_0_0")).toEqual(["tcp dport 8080 drop", "ip saddr 198.51.100.0/24 tcp dport 22 accept"]);
    // No rules: no jump, forwards and nothing else.
    expect(chain("to_net_1")).toEqual(["ct status dnat accept", "drop"]);
  });

  it("pins each NIC's interface to its MAC and address, DHCP from 0.0.0.0, IPv6 only where the network has it", () => {
    expect(chain("prerouting", "bridge")).toEqual([
      'iifname "vn0123456789a0" jump pin_0',
      'iifname "tn1" jump pin_1',
      'iifname "tn2" jump pin_2',
    ]);
    expect(chain("pin_0", "bridge")).toEqual([
      "ether saddr != 52:54:00:aa:bb:cc drop",
      "ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ether 52:54:00:aa:bb:cc arp saddr ip 10.88.0.2 accept",
      "ether type ip ip saddr 10.88.0.2 accept",
      "ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept",
      "drop",
    ]);
    // Address not known yet (a VM before its DHCP host entry): only the MAC is pinned.
    expect(chain("pin_1", "bridge")).toEqual([
      "ether saddr != 52:54:00:00:00:02 drop",
      "ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ether 52:54:00:00:00:02 accept",
      "ether type ip accept",
      "ether type ip6 ip6 saddr { fd00:9::/64, fe80::/64, :: } accept",
      "drop",
    ]);
    expect(chain("pin_2", "bridge")).toContain("ether type ip6 ip6 saddr { ::/0 } accept");
  });

  it("a NIC whose address is not known yet has no rules of its own (and no IPv4 pin)", () => {
    const s = renderHostFirewall("t", { ...state, nics: [{ ...web, address: null }] });
    expect(s).not.toContain("jump guest_");
    expect(s).toContain("jump pin_0");
  });

  it("no Tandem network: empty hooks, nothing filtered", () => {
    const s = renderHostFirewall("t", { networks: [lan], nics: [], forwards: [] });
    expect(s).not.toMatch(/^ {4}(?!type )/m);
  });

  it("firewall rules: protocols, ranges, sources of both families", () => {
    const r = (o: object) => ruleText({ action: "allow", protocol: "any", ports: null, source: null, ...o });
    expect(r({})).toBe("accept");
    expect(r({ protocol: "udp" })).toBe("meta l4proto udp accept");
    expect(r({ protocol: "icmp", action: "deny", source: "fd00::/8" })).toBe(
      "ip6 saddr fd00::/8 meta l4proto { icmp, ipv6-icmp } drop",
    );
    expect(r({ ports: { start: 1000, end: 2000 } })).toBe("meta l4proto { tcp, udp } th dport 1000-2000 accept");
    expect(r({ protocol: "tcp", source: "203.0.113.7", ports: { start: 443, end: 443 } })).toBe(
      "ip saddr 203.0.113.7 tcp dport 443 accept",
    );
  });

  it("refuses anything that could carry another rule into the script", () => {
    const bad = (s: Partial<HostFirewallState>) => () => renderHostFirewall("t", { ...state, ...s });
    expect(bad({ networks: [{ ...nat, bridge: 'x" accept' }] })).toThrow(/interface name/);
    expect(bad({ nics: [{ ...web, mac: "52:54:00:aa:bb:cc accept" }] })).toThrow(/MAC/);
    expect(bad({ nics: [{ ...web, address: "10.0.0.1; drop" }] })).toThrow(/address/);
    expect(bad({ nics: [{ ...web, rules: [{ ...web.rules[0]!, source: "1.2.3.4/33" }] }] })).toThrow(/prefix/);
    expect(bad({ forwards: [{ ...state.forwards[0]!, hostPort: 70000 }] })).toThrow(/port/);
    expect(() => renderHostFirewall("t;x", state)).toThrow(/table/);
  });
});
