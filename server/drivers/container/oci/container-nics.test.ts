// planNics: the addresses a container's NICs get (lower half of the subnet, the gateway and other
// containers' NICs on the same network skipped), their host veth names, and the refusals.
import { describe, expect, it } from "vitest";
import type { ResolvedNic } from "../../../domain/driver";
import { planNics } from "./container-nics";
import type { ContainerRecord } from "./record";

const UUID = "0123456789ab-cdef-0123-4567-89abcdef0123".replace("0123456789ab-", "01234567-89ab-");
const nic = (networkId: string, subnet: string | null, gateway = "10.9.0.1"): ResolvedNic => ({
  networkId,
  mac: "52:54:00:aa:bb:cc",
  address: null,
  network: { name: `n-${networkId}`, bridge: `tdn${networkId}`, ipv4Subnet: subnet, ipv4Gateway: gateway },
});
const other = (ips: [string, string][]) =>
  ({ nics: ips.map(([networkId, ip]) => ({ networkId, ip })) }) as ContainerRecord;

describe("planNics", () => {
  it("gives each NIC the lowest free address of its network's lower half", () => {
    const out = planNics(
      UUID,
      [nic("a", "10.9.0.0/24"), nic("a", "10.9.0.0/24"), nic("b", "10.9.0.0/24")],
      [other([["a", "10.9.0.2"]])],
    );
    expect(out.map((n) => n.ip)).toEqual(["10.9.0.3", "10.9.0.4", "10.9.0.2"]);
    expect(out.map((n) => n.hostVeth)).toEqual(["vn0123456789a0", "vn0123456789a1", "vn0123456789a2"]);
    expect(out[0]).toMatchObject({ bridge: "tdna", prefix: 24, gateway: "10.9.0.1", mac: "52:54:00:aa:bb:cc" });
  });

  it("refuses when the lower half is full, and a network without IPv4", () => {
    const used = Array.from({ length: 6 }, (_, i) => ["a", `10.9.0.${i + 2}`] as [string, string]);
    expect(() => planNics(UUID, [nic("a", "10.9.0.0/28")], [other(used)])).toThrow(/no free address/);
    expect(() => planNics(UUID, [nic("a", "10.9.0.0/28"), nic("c", null)], [])).toThrow(/nics\[1\]\.network/);
  });
});
