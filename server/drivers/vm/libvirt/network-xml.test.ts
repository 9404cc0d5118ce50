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
  it("a NAT network: forward nat out of the uplink, the bridge, forwarders, a local-only domain, DHCP", () => {
    const xml = buildLibvirtNetworkXml(net({ uplink: "tdt-up-1", dnsForwarders: ["198.18.0.2", "198.18.0.6"] }));
    expect(xml).toContain(`<name>${libvirtNetworkName(base)}</name>`);
    expect(xml).toContain(`<forward mode="nat" dev="tdt-up-1"/>`);
    expect(xml).toContain(`<bridge name="tdn0a1b2c3d" stp="on" delay="0"/>`);
    expect(xml).toMatch(/<dns>\s*<forwarder addr="198.18.0.2"\/>\s*<forwarder addr="198.18.0.6"\/>/);
    expect(xml).toContain(`<domain name="${GUEST_DOMAIN}" localOnly="yes"/>`);
    expect(xml).toMatch(
      /<ip address="10.88.0.1" prefix="16">\s*<dhcp>\s*<range start="10.88.128.1" end="10.88.255.254"\/>/,
    );
    expect(xml).not.toContain("<uuid>");
  });

  it("NAT without an uplink leaves the device to the default route; IPv6 is masqueraded too", () => {
    const xml = buildLibvirtNetworkXml(net({ ipv6: { subnet: "fd00:88::/64", gateway: "fd00:88::1" } }));
    expect(xml).toMatch(/<forward mode="nat">\s*<nat ipv6="yes"\/>\s*<\/forward>/);
    expect(xml).toContain(`<ip family="ipv6" address="fd00:88::1" prefix="64"/>`);
  });

  it("an isolated network has no <forward>; no dnsNames: no domain; no DHCP: no <dhcp>", () => {
    const xml = buildLibvirtNetworkXml(
      net({ type: "isolated", dnsNames: false, ipv4: { subnet: "10.9.0.0/24", gateway: "10.9.0.1", dhcp: null } }),
    );
    expect(xml).not.toContain("<forward");
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

  it("vlan networks have no XML here, and a redefinition keeps the uuid", () => {
    expect(() => buildLibvirtNetworkXml(net({ type: "vlan", vlan: { id: 5, parent: "eth0" } }))).toThrow(/vlan/);
    const xml = buildLibvirtNetworkXml(base, "6a1d3b7e-0000-4000-8000-000000000001");
    expect(uuidOf(xml)).toBe("6a1d3b7e-0000-4000-8000-000000000001");
  });

  it("escapes what it is given and refuses what XML cannot carry", () => {
    const xml = buildLibvirtNetworkXml(net({ uplink: `a"<b` }));
    expect(xml).toContain(`dev="a&quot;&lt;b"`);
    expect(() => buildLibvirtNetworkXml(net({ uplink: "a\u0001" }))).toThrow(/uplink/);
  });
});

describe("summarize / summaryDiff", () => {
  // What libvirt 9.0 prints back for a NAT network defined from our XML.
  const stored = `<network>
  <name>tandem-net-x</name>
  <uuid>6a1d3b7e-0000-4000-8000-000000000001</uuid>
  <forward dev='tdt-up-1' mode='nat'>
    <nat ipv6='yes'><port start='1024' end='65535'/></nat>
    <interface dev='tdt-up-1'/>
  </forward>
  <bridge name='tdn0a1b2c3d' stp='on' delay='0'/>
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
    expect(summarize(stored).forward).toEqual({ mode: "nat", dev: "tdt-up-1", natIpv6: true });
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
  });

  it("one DHCP range for virNetworkUpdate", () => {
    expect(dhcpRangeXml({ start: "10.88.1.1", end: "10.88.1.9" })).toBe(`<range start="10.88.1.1" end="10.88.1.9"/>`);
  });
});
