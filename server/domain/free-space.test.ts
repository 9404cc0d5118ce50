import os from "node:os";
import { describe, expect, it } from "vitest";
import { assertFreeSpace, freeBytes } from "./free-space";

describe("free space admission", () => {
  it("reads the free bytes of a real file system", () => {
    expect(freeBytes(os.tmpdir())).toBeGreaterThan(0);
  });
  it("accepts what fits above the reserve and refuses what would eat into it", () => {
    const free = freeBytes(os.tmpdir());
    expect(() => assertFreeSpace(os.tmpdir(), 1, 0, "x")).not.toThrow();
    expect(() => assertFreeSpace(os.tmpdir(), 1024, free, "the upload")).toThrow(/the upload needs .* reserve/);
    try {
      assertFreeSpace(os.tmpdir(), free + 1, 0, "y");
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe("INSUFFICIENT_RESOURCES");
    }
  });
});
