import { describe, expect, it } from "vitest";
import { sparkPath } from "./spark-path";

describe("the sparkline path", () => {
  it("draws a line through measured points, scaled to the box", () => {
    // 3 points over 10 px: x = 0, 5, 10; y from the bottom (height - 1) to the top (1).
    expect(sparkPath([0, 50, 100], 100, 10, 12)).toBe("M0 11L5 6L10 1");
  });
  it("breaks the line where the guest was not running", () => {
    expect(sparkPath([0, 0, NaN, 100, 100], 100, 8, 12)).toBe("M0 11L2 11M6 1L8 1");
  });
  it("shows a lone point as a short dash, and nothing for no points", () => {
    expect(sparkPath([NaN, NaN, 100], 100, 10, 12)).toBe("M7 1h3");
    expect(sparkPath([NaN, NaN], 100, 10, 12)).toBe("");
  });
  it("rescales when a value goes above the top of the scale", () => {
    expect(sparkPath([0, 200], 100, 10, 12)).toBe("M0 11L10 1");
  });
});
