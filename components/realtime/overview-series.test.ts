import { describe, expect, it } from "vitest";
import { OverviewSeries, SERIES_POINTS } from "./overview-series";

describe("the overview series", () => {
  it("keeps the last minute per guest, with gaps where a guest was not running", () => {
    const s = new OverviewSeries();
    let ticks = 0;
    s.subscribe(() => ticks++);
    s.push({ a: { cpuPct: 10, memUsed: 1, memLimit: 4 } });
    s.push({ b: { cpuPct: 5, memUsed: 2, memLimit: 4 } });
    const a = s.ordered(s.get("a")!.cpu);
    expect(a).toHaveLength(SERIES_POINTS);
    expect(a.slice(-2)).toEqual([10, NaN]);
    expect(s.ordered(s.get("b")!.mem).at(-1)).toBe(50);
    expect(s.latest("a")).toBeNull();
    expect(ticks).toBe(2);
  });
  it("seeds history behind the live points without overwriting them", () => {
    const s = new OverviewSeries();
    s.push({ h: { cpuPct: 99, memUsed: 1, memLimit: 1 } });
    s.seed(
      "h",
      [1, 2, 3].map((c) => ({ cpuPct: c, memUsed: 0, memLimit: 1 })),
    );
    expect(s.ordered(s.get("h")!.cpu).slice(-3)).toEqual([1, 2, 99]);
  });
});
