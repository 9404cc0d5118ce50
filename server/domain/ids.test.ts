import { describe, expect, it } from "vitest";
import { makeGuestId, parseGuestId } from "./ids";

describe("guest ids", () => {
  it("round-trips host, kind and uuid", () => {
    const id = makeGuestId("local", "vm", "3f2c9a4e-1b2c-4d5e-8f90-123456789abc");
    expect(id).toBe("local.vm.3f2c9a4e-1b2c-4d5e-8f90-123456789abc");
    expect(parseGuestId(id)).toEqual({ hostId: "local", kind: "vm", uuid: "3f2c9a4e-1b2c-4d5e-8f90-123456789abc" });
  });
  it("rejects anything else", () => {
    for (const bad of [
      "",
      "local.vm.",
      "local.jail.x",
      "../etc/passwd",
      "local.vm.a/b",
      "local.vm." + "a".repeat(65),
    ]) {
      expect(parseGuestId(bad)).toBeNull();
    }
  });
});
