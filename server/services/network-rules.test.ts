// The network rules on their own: addresses that make sense, what each type needs, and clashes
// with other networks, the container subnet and host interface addresses, each naming its field.
import { describe, expect, it } from "vitest";
import { AppError } from "../domain/errors";
import { canonical, formatIp, overlaps, parseCidr, parseIp } from "./network-addresses";
import { checkNetwork, type NetworkSpec, type RuleContext } from "./network-rules";

const spec = (over: Partial<NetworkSpec> = {}): NetworkSpec => ({
  name: "lab",
  type: "nat",
  ipv4: { subnet: "10.50.0.0/24", gateway: "10.50.0.1", dhcp: { start: "10.50.0.100", end: "10.50.0.200" } },
  ipv6: null,
  uplink: null,
  vlan: null,
  dnsForwarders: [],
  dnsNames: true,
  ...over,
});

const ctx = (over: Partial<RuleContext> = {}): RuleContext => ({
  others: [],
  taken: [{ cidr: "10.89.0.0/24", what: "the container subnet" }],
  host: {
    interfaces: ["lo", "eth0", "br-lan", "tdnabc12345"],
    addresses: [
      { iface: "lo", cidr: "127.0.0.1/8" },
      { iface: "eth0", cidr: "192.0.2.2/24" },
      { iface: "eth0", cidr: "fd00::2/64" },
      { iface: "tdnabc12345", cidr: "10.60.0.1/24" },
    ],
  },
  ownBridges: new Set(["tdnabc12345"]),
  ...over,
});

/** The refusal's code and message (the message starts with the field it names). */
function refusal(s: NetworkSpec, c: RuleContext = ctx()): { code: string; message: string } {
  try {
    checkNetwork(s, c);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return { code: (e as AppError).code, message: (e as AppError).message };
  }
  throw new Error("accepted");
}

const v4 = (subnet: string, gateway: string, dhcp: { start: string; end: string } | null = null) => ({
  ipv4: { subnet, gateway, dhcp },
});

describe("address arithmetic", () => {
  it("parses, canonicalises and compares both families", () => {
    expect(canonical(parseCidr("10.1.2.3/16")!)).toBe("10.1.0.0/16");
    expect(canonical(parseCidr("fd00:1:2:3::5/64")!)).toBe("fd00:1:2:3::/64");
    expect(formatIp(6, parseIp("2001:db8:0:0:1:0:0:1")!.value)).toBe("2001:db8::1:0:0:1");
    expect(parseIp("::ffff:10.0.0.1")!.value).toBe(0xffff0a000001n);
    expect(overlaps(parseCidr("10.0.0.0/8")!, parseCidr("10.255.0.0/24")!)).toBe(true);
    expect(overlaps(parseCidr("10.0.0.0/24")!, parseCidr("10.0.1.0/24")!)).toBe(false);
    expect(overlaps(parseCidr("10.0.0.0/24")!, parseCidr("fd00::/64")!)).toBe(false);
  });
});

describe("addresses", () => {
  it("accepts a sane NAT network, with IPv6 too", () => {
    expect(() => checkNetwork(spec({ ipv6: { subnet: "fd00:50::/64", gateway: "fd00:50::1" } }), ctx())).not.toThrow();
  });

  it.each([
    [v4("10.50.0.0/31", "10.50.0.1"), "ipv4.subnet: the prefix must be /8 to /30 (got /31)"],
    [v4("10.0.0.0/7", "10.0.0.1"), "ipv4.subnet: the prefix must be /8 to /30 (got /7)"],
    [v4("10.50.0.5/24", "10.50.0.1"), "ipv4.subnet: 10.50.0.5/24 has host bits set; the subnet is 10.50.0.0/24"],
    [v4("127.1.0.0/24", "127.1.0.1"), "ipv4.subnet: 127.1.0.0/24 is in the loopback range 127.0.0.0/8"],
    [v4("224.1.0.0/24", "224.1.0.1"), "ipv4.subnet: 224.1.0.0/24 is in the multicast range 224.0.0.0/4"],
    [v4("10.50.0.0/24", "10.51.0.1"), "ipv4.gateway: 10.51.0.1 is outside the subnet 10.50.0.0/24"],
    [v4("10.50.0.0/24", "10.50.0.0"), "ipv4.gateway: 10.50.0.0 is the subnet's network address"],
    [v4("10.50.0.0/24", "10.50.0.255"), "ipv4.gateway: 10.50.0.255 is the subnet's broadcast address"],
    [
      v4("10.50.0.0/24", "10.50.0.1", { start: "10.50.1.2", end: "10.50.0.9" }),
      "ipv4.dhcp.start: 10.50.1.2 is outside the subnet 10.50.0.0/24",
    ],
    [
      v4("10.50.0.0/24", "10.50.0.1", { start: "10.50.0.2", end: "10.50.0.255" }),
      "ipv4.dhcp.end: 10.50.0.255 is the subnet's broadcast address",
    ],
    [
      v4("10.50.0.0/24", "10.50.0.1", { start: "10.50.0.90", end: "10.50.0.10" }),
      "ipv4.dhcp: the range is reversed (10.50.0.90 is after 10.50.0.10)",
    ],
    [
      v4("10.50.0.0/24", "10.50.0.50", { start: "10.50.0.10", end: "10.50.0.90" }),
      "ipv4.dhcp: the range contains the gateway 10.50.0.50",
    ],
  ])("refuses %j", (over, message) => {
    expect(refusal(spec(over))).toEqual({ code: "VALIDATION", message });
  });

  it.each([
    [{ subnet: "fd00:50::/48", gateway: "fd00:50::1" }, "ipv6.subnet: the prefix must be /64 to /120 (got /48)"],
    [{ subnet: "fe80::/64", gateway: "fe80::1" }, "ipv6.subnet: fe80::/64 is in the link-local range fe80::/10"],
    [{ subnet: "fd00:50::/64", gateway: "fd00:51::1" }, "ipv6.gateway: fd00:51::1 is outside the subnet fd00:50::/64"],
    [
      { subnet: "fd00:50::1/64", gateway: "fd00:50::1" },
      "ipv6.subnet: fd00:50::1/64 has host bits set; the subnet is fd00:50::/64",
    ],
  ])("refuses IPv6 %j", (ipv6, message) => {
    expect(refusal(spec({ ipv6 }))).toEqual({ code: "VALIDATION", message });
  });
});

describe("overlaps", () => {
  const other = { ...spec({ name: "old" }), bridge: "tdn00000001" };

  it("refuses a subnet that overlaps another network, either way round", () => {
    const c = ctx({ others: [other] });
    expect(refusal(spec({ name: "new", ...v4("10.50.0.128/25", "10.50.0.129") }), c)).toEqual({
      code: "CONFLICT",
      message: "ipv4.subnet: 10.50.0.128/25 overlaps network 'old' (10.50.0.0/24)",
    });
    expect(refusal(spec({ name: "new", ...v4("10.0.0.0/8", "10.0.0.1") }), c).message).toMatch(
      /^ipv4.subnet: 10.0.0.0\/8 overlaps network 'old'/,
    );
    // Next door is fine.
    expect(() => checkNetwork(spec({ name: "new", ...v4("10.50.1.0/24", "10.50.1.1") }), c)).not.toThrow();
  });

  it("refuses IPv6 overlaps with another network", () => {
    const c = ctx({ others: [{ ...other, ipv6: { subnet: "fd00:50::/64", gateway: "fd00:50::1" } }] });
    const s = spec({
      name: "new",
      ...v4("10.51.0.0/24", "10.51.0.1"),
      ipv6: { subnet: "fd00:50::/96", gateway: "fd00:50::1" },
    });
    expect(refusal(s, c)).toEqual({
      code: "CONFLICT",
      message: "ipv6.subnet: fd00:50::/96 overlaps network 'old' (fd00:50::/64)",
    });
  });

  it("refuses the container subnet and addresses on host interfaces, but not Tandem's own bridges", () => {
    expect(refusal(spec(v4("10.89.0.0/16", "10.89.1.1")))).toEqual({
      code: "CONFLICT",
      message: "ipv4.subnet: 10.89.0.0/16 overlaps the container subnet 10.89.0.0/24",
    });
    expect(refusal(spec(v4("192.0.2.0/25", "192.0.2.1")))).toEqual({
      code: "CONFLICT",
      message: "ipv4.subnet: 192.0.2.0/25 overlaps 192.0.2.2/24 on host interface eth0",
    });
    expect(refusal(spec({ ipv6: { subnet: "fd00::/64", gateway: "fd00::1" } })).message).toBe(
      "ipv6.subnet: fd00::/64 overlaps fd00::2/64 on host interface eth0",
    );
    // tdnabc12345's address is a Tandem network's gateway: the networks are compared instead.
    expect(() => checkNetwork(spec(v4("10.60.0.0/24", "10.60.0.1")), ctx())).not.toThrow();
  });

  it("lets a bridged network describe its uplink's own LAN", () => {
    const s = spec({ type: "bridged", uplink: "eth0", dnsNames: false, ...v4("192.0.2.0/24", "192.0.2.1") });
    expect(() => checkNetwork(s, ctx())).not.toThrow();
  });

  it("refuses a duplicate name, a second bridge on one uplink and a duplicate VLAN", () => {
    expect(refusal(spec({ ...v4("10.52.0.0/24", "10.52.0.1") }), ctx({ others: [{ ...other, name: "lab" }] }))).toEqual(
      {
        code: "CONFLICT",
        message: "name: a network named 'lab' exists",
      },
    );
    const bridged = { ...spec({ type: "bridged", uplink: "br-lan", ipv4: null, dnsNames: false }), bridge: "tdn2" };
    expect(
      refusal(
        spec({ name: "b2", type: "bridged", uplink: "br-lan", ipv4: null, dnsNames: false }),
        ctx({ others: [bridged] }),
      ),
    ).toEqual({
      code: "CONFLICT",
      message: "uplink: network 'lab' is already bridged to br-lan",
    });
    const vlan = {
      ...spec({ name: "v10", type: "vlan", ipv4: null, dnsNames: false, vlan: { id: 10, parent: "eth0" } }),
      bridge: "tdn3",
    };
    expect(
      refusal(
        spec({ name: "v10b", type: "vlan", ipv4: null, dnsNames: false, vlan: { id: 10, parent: "eth0" } }),
        ctx({ others: [vlan] }),
      ),
    ).toEqual({
      code: "CONFLICT",
      message: "vlan: VLAN 10 on eth0 is network 'v10'",
    });
  });
});

describe("types and interfaces", () => {
  it.each<[Partial<NetworkSpec>, string]>([
    [{ type: "isolated", uplink: "eth0" }, "uplink: an isolated network has no uplink"],
    [{ type: "nat", ipv4: null }, "ipv4: a NAT network needs an IPv4 subnet to masquerade"],
    [
      { type: "bridged", dnsNames: false, ipv4: null },
      "uplink: a bridged network needs the host bridge or interface it joins",
    ],
    [
      { type: "bridged", uplink: "eth0", dnsNames: false },
      "ipv4.dhcp: the LAN of a bridged network serves its own DHCP",
    ],
    [
      { type: "bridged", uplink: "eth0", ipv4: null },
      "dnsNames: a bridged network has no Tandem DNS (the LAN's DNS answers)",
    ],
    [{ type: "vlan" }, "vlan: a vlan network needs {id, parent}"],
    [{ type: "nat", vlan: { id: 5, parent: "eth0" } }, "vlan: only vlan networks carry a VLAN tag"],
    [{ type: "isolated", dnsForwarders: ["192.0.2.53"] }, "dnsForwarders: only NAT networks forward DNS upstream"],
    [{ type: "nat", uplink: "wlan9" }, "uplink: no host interface is named wlan9"],
    [{ type: "nat", uplink: "lo" }, "uplink: lo is the loopback interface"],
    [{ type: "nat", uplink: "tdnabc12345" }, "uplink: tdnabc12345 is the bridge of a Tandem network"],
    [
      { type: "vlan", vlan: { id: 7, parent: "eth0" }, dnsNames: false },
      "ipv4.dhcp: the VLAN's own DHCP serves it; Tandem runs none on a VLAN",
    ],
    [
      { type: "vlan", vlan: { id: 7, parent: "eth0" }, ipv4: null },
      "dnsNames: a vlan network has no Tandem DNS (the VLAN's DNS answers)",
    ],
    [
      { type: "vlan", vlan: { id: 7, parent: "eth9" }, ipv4: null, dnsNames: false },
      "vlan.parent: no host interface is named eth9",
    ],
  ])("refuses %j", (over, message) => {
    expect(refusal(spec(over))).toEqual({ code: "VALIDATION", message });
  });

  it("accepts each type with what it needs", () => {
    for (const s of [
      spec({ type: "isolated", ipv4: null }),
      spec({ type: "nat", uplink: "eth0", dnsForwarders: ["192.0.2.53"] }),
      spec({ type: "bridged", uplink: "br-lan", ipv4: null, dnsNames: false }),
      spec({ type: "vlan", vlan: { id: 4094, parent: "eth0" }, ipv4: null, dnsNames: false }),
      // The VLAN's LAN described for fixed addresses: its router is the gateway, no DHCP of ours.
      spec({
        type: "vlan",
        vlan: { id: 5, parent: "eth0" },
        ipv4: { subnet: "10.51.0.0/24", gateway: "10.51.0.254", dhcp: null },
        dnsNames: false,
      }),
    ]) {
      expect(() => checkNetwork(s, ctx()), s.type).not.toThrow();
    }
  });
});
