import { describe, expect, it } from "vitest";
import { apiPath, withQuery } from "./client";

describe("API paths", () => {
  it("encodes every interpolated value", () => {
    expect(apiPath`/api/v1/guests/${"local.vm.a/b?c"}/snapshots/${"x y"}`).toBe(
      "/api/v1/guests/local.vm.a%2Fb%3Fc/snapshots/x%20y",
    );
  });
  it("adds a query, skipping undefined", () => {
    expect(withQuery("/p", { a: 1, b: undefined, c: true })).toBe("/p?a=1&c=true");
    expect(withQuery("/p", {})).toBe("/p");
  });
});
