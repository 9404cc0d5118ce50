import { describe, expect, it } from "vitest";
import type { Network } from "@/server/contract";
import {
  draftOf,
  emptyNetworkDraft,
  subnetDefaults,
  toCreateBody,
  toUpdateBody,
  validateCreate,
  validateUpdate,
} from "./network-model";

const net: Network = {
  id: "n1",
  name: "lan",
  type: "nat",
  ipv4: { subnet: "10.90.0.0/24", gateway: "10.90.0.1", dhcp: { start: "10.90.0.128", end: "10.90.0.254" } },
  ipv6: null,
  uplink: null,
  vlan: null,
  dnsForwarders: [],
  dnsNames: true,
  bridge: "tdn01234567",
  createdAt: "2026-01-01T00:00:00.000Z",
  usedBy: [],
};

describe("network form", () => {
  it("derives the gateway and the upper-half DHCP range from a subnet", () => {
    expect(subnetDefaults("10.90.0.0/24")).toEqual({
      gateway: "10.90.0.1",
      dhcpStart: "10.90.0.128",
      dhcpEnd: "10.90.0.254",
    });
    expect(subnetDefaults("10.88.7.9/16")).toEqual({
      gateway: "10.88.0.1",
      dhcpStart: "10.88.128.0",
      dhcpEnd: "10.88.255.254",
    });
    expect(subnetDefaults("10.90.0.0")).toBeNull();
    expect(subnetDefaults("300.1.1.0/24")).toBeNull();
  });

  it("builds a NAT network's body with the defaults filled in", () => {
    const d = { ...emptyNetworkDraft(), name: "lan", subnet: "10.90.0.0/24", dnsForwarders: "1.1.1.1, 9.9.9.9" };
    const { body, errors } = validateCreate(d);
    expect(errors).toEqual({});
    expect(body).toMatchObject({
      name: "lan",
      type: "nat",
      ipv4: net.ipv4,
      ipv6: null,
      dnsForwarders: ["1.1.1.1", "9.9.9.9"],
      dnsNames: true,
    });
  });

  it("sends only the fields of the chosen type", () => {
    const d = {
      ...emptyNetworkDraft(),
      name: "v",
      type: "vlan" as const,
      vlanId: "42",
      vlanParent: "eth0",
      uplink: "br0",
    };
    expect(toCreateBody(d)).toMatchObject({
      vlan: { id: 42, parent: "eth0" },
      uplink: undefined,
      dnsForwarders: undefined,
    });
    expect(toCreateBody({ ...d, type: "isolated", dnsForwarders: "1.1.1.1" }).dnsForwarders).toBeUndefined();
  });

  it("sends no DHCP range and no DNS names for a network on a LAN (bridged, VLAN)", () => {
    const d = {
      ...emptyNetworkDraft(),
      name: "lan",
      type: "bridged" as const,
      uplink: "br0",
      subnet: "192.168.1.0/24",
    };
    expect(toCreateBody(d)).toMatchObject({
      ipv4: { subnet: "192.168.1.0/24", gateway: "192.168.1.1", dhcp: null },
      uplink: "br0",
      dnsNames: false,
    });
    expect(validateCreate(d).errors).toEqual({});
  });

  it("names the bad field", () => {
    const { body, errors } = validateCreate({
      ...emptyNetworkDraft(),
      name: "bad name",
      subnet: "10.90.0.0/33",
      type: "vlan",
      vlanId: "5000",
      vlanParent: "eth0",
    });
    expect(body).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(["ipv4.subnet", "name", "vlan.id"]);
  });

  it("edits send only what changed", () => {
    const d = draftOf(net);
    expect(toUpdateBody(d, net)).toEqual({});
    expect(validateUpdate({ ...d, dhcpStart: "10.90.0.200", dnsNames: false }, net).body).toEqual({
      ipv4: { ...net.ipv4, dhcp: { start: "10.90.0.200", end: "10.90.0.254" } },
      dnsNames: false,
    });
    expect(toUpdateBody({ ...d, dnsForwarders: "8.8.8.8" }, net)).toEqual({ dnsForwarders: ["8.8.8.8"] });
    expect(toUpdateBody({ ...d, dhcp: false }, net)).toEqual({ ipv4: { ...net.ipv4, dhcp: null } });
  });
});
