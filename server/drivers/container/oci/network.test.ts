// Unit tests for address management and the generated nftables table.
import { describe, expect, it } from "vitest";
import { allocateIp, intToIp, ipToInt, overlaps, parseSubnet, renderNftTable, vethName } from "./network";

describe("network helpers", () => {
  it("parses subnets and allocates the lowest free host address", () => {
    const s = parseSubnet("10.89.0.7/24");
    expect(intToIp(s.network)).toBe("10.89.0.0");
    expect(s.gateway).toBe("10.89.0.1");
    expect(allocateIp(s, [])).toBe("10.89.0.2");
    expect(allocateIp(s, ["10.89.0.2", "10.89.0.4"])).toBe("10.89.0.3");
    const tiny = parseSubnet("10.1.1.0/29");
    expect(() => allocateIp(tiny, ["10.1.1.2", "10.1.1.3", "10.1.1.4", "10.1.1.5", "10.1.1.6"])).toThrow(
      /no free address/,
    );
    expect(() => parseSubnet("10.1.1.0")).toThrow(/must look like/);
    expect(() => parseSubnet("10.1.1.0/31")).toThrow(/between/);
    expect(() => ipToInt("300.1.1.1")).toThrow();
  });

  it("detects overlapping ranges", () => {
    expect(overlaps(parseSubnet("10.0.0.0/16"), parseSubnet("10.0.5.0/24"))).toBe(true);
    expect(overlaps(parseSubnet("10.1.0.0/24"), parseSubnet("10.2.0.0/24"))).toBe(false);
  });

  it("renders one table that is swapped atomically", () => {
    const t = renderNftTable("tandem", "tandem0", [
      { hostPort: 8080, guestPort: 80, protocol: "tcp", ip: "10.89.0.2" },
    ]);
    expect(t.split("\n").slice(0, 3)).toEqual(["table ip tandem {}", "delete table ip tandem", "table ip tandem {"]);
    expect(t.match(/tcp dport 8080 dnat to 10\.89\.0\.2:80/g)).toHaveLength(2);
    expect(t).toContain('ip saddr 127.0.0.0/8 oifname "tandem0" masquerade');
  });

  it("names veths within IFNAMSIZ", () => {
    expect(vethName("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")).toBe("vt0f1e2d3c4b5");
    expect(vethName("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0").length).toBeLessThanOrEqual(15);
  });
});
