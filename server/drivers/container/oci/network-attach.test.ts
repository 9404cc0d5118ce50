// Unit tests for the pure parts of a NIC on a foreign bridge: the `ip -batch` script (and the
// refusal of anything that could smuggle a command into it), the address allocator and resolv.conf.
import { describe, expect, it } from "vitest";
import {
  allocateNicAddress,
  attachBatch,
  checkAttachment,
  nicVethName,
  resolvConf,
  type NicAttachment,
} from "./network-attach";

const nic = (over: Partial<NicAttachment> = {}): NicAttachment => ({
  netns: "tandem-c-1234",
  bridge: "virbr7",
  hostVeth: "vn0123456789a0",
  ifname: "eth0",
  mac: "0a:58:0a:58:00:05",
  ipv4: { address: "10.88.0.5", prefix: 16, gateway: "10.88.0.1" },
  primary: true,
  ...over,
});

describe("attachBatch", () => {
  it("makes the host end on the bridge and configures the first NIC inside, default route included", () => {
    expect(attachBatch(nic()).split("\n")).toEqual([
      "link add vn0123456789a0 master virbr7 up type veth peer name eth0 address 0a:58:0a:58:00:05 netns tandem-c-1234",
      "netns exec tandem-c-1234 ip link set lo up",
      "netns exec tandem-c-1234 ip addr add 10.88.0.5/16 dev eth0",
      "netns exec tandem-c-1234 ip link set eth0 up",
      "netns exec tandem-c-1234 ip route add default via 10.88.0.1 dev eth0",
      "",
    ]);
  });

  it("gives a second NIC no default route and leaves lo alone; IPv6 without DAD, replace first", () => {
    const lines = attachBatch(
      nic({
        ifname: "eth1",
        hostVeth: "vn0123456789a1",
        primary: false,
        ipv6: { address: "fd00:88::5", prefix: 64, gateway: "fd00:88::1" },
      }),
      true,
    ).split("\n");
    expect(lines[0]).toBe("link del vn0123456789a1");
    expect(lines).toContain("netns exec tandem-c-1234 ip -6 addr add fd00:88::5/64 dev eth1 nodad");
    expect(lines.filter((l) => l.includes("default") || l.includes(" lo "))).toEqual([]);
  });

  it("names a process's netns first when asked (a user-namespaced container's, made by crun)", () => {
    expect(attachBatch(nic({ fromPid: 4242 })).split("\n")[0]).toBe("netns attach tandem-c-1234 4242");
    expect(() => checkAttachment(nic({ fromPid: 1 }))).toThrow(/^fromPid:/);
    expect(() => checkAttachment(nic({ fromPid: 2.5 }))).toThrow(/^fromPid:/);
  });

  it("routes IPv6 by default through the first NIC when the network has an IPv6 gateway", () => {
    const lines = attachBatch(nic({ ipv6: { address: "fd00:88::5", prefix: 64, gateway: "fd00:88::1" } })).split("\n");
    expect(lines).toContain("netns exec tandem-c-1234 ip -6 route add default via fd00:88::1 dev eth0");
    expect(attachBatch(nic({ ipv6: { address: "fd00:88::5", prefix: 64 } }))).not.toMatch(/-6 route/);
  });

  it("refuses names and addresses that could add a command or do not fit, naming the field", () => {
    const refused = (over: Partial<NicAttachment>, field: RegExp) =>
      expect(() => checkAttachment(nic(over))).toThrow(
        expect.objectContaining({ code: "VALIDATION", message: expect.stringMatching(field) }),
      );
    refused({ bridge: "virbr7\nlink del eth0" }, /^bridge:/);
    refused({ netns: "a b" }, /^netns:/);
    refused({ netns: "../../proc/1/ns/net" }, /^netns:/);
    refused({ ifname: "a-name-longer-than-15" }, /^ifname:/);
    refused({ ifname: "lo" }, /^ifname:/);
    refused({ hostVeth: "" }, /^hostVeth:/);
    refused({ mac: "0A:58:00:00:00:01" }, /^mac:/);
    refused({ mac: "01:00:5e:00:00:01" }, /^mac: .*multicast/);
    refused({ ipv4: { address: "10.88.0.5 dev lo", prefix: 16, gateway: "10.88.0.1" } }, /^ipv4\.address:/);
    refused({ ipv4: { address: "10.88.0.5", prefix: 31, gateway: "10.88.0.1" } }, /^ipv4\.prefix:/);
    refused({ ipv4: { address: "10.88.0.5", prefix: 24, gateway: "10.89.0.1" } }, /^ipv4\.gateway: .* not in/);
    refused({ ipv4: { address: "10.88.0.1", prefix: 16, gateway: "10.88.0.1" } }, /^ipv4\.address: .*gateway/);
    refused({ ipv4: { address: "10.88.255.255", prefix: 16, gateway: "10.88.0.1" } }, /^ipv4\.address: .*host/);
    refused({ ipv6: { address: "fd00::5\n", prefix: 64 } }, /^ipv6\.address:/);
    refused({ ipv6: { address: "fd00::5", prefix: 129 } }, /^ipv6\.prefix:/);
    refused({ ipv6: { address: "fd00::5", prefix: 64, gateway: "10.0.0.1" } }, /^ipv6\.gateway:/);
  });
});

describe("nicVethName", () => {
  it("is short enough for the kernel, distinct per NIC and from the default bridge's veths", () => {
    const u = "0123456789ab-cdef-0123-456789abcdef";
    expect(nicVethName(u, 0)).toBe("vn0123456789a0");
    expect(nicVethName(u, 35)).toBe("vn0123456789az");
    expect(nicVethName(u, 0).length).toBeLessThanOrEqual(15);
    expect(() => nicVethName(u, 36)).toThrow(/at most 36/);
    expect(() => nicVethName("x", 0)).toThrow(/uuid/);
  });
});

describe("allocateNicAddress", () => {
  const net = {
    name: "default",
    subnet: "10.88.0.0/16",
    gateway: "10.88.0.1",
    range: { first: "10.88.0.0", last: "10.88.127.255" },
  };

  it("takes the lowest free address of the range, never the network address or the gateway", () => {
    expect(allocateNicAddress(net, [])).toBe("10.88.0.2");
    expect(allocateNicAddress(net, ["10.88.0.2", "10.88.0.4"])).toBe("10.88.0.3");
    // Past a full .0.x block, the next one's .0 is a host address of a /16.
    const block = Array.from({ length: 254 }, (_, i) => `10.88.0.${i + 2}`);
    expect(allocateNicAddress(net, block)).toBe("10.88.1.0");
  });

  it("stays in the range and answers INSUFFICIENT_RESOURCES, naming the network, when it is full", () => {
    const small = {
      name: "lab",
      subnet: "192.168.5.0/24",
      gateway: "192.168.5.1",
      range: { first: "192.168.5.250", last: "192.168.5.255" },
    };
    const used = ["192.168.5.250", "192.168.5.251", "192.168.5.252", "192.168.5.253"];
    expect(allocateNicAddress(small, used.slice(0, 3))).toBe("192.168.5.253");
    expect(allocateNicAddress(small, used.slice(1))).toBe("192.168.5.250");
    // .254 is the last host address; .255, the broadcast, is never handed out.
    expect(allocateNicAddress(small, used)).toBe("192.168.5.254");
    expect(() => allocateNicAddress(small, [...used, "192.168.5.254"])).toThrow(
      expect.objectContaining({
        code: "INSUFFICIENT_RESOURCES",
        message: expect.stringMatching(/network 'lab' has no free address left in 192\.168\.5\.250-192\.168\.5\.255/),
      }),
    );
  });
});

describe("resolvConf", () => {
  const paths = { etc: "/var/lib/tandem/containers/u/etc" };

  it("names the first network's resolver first, its domain in the search list, for the file the spec binds", () => {
    expect(resolvConf(paths, [{ nameserver: "10.88.0.1", domain: "tandem.lan" }])).toEqual({
      path: "/var/lib/tandem/containers/u/etc/resolv.conf",
      text: "search tandem.lan\nnameserver 10.88.0.1\n",
    });
  });

  it("lists every NIC's network once, at most three resolvers, domains lower-cased and deduplicated", () => {
    const { text } = resolvConf(paths, [
      { nameserver: "10.88.0.1", domain: "Lab.Example" },
      { nameserver: "10.90.0.1", domain: null },
      { nameserver: "10.88.0.1", domain: "lab.example" },
      { nameserver: "fd00:91::1", domain: "b.example" },
      { nameserver: "10.92.0.1" },
    ]);
    expect(text).toBe(
      "search lab.example b.example\nnameserver 10.88.0.1\nnameserver 10.90.0.1\nnameserver fd00:91::1\n",
    );
  });

  it("is empty without a network and refuses what is no address or domain", () => {
    expect(resolvConf(paths, []).text).toBe("");
    expect(() => resolvConf(paths, [{ nameserver: "10.88.0.1\noptions x" }])).toThrow(/nics\[0\]: .*not a resolver/s);
    expect(() => resolvConf(paths, [{ nameserver: "10.88.0.1", domain: "a b" }])).toThrow(
      /nics\[0\]: .*not a DNS domain/,
    );
  });
});
