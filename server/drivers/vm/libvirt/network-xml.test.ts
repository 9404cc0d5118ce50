// The libvirt network XML for each Tandem network type, and the summary the realizer compares
// with what libvirt stored (which adds uuid, mac, stp and an <interface> under <forward>).
import { describe, expect, it } from "vitest";
import type { Network } from "../../../contract/network";
import {
  buildLibvirtNetworkXml,
  dhcpRangeXml,
  GUEST_DOMAIN,
  libvirtNetworkName,
  summarize,
  summaryDiff,
  uuidOf,
} from "./network-xml";

const base: Network = {
  id: "0b7e5c4e-1111-4222-8333-944445555666",
  name: "default",
  type: "nat",
  ipv4: { subnet: "10.88.0.0/16", gateway: "10.88.0.1", dhcp: { start: "10.88.128.1", end: "10.88.255.254" } },
  ipv6: null,
  uplink: null,
  vlan: null,
  dnsForwarders: [],
  dnsNames: true,
  bridge: "tdn0a1b2c3d",
  createdAt: "2026-12-02T00:00:00.000Z",
  usedBy: [],
};
const net = (o: Partial<Network>): Network => ({ ...base, ...o });

describe("buildLibvirtNetworkXml", () => {
  it("a NAT network: forward open (no libvirt firewall rules), the bridge without STP, forwarders, a local-only domain, DHCP", () => {
    const xml = buildLibvirtNetworkXml(net({ uplink: "tdt-up-1", dnsForwarders: ["198.18.0.2", "198.18.0.6"] }));
    expect(xml).toContain(`<name>${libvirtNetworkName(base)}</name>`);
    // The uplink is Tandem's masquerade's business (server/drivers/netfilter), not libvirt's.
    expect(xml).toContain(`<forward mode="open"/>`);
    expect(xml).not.toContain("tdt-up-1");
    expect(xml).toContain(`<bridge name="tdn0a1b2c3d" stp="off"/>`);
    expect(xml).toMatch(/<dns>\s*<forwarder addr="198.18.0.2"\/>\s*<forwarder addr="198.18.0.6"\/>/);
    expect(xml).toContain(`<domain name="${GUEST_DOMAIN}" localOnly="yes"/>`);
    expect(xml).toMatch(
      /<ip address="10.88.0.1" prefix="16">\s*<dhcp>\s*<range start="10.88.128.1" end="10.88.255.254"\/>/,
    );
    expect(xml).not.toContain("<uuid>");
  });

  it("NAT with IPv6: still forward open (Tandem's nft table masquerades both families)", () => {
    const xml = buildLibvirtNetworkXml(net({ ipv6: { subnet: "fd00:88::/64", gateway: "fd00:88::1" } }));
    expect(xml).toContain(`<forward mode="open"/>`);
    expect(xml).not.toContain("<nat");
    expect(xml).toContain(`<ip family="ipv6" address="fd00:88::1" prefix="64"/>`);
  });

  it("an isolated network has no <forward>; no dnsNames: no domain; no DHCP: no <dhcp>", () => {
    const xml = buildLibvirtNetworkXml(
      net({ type: "isolated", dnsNames: false, ipv4: { subnet: "10.9.0.0/24", gateway: "10.9.0.1", dhcp: null } }),
    );
    expect(xml).not.toContain("<forward");
    expect(xml).toContain(`stp="off"`);
    expect(xml).not.toContain("<domain");
    expect(xml).not.toContain("<dns");
    expect(xml).not.toContain("<dhcp");
    expect(xml).toContain(`<ip address="10.9.0.1" prefix="24"/>`);
  });

  it("a bridged network joins the uplink bridge and carries no address or DNS", () => {
    const xml = buildLibvirtNetworkXml(net({ type: "bridged", uplink: "br0", ipv4: null, dnsNames: false }));
    expect(xml).toContain(`<forward mode="bridge"/>`);
    expect(xml).toContain(`<bridge name="br0"/>`);
    expect(xml).not.toContain("tdn0a1b2c3d");
    expect(xml).not.toContain("<ip");
    expect(() => buildLibvirtNetworkXml(net({ type: "bridged", uplink: null }))).toThrow(/uplink/);
  });

  it("a vlan network joins its own bridge (the 802.1Q link's, vlan-bridge.ts) with no address, DHCP or DNS", () => {
    const vlan = net({
      type: "vlan",
      vlan: { id: 5, parent: "eth0" },
      ipv4: { subnet: "10.5.0.0/24", gateway: "10.5.0.254", dhcp: null },
      dnsNames: false,
    });
    const xml = buildLibvirtNetworkXml(vlan);
    expect(xml).toContain(`<forward mode="bridge"/>`);
    expect(xml).toContain(`<bridge name="tdn0a1b2c3d"/>`);
    // The VLAN's router has the gateway address, not the host; libvirt runs no dnsmasq for it.
    expect(xml).not.toContain("<ip");
    expect(xml).not.toContain("<dns");
    expect(xml).not.toContain("<domain");
    expect(xml).not.toContain("eth0");
    expect(summarize(xml)).toMatchObject({ forward: { mode: "bridge" }, bridge: "tdn0a1b2c3d", stp: null, ips: [] });
  });

  it("a redefinition keeps the uuid", () => {
    const xml = buildLibvirtNetworkXml(base, "6a1d3b7e-0000-4000-8000-000000000001");
    expect(uuidOf(xml)).toBe("6a1d3b7e-0000-4000-8000-000000000001");
  });

  it("escapes what it is given and refuses what XML cannot carry", () => {
    const xml = buildLibvirtNetworkXml(net({ type: "bridged", uplink: `a"<b` }));
    expect(xml).toContain(`name="a&quot;&lt;b"`);
    expect(() => buildLibvirtNetworkXml(net({ type: "bridged", uplink: "a\u0001" }))).toThrow(/uplink/);
  });
});

describe("summarize / summaryDiff", () => {
  // What libvirt 9.0 prints back for a NAT network defined from our XML.
  const stored = `<network>
  <name>tandem-net-x</name>
  <uuid>6a1d3b7e-0000-4000-8000-000000000001</uuid>
  <forward mode='open'/>
  <bridge name='tdn0a1b2c3d' stp='off' delay='0'/>
  <mac address='52:54:00:12:34:56'/>
  <domain name='tandem.internal' localOnly='yes'/>
  <dns><forwarder addr='198.18.0.2'/></dns>
  <ip address='10.88.0.1' prefix='16'>
    <dhcp><range start='10.88.128.1' end='10.88.255.254'/></dhcp>
  </ip>
  <ip family='ipv6' address='fd00:88::1' prefix='64'/>
</network>`;
  const want = net({
    uplink: "tdt-up-1",
    dnsForwarders: ["198.18.0.2"],
    ipv6: { subnet: "fd00:88::/64", gateway: "fd00:0088:0000::1" },
  });

  it("reads the Tandem-decided parts and ignores what libvirt adds; IPv6 in one spelling", () => {
    expect(summaryDiff(summarize(buildLibvirtNetworkXml(want)), summarize(stored))).toEqual([]);
    expect(summarize(stored).forward).toEqual({ mode: "open", dev: null, natIpv6: false });
    expect(summarize(stored).stp).toBe(false);
  });

  it("names each field that differs", () => {
    const changed = net({
      uplink: "tdt-up-1",
      dnsForwarders: ["198.18.0.9"],
      ipv4: { subnet: "10.88.0.0/16", gateway: "10.88.0.1", dhcp: { start: "10.88.200.1", end: "10.88.255.254" } },
      ipv6: { subnet: "fd00:88::/64", gateway: "fd00:88::1" },
    });
    expect(summaryDiff(summarize(buildLibvirtNetworkXml(changed)), summarize(stored))).toEqual(["dhcp", "forwarders"]);
    expect(summaryDiff(summarize(buildLibvirtNetworkXml(net({ type: "isolated" }))), summarize(stored))).toContain(
      "forward",
    );
    // A network made by an earlier Tandem (mode nat, STP on) differs in both: it is redefined.
    const old = stored.replace("<forward mode='open'/>", "<forward mode='nat'/>").replace("stp='off'", "stp='on'");
    expect(summaryDiff(summarize(buildLibvirtNetworkXml(want)), summarize(old))).toEqual(["forward", "stp"]);
  });

  it("one DHCP range for virNetworkUpdate", () => {
    expect(dhcpRangeXml({ start: "10.88.1.1", end: "10.88.1.9" })).toBe(`<range start="10.88.1.1" end="10.88.1.9"/>`);
  });
});
