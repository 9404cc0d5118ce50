import { describe, expect, it } from "vitest";
import { draftOfRule, moveRow, validateRules, type RuleDraft } from "./firewall-model";

const row = (over: Partial<RuleDraft> = {}): RuleDraft => ({
  action: "allow",
  protocol: "tcp",
  ports: "",
  source: "",
  ...over,
});

describe("firewall rules editor", () => {
  it("turns rows into the contract's rules, ports as one port or a range", () => {
    const { rules, errors } = validateRules([
      row({ ports: "22", source: "10.0.0.0/8" }),
      row({ ports: "8000 - 8100" }),
      row({ action: "deny", protocol: "any" }),
    ]);
    expect(errors).toEqual({});
    expect(rules).toEqual([
      { action: "allow", protocol: "tcp", ports: { start: 22, end: 22 }, source: "10.0.0.0/8" },
      { action: "allow", protocol: "tcp", ports: { start: 8000, end: 8100 } },
      { action: "deny", protocol: "any" },
    ]);
  });

  it("names the row and field that is wrong", () => {
    const { rules, errors } = validateRules([
      row(),
      row({ ports: "http" }),
      row({ source: "not-an-ip" }),
      row({ ports: "90-80" }),
      row({ protocol: "icmp", ports: "1" }),
    ]);
    expect(rules).toBeNull();
    expect(Object.keys(errors).map(Number)).toEqual([1, 2, 3, 4]);
    expect(errors[2]).toMatch(/^source: /);
    expect(errors[4]).toBe("ports apply to tcp and udp only");
  });

  it("shows stored rules as typed, and reorders rows", () => {
    expect(draftOfRule({ action: "deny", protocol: "udp", ports: { start: 53, end: 53 } })).toEqual(
      row({ action: "deny", protocol: "udp", ports: "53" }),
    );
    expect(draftOfRule({ action: "allow", protocol: "tcp", ports: { start: 1, end: 9 } }).ports).toBe("1-9");
    expect(moveRow([1, 2, 3], 2, -1)).toEqual([1, 3, 2]);
    expect(moveRow([1, 2, 3], 0, -1)).toEqual([1, 2, 3]);
  });
});
