import { describe, expect, it } from "vitest";
import { ProgressiveDelay } from "./rate-limiter";

const policy = { free: 3, baseMs: 1000, capMs: 8000, forgetMs: 60_000 };

describe("ProgressiveDelay", () => {
  it("lets the free failures through, then doubles the wait up to the cap; never locks", () => {
    let now = 1_000_000;
    const d = new ProgressiveDelay(policy, () => now);
    for (let i = 0; i < 3; i++) {
      expect(d.waitMs("k")).toBe(0);
      d.reserve("k");
      d.settle("k");
    }
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const w = d.waitMs("k");
      waits.push(w);
      now += w; // the attacker waits exactly as long as told
      expect(d.waitMs("k")).toBe(0);
      d.reserve("k");
      d.settle("k");
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(d.waitMs("other")).toBe(0);
  });

  it("counts an attempt when it starts, so attempts in flight together are all counted", () => {
    const now = 5_000;
    const d = new ProgressiveDelay(policy, () => now);
    for (let i = 0; i < 3; i++) {
      expect(d.waitMs("k")).toBe(0);
      d.reserve("k"); // none settled yet
    }
    expect(d.waitMs("k")).toBe(1000);
  });

  it("a success gives its own reservation back; reset forgets the key", () => {
    const now = 5_000;
    const d = new ProgressiveDelay(policy, () => now);
    for (let i = 0; i < 3; i++) d.reserve("k");
    expect(d.waitMs("k")).toBeGreaterThan(0);
    d.refund("k");
    expect(d.waitMs("k")).toBe(0);
    d.reserve("k");
    d.reset("k");
    expect(d.waitMs("k")).toBe(0);
  });

  it("forgets a key that stayed quiet", () => {
    let now = 5_000;
    const d = new ProgressiveDelay(policy, () => now);
    for (let i = 0; i < 10; i++) d.reserve("k");
    expect(d.waitMs("k")).toBe(8000);
    now += 60_001;
    expect(d.waitMs("k")).toBe(0);
  });
});
