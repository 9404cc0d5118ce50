// The address a NIC gets on a Tandem network: the lowest free host address outside the DHCP range
// (gateway and used addresses skipped; full → 507 naming the network), and a fixed address's
// checks (subnet, network/broadcast, gateway, DHCP range), each naming the field.
import { describe, expect, it } from "vitest";
import { assignsAddresses, checkFixedAddress, lowestFreeAddress, type NicNetwork } from "./nic-allocation";

const net = (o: Partial<NicNetwork> = {}): NicNetwork => ({
  name: "lab",
  type: "nat",
  ipv4Subnet: "10.5.0.0/24",
  ipv4Gateway: "10.5.0.1",
  dhcpStart: "10.5.0.128",
  dhcpEnd: "10.5.0.254",
  ...o,
});

describe("lowestFreeAddress", () => {
  it("skips the gateway and used addresses", () => {
    expect(lowestFreeAddress(net(), new Set())).toBe("10.5.0.2");
    expect(lowestFreeAddress(net(), new Set(["10.5.0.2", "10.5.0.3"]))).toBe("10.5.0.4");
    expect(lowestFreeAddress(net({ ipv4Gateway: "10.5.0.254", dhcpStart: null, dhcpEnd: null }), new Set())).toBe(
      "10.5.0.1",
    );
  });

  it("jumps over a DHCP range in the middle and answers 507 when nothing is left", () => {
    const mid = net({ ipv4Subnet: "10.5.0.0/29", dhcpStart: "10.5.0.2", dhcpEnd: "10.5.0.4" });
    expect(lowestFreeAddress(mid, new Set())).toBe("10.5.0.5");
    expect(lowestFreeAddress(mid, new Set(["10.5.0.5"]))).toBe("10.5.0.6");
    expect(() => lowestFreeAddress(mid, new Set(["10.5.0.5", "10.5.0.6"]))).toThrow(/'lab' has no free address/);
  });
});

describe("checkFixedAddress", () => {
  const field = "nics[1].address";
  it("accepts a host address outside the DHCP range", () => {
    expect(() => checkFixedAddress(net(), "10.5.0.50", field)).not.toThrow();
  });
  it.each([
    ["10.6.0.5", /not in lab's subnet/],
    ["10.5.0.0", /network or broadcast/],
    ["10.5.0.255", /network or broadcast/],
    ["10.5.0.1", /gateway/],
    ["10.5.0.200", /DHCP range/],
  ])("refuses %s naming the field", (addr, why) => {
    expect(() => checkFixedAddress(net(), addr, field)).toThrow(why);
    expect(() => checkFixedAddress(net(), addr, field)).toThrow(/^nics\[1\]\.address: /);
  });
  it("bridged networks and networks without IPv4 get no Tandem address", () => {
    expect(assignsAddresses(net())).toBe(true);
    expect(assignsAddresses(net({ type: "bridged" }))).toBe(false);
    expect(assignsAddresses(net({ type: "vlan" }))).toBe(false);
    expect(assignsAddresses(net({ ipv4Subnet: null, ipv4Gateway: null }))).toBe(false);
  });
});
