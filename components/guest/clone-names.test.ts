import { describe, expect, it } from "vitest";
import { cloneNames, cloneNamesError } from "./clone-names";

describe("clone names", () => {
  it("expands {n}, or appends -n for several", () => {
    expect(cloneNames("web-clone", 1)).toEqual(["web-clone"]);
    expect(cloneNames("web-{n}", 3)).toEqual(["web-1", "web-2", "web-3"]);
    expect(cloneNames("web", 2)).toEqual(["web-1", "web-2"]);
  });
  it("refuses invalid, taken and repeated names", () => {
    expect(cloneNamesError(["ok-1"], new Set())).toBeNull();
    expect(cloneNamesError(["bad name"], new Set())).toMatch(/bad name/);
    expect(cloneNamesError(["web-1"], new Set(["web-1"]))).toMatch(/already exists/);
    expect(cloneNamesError(["a", "a"], new Set())).toMatch(/twice/);
  });
});
