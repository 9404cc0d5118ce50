import { describe, expect, it } from "vitest";
import { apiPath, fetchOnce, withQuery } from "./client";

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

describe("fetchOnce", () => {
  const ok = new Response("{}", { status: 200 });
  const flaky = (failures: number) => {
    let calls = 0;
    const f = (async () => {
      calls++;
      if (calls <= failures) throw new TypeError("Failed to fetch");
      return ok;
    }) as typeof fetch;
    return { f, calls: () => calls };
  };

  it("repeats a GET once when no answer came", async () => {
    const { f, calls } = flaky(1);
    await expect(fetchOnce("/x", { method: "GET" }, f)).resolves.toBe(ok);
    expect(calls()).toBe(2);
  });

  it("gives up after the second failure, as a NETWORK error", async () => {
    const { f, calls } = flaky(2);
    await expect(fetchOnce("/x", { method: "GET" }, f)).rejects.toMatchObject({ code: "NETWORK", status: 0 });
    expect(calls()).toBe(2);
  });

  it("never repeats a write: it may have reached the server", async () => {
    const { f, calls } = flaky(1);
    await expect(fetchOnce("/x", { method: "POST" }, f)).rejects.toMatchObject({ code: "NETWORK" });
    expect(calls()).toBe(1);
  });
});
