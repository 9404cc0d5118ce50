import { describe, expect, it } from "vitest";
import type { GuestSample } from "../domain/driver";
import { average, toPoint } from "./rates";
import { Ring } from "./ring";

const sample = (over: Partial<GuestSample>): GuestSample => ({
  id: "g",
  at: 0,
  cpuTimeNs: 0,
  cpuCount: 2,
  memoryUsedBytes: 100,
  memoryLimitBytes: 1000,
  diskReadBytes: 0,
  diskWriteBytes: 0,
  netRxBytes: 0,
  netTxBytes: 0,
  ...over,
});

describe("toPoint", () => {
  it("derives CPU% from Δcpu/Δwall and byte rates per second", () => {
    const p = toPoint(sample({}), sample({ at: 1000, cpuTimeNs: 5e8, diskReadBytes: 2048, netTxBytes: 100 }))!;
    expect(p.cpuPct).toBeCloseTo(50);
    expect(p.diskRead).toBe(2048);
    expect(p.netTx).toBe(100);
    expect(p.memUsed).toBe(100);
  });
  it("skips an interval whose CPU counter went backwards (guest restarted)", () => {
    expect(toPoint(sample({ at: 0, cpuTimeNs: 9e9 }), sample({ at: 1000, cpuTimeNs: 1e6 }))).toBeNull();
  });
  it("reports 0, never a negative rate, when a byte counter resets", () => {
    const p = toPoint(sample({ netRxBytes: 5000 }), sample({ at: 1000, netRxBytes: 10 }))!;
    expect(p.netRx).toBe(0);
  });
  it("needs a previous sample and forward time", () => {
    expect(toPoint(undefined, sample({}))).toBeNull();
    expect(toPoint(sample({ at: 5 }), sample({ at: 5 }))).toBeNull();
  });
  it("caps CPU% at the guest's CPU count", () => {
    expect(toPoint(sample({}), sample({ at: 1000, cpuTimeNs: 9e9 }))!.cpuPct).toBe(200);
  });
  it("averages a bucket", () => {
    const a = toPoint(sample({}), sample({ at: 1000, cpuTimeNs: 2e8 }))!;
    const b = toPoint(sample({}), sample({ at: 1000, cpuTimeNs: 4e8 }))!;
    expect(average([a, b], 0).cpuPct).toBeCloseTo(30);
  });
});

describe("Ring", () => {
  it("keeps the newest items in order", () => {
    const r = new Ring<number>(3);
    [1, 2, 3, 4, 5].forEach((n) => r.push(n));
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
  });
});
