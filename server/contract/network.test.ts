// Which bridge a guest's NIC joins and who picks its address, per network type.
import { describe, expect, it } from "vitest";
import { guestBridge, networkTypes, tandemAssignsAddresses } from "./network";

describe("guestBridge / tandemAssignsAddresses", () => {
  it("bridged networks plug guests into the uplink bridge; every other type into its own bridge", () => {
    expect(guestBridge({ type: "bridged", bridge: "tdn0a1b2c3d", uplink: "br-lan" })).toBe("br-lan");
    for (const type of ["isolated", "nat", "vlan"] as const) {
      expect(guestBridge({ type, bridge: "tdn0a1b2c3d", uplink: null }), type).toBe("tdn0a1b2c3d");
    }
  });

  it("Tandem picks addresses on its own subnets only; the LAN decides on bridged and vlan networks", () => {
    expect(networkTypes.filter(tandemAssignsAddresses)).toEqual(["isolated", "nat"]);
  });
});
