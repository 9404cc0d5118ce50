import { describe, expect, it } from "vitest";
import { runBulk } from "./bulk";

describe("runBulk", () => {
  it("runs everything with bounded concurrency and collects failures", async () => {
    let running = 0;
    let peak = 0;
    const r = await runBulk(
      Array.from({ length: 20 }, (_, i) => i),
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((res) => setTimeout(res, 5));
        running--;
        if (i % 7 === 0) throw new Error(`no ${i}`);
      },
      4,
    );
    expect(peak).toBe(4);
    expect(r.ok).toBe(17);
    expect(r.failed.map((f) => f.item).sort((a, b) => a - b)).toEqual([0, 7, 14]);
  });
});
