// The guard table's rules as text: QEMU's user loses new connections to local addresses (DNS
// kept), isolated bridges answer only DHCP, DNS and replies, and names are validated.
import { describe, expect, it } from "vitest";
import { guardRuleset } from "./host-guard";

describe("host guard ruleset", () => {
  it("rejects QEMU's new local connections except DNS, and all but DHCP/DNS from the bridges", () => {
    const r = guardRuleset({ table: "tandem_vm_guard", qemuUid: 64055, bridges: ["tandem-vm0"] });
    const rules = r.split("\n").filter((l) => l.startsWith("add rule"));
    expect(rules.filter((l) => l.includes(" qemu_out "))).toEqual([
      "add rule inet tandem_vm_guard qemu_out meta skuid 64055 ct state new fib daddr type local meta l4proto { tcp, udp } th dport 53 accept",
      "add rule inet tandem_vm_guard qemu_out meta skuid 64055 ct state new fib daddr type local meta l4proto tcp reject with tcp reset",
      "add rule inet tandem_vm_guard qemu_out meta skuid 64055 ct state new fib daddr type local reject with icmpx type admin-prohibited",
    ]);
    const bridge = rules.filter((l) => l.includes(" bridge_in "));
    expect(bridge.every((l) => l.includes("iifname @isolated_bridges"))).toBe(true);
    expect(bridge.at(-1)).toMatch(/fib daddr type \{ broadcast, multicast \} drop$/);
    expect(bridge.filter((l) => l.endsWith("accept")).map((l) => l.replace(/.*@isolated_bridges /, ""))).toEqual([
      "ct state established,related accept",
      "udp dport 67 accept",
      "meta l4proto { tcp, udp } th dport 53 accept",
      "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept",
    ]);
    // Replaced as a whole: the chains are flushed before the rules go in again.
    expect(r.indexOf("flush chain inet tandem_vm_guard qemu_out")).toBeLessThan(r.indexOf("add rule"));
    expect(r).toContain('add element inet tandem_vm_guard isolated_bridges { "tandem-vm0" }');
  });

  it("has no QEMU rule when QEMU runs as root (skuid would match everything root does)", () => {
    const r = guardRuleset({ table: "t", qemuUid: null, bridges: [] });
    expect(r).not.toContain("skuid");
    expect(r).not.toContain("add element");
  });

  it("refuses names nft would misread", () => {
    expect(() => guardRuleset({ table: "t; flush ruleset", qemuUid: 1, bridges: [] })).toThrow(RangeError);
    expect(() => guardRuleset({ table: "t", qemuUid: 1, bridges: ['x" }'] })).toThrow(RangeError);
    expect(() => guardRuleset({ table: "t", qemuUid: 0, bridges: [] })).toThrow(RangeError);
  });
});
