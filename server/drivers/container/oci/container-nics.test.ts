// planNics: a container's NICs as its record keeps them: the service's addresses (the driver
// picks none), host veth names (the service's iface, else vn + uuid + index), ethN by index, and
// the refusal of a NIC without an address.
import { describe, expect, it } from "vitest";
import type { ResolvedNic } from "../../../domain/driver";
import { planNics } from "./container-nics";

const UUID = "01234567-89ab-cdef-0123-456789abcdef";
const nic = (networkId: string, address: string | null, o: Partial<ResolvedNic> = {}): ResolvedNic => ({
  networkId,
  mac: "52:54:00:aa:bb:cc",
  address,
  network: { name: `n-${networkId}`, bridge: `tdn${networkId}`, ipv4Subnet: "10.9.0.0/24", ipv4Gateway: "10.9.0.1" },
  ...o,
});

describe("planNics", () => {
  it("keeps the service's addresses and names each NIC's host end", () => {
    const out = planNics(UUID, [nic("a", "10.9.0.7"), nic("b", "10.9.0.2", { iface: "vnfeedfeedfee5", index: 5 })]);
    expect(out.map((n) => n.ip)).toEqual(["10.9.0.7", "10.9.0.2"]);
    expect(out.map((n) => n.hostVeth)).toEqual(["vn0123456789a0", "vnfeedfeedfee5"]);
    expect(out.map((n) => n.index)).toEqual([0, 5]);
    expect(out[0]).toMatchObject({ bridge: "tdna", prefix: 24, gateway: "10.9.0.1", mac: "52:54:00:aa:bb:cc" });
  });

  it("refuses a NIC the service gave no address (bridged network, no IPv4)", () => {
    expect(() => planNics(UUID, [nic("a", "10.9.0.2"), nic("c", null)])).toThrow(/nics\[1\]\.address/);
    const noV4 = nic("d", "10.9.0.3", { network: { name: "d", bridge: "tdnd", ipv4Subnet: null, ipv4Gateway: null } });
    expect(() => planNics(UUID, [noV4])).toThrow(/nics\[0\]\.address/);
  });
});
