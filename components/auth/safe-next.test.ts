import { describe, expect, it } from "vitest";
import { safeNext } from "./safe-next";

const origin = "http://127.0.0.1:8080";

describe("safeNext", () => {
  it("keeps same-site paths", () => {
    expect(safeNext("/guests/local.vm.x?tab=console", origin)).toBe("/guests/local.vm.x?tab=console");
  });
  it("refuses anything that leaves the site", () => {
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "", null]) {
      expect(safeNext(bad, origin)).toBe("/");
    }
  });
});
