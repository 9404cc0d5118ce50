// Unit tests for address management and the generated nftables ruleset.
import { describe, expect, it } from "vitest";
import { allocateIp, intToIp, ipToInt, macFor, overlaps, parseSubnet, renderNftRuleset, vethName } from "./network";

describe("network helpers", () => {
  it("parses subnets and allocates the lowest free host address", () => {
    const s = parseSubnet("10.89.0.7/24");
    expect(intToIp(s.network)).toBe("10.89.0.0");
    expect(s.gateway).toBe("10.89.0.1");
    expect(allocateIp(s, [])).toBe("10.89.0.2");
    expect(allocateIp(s, ["10.89.0.2", "10.89.0.4"])).toBe("10.89.0.3");
    const tiny = parseSubnet("10.1.1.0/29");
    expect(() => allocateIp(tiny, ["10.1.1.2", "10.1.1.3", "10.1.1.4", "10.1.1.5", "10.1.1.6"])).toThrow(
      expect.objectContaining({
        code: "INSUFFICIENT_RESOURCES",
        message: expect.stringMatching(/10\.1\.1\.0\/29 has no free address left: all 5 are in use/),
      }),
    );
    expect(() => parseSubnet("10.1.1.0")).toThrow(/must look like/);
    expect(() => parseSubnet("10.1.1.0/31")).toThrow(/between/);
    expect(() => ipToInt("300.1.1.1")).toThrow();
  });

  it("detects overlapping ranges", () => {
    expect(overlaps(parseSubnet("10.0.0.0/16"), parseSubnet("10.0.5.0/24"))).toBe(true);
    expect(overlaps(parseSubnet("10.1.0.0/24"), parseSubnet("10.2.0.0/24"))).toBe(false);
  });

  it("derives a locally administered unicast MAC from the address", () => {
    expect(macFor("10.89.0.2")).toBe("0a:58:0a:59:00:02");
    expect(macFor("192.168.255.254")).toBe("0a:58:c0:a8:ff:fe");
    // 0x0a: the locally-administered bit set, the multicast bit clear.
    expect(parseInt(macFor("10.0.0.1").slice(0, 2), 16) & 0b11).toBe(0b10);
  });

  describe("ruleset", () => {
    const t = renderNftRuleset("tandem", "tandem0", {
      ports: [
        { hostPort: 8080, guestPort: 80, protocol: "tcp", ip: "10.89.0.2" },
        { hostPort: 5353, guestPort: 53, protocol: "udp", ip: "10.89.0.3" },
      ],
      pins: [{ veth: "vt0f1e2d3c4b5", ip: "10.89.0.2", mac: macFor("10.89.0.2") }],
    });
    const chain = (name: string) => {
      const m = new RegExp(`chain ${name} \\{\\n([\\s\\S]*?)\\n  \\}`).exec(t);
      if (!m) throw new Error(`no chain ${name}`);
      return m[1]!.split("\n").map((l) => l.trim());
    };

    it("swaps both tables atomically", () => {
      expect(t.split("\n").slice(0, 4)).toEqual([
        "table ip tandem {}",
        "delete table ip tandem",
        "table bridge tandem {}",
        "delete table bridge tandem",
      ]);
    });

    it("DNATs published ports for other machines only, never in the output hook", () => {
      expect(chain("prerouting")).toContain(
        'iifname != "tandem0" fib daddr type local tcp dport 8080 dnat to 10.89.0.2:80',
      );
      expect(chain("prerouting")).toContain(
        'iifname != "tandem0" fib daddr type local udp dport 5353 dnat to 10.89.0.3:53',
      );
      expect(t).not.toMatch(/hook output/);
      expect(t).not.toMatch(/masquerade/);
    });

    it("drops loopback addresses from the bridge before conntrack", () => {
      expect(chain("guard")).toEqual([
        "type filter hook prerouting priority raw; policy accept;",
        'iifname "tandem0" ip daddr 127.0.0.0/8 drop',
        'iifname "tandem0" ip saddr 127.0.0.0/8 drop',
      ]);
    });

    it("lets containers open only published ports on the host, and replies", () => {
      expect(chain("input")).toEqual([
        "type filter hook input priority filter; policy accept;",
        'iifname != "tandem0" accept',
        "ct state established,related accept",
        "tcp dport { 8080 } accept",
        "udp dport { 5353 } accept",
        "meta l4proto tcp reject with tcp reset",
        "reject",
      ]);
      const none = renderNftRuleset("tandem", "tandem0", { ports: [], pins: [] });
      expect(none).not.toMatch(/dport \{/);
      expect(none).toMatch(/ct state established,related accept\n\s+meta l4proto tcp reject/);
    });

    it("pins each veth to its MAC and IPv4 address and drops everything else from it", () => {
      expect(t).toContain('iifname "vt0f1e2d3c4b5" jump pin_vt0f1e2d3c4b5');
      expect(chain("pin_vt0f1e2d3c4b5")).toEqual([
        "ether saddr != 0a:58:0a:59:00:02 drop",
        "ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ether 0a:58:0a:59:00:02 arp saddr ip 10.89.0.2 accept",
        "ether type ip ip saddr 10.89.0.2 accept",
        "drop",
      ]);
    });
  });

  it("names veths within IFNAMSIZ", () => {
    expect(vethName("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")).toBe("vt0f1e2d3c4b5");
    expect(vethName("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0").length).toBeLessThanOrEqual(15);
  });
});
