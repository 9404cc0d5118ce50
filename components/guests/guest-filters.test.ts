import { describe, expect, it } from "vitest";
import { fakeGuest } from "../test/guest-fixture";
import { allTags, applyFilters, defaultFilters } from "./guest-filters";

const g = fakeGuest;

const list = [
  g("alpha", { tags: ["web"], ipAddresses: ["10.0.0.5"] }),
  g("beta", { kind: "container", state: "stopped", memoryMiB: 1024 }),
  g("gamma", { tags: ["db", "web"] }),
];
const none = () => null;

describe("guest filters", () => {
  it("searches names, tags and addresses", () => {
    expect(applyFilters(list, { ...defaultFilters, q: "10.0.0" }, none).map((x) => x.name)).toEqual(["alpha"]);
    expect(applyFilters(list, { ...defaultFilters, q: "WEB" }, none).map((x) => x.name)).toEqual(["alpha", "gamma"]);
  });
  it("filters by kind, state and tag", () => {
    expect(applyFilters(list, { ...defaultFilters, kind: "container" }, none).map((x) => x.name)).toEqual(["beta"]);
    expect(applyFilters(list, { ...defaultFilters, state: "running", tag: "db" }, none).map((x) => x.name)).toEqual([
      "gamma",
    ]);
    expect(allTags(list)).toEqual(["db", "web"]);
  });
  it("sorts by size and by live CPU, descending on request", () => {
    expect(applyFilters(list, { ...defaultFilters, sort: "size", desc: true }, none)[0]!.name).toBe("beta");
    const cpu = (id: string) => ({ cpuPct: id.endsWith("gamma") ? 90 : 10, memUsed: 1, memLimit: 2 });
    expect(applyFilters(list, { ...defaultFilters, sort: "cpu", desc: true }, cpu)[0]!.name).toBe("gamma");
    expect(applyFilters(list, { ...defaultFilters, desc: true }, none).map((x) => x.name)).toEqual([
      "gamma",
      "beta",
      "alpha",
    ]);
  });
});
