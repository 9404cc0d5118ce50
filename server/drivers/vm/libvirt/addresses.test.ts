import { describe, expect, it } from "vitest";
import type { DhcpLease } from "../../../../native/libvirt/index";
import { addressesByMac, guestAddresses, leaseNetworks } from "./addresses";
import type { ParsedNic } from "./xml-parse";

const lease = (o: Partial<DhcpLease>): DhcpLease => ({
  iface: "tandem-vm0",
  expiryTime: 2000,
  type: "ipv4",
  mac: "52:54:00:aa:bb:01",
  iaid: null,
  ipaddr: "10.77.0.100",
  prefix: 24,
  hostname: null,
  clientId: null,
  ...o,
});

describe("guest addresses from DHCP leases", () => {
  it("keeps the newest unexpired lease per MAC and family, IPv4 first, MACs case-insensitive", () => {
    const m = addressesByMac(
      [
        lease({ ipaddr: "fd00::5", type: "ipv6", prefix: 64, expiryTime: 1900 }),
        lease({ ipaddr: "10.77.0.120", expiryTime: 1500 }), // older lease of the same MAC
        lease({ ipaddr: "10.77.0.100", mac: "52:54:00:AA:BB:01" }),
        lease({ ipaddr: "10.77.0.101", mac: "52:54:00:aa:bb:02", expiryTime: 999 }), // expired
        lease({ ipaddr: "10.77.0.102", mac: "52:54:00:aa:bb:03", expiryTime: 0 }), // infinite
        lease({ ipaddr: "10.77.0.103", mac: null }),
      ],
      1000,
    );
    expect(Object.fromEntries(m)).toEqual({
      "52:54:00:aa:bb:01": ["10.77.0.100", "fd00::5"],
      "52:54:00:aa:bb:03": ["10.77.0.102"],
    });
  });

  it("matches a guest's NICs on the networks that were asked", () => {
    const nics: ParsedNic[] = [
      { type: "network", mac: "52:54:00:AA:BB:01", network: "tandem-isolated" },
      { type: "user", mac: "52:54:00:aa:bb:09", network: null },
      { type: "network", mac: "52:54:00:aa:bb:03", network: "default" },
      { type: "network", mac: null, network: "other" },
    ];
    expect([...leaseNetworks(nics)]).toEqual(["tandem-isolated", "default"]);
    const byNet = new Map([
      ["tandem-isolated", new Map([["52:54:00:aa:bb:01", ["10.77.0.100"]]])],
      ["default", new Map([["52:54:00:aa:bb:01", ["192.168.122.5"]]])], // another network: no match
    ]);
    expect(guestAddresses(nics, byNet)).toEqual(["10.77.0.100"]);
    expect(guestAddresses([], byNet)).toEqual([]);
  });
});
