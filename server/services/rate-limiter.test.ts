import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limiter";

describe("RateLimiter", () => {
  it("blocks after the limit of failures until the window passes", () => {
    let now = 1_000;
    const rl = new RateLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(rl.retryAfter("k")).toBe(0);
      rl.recordFailure("k");
    }
    expect(rl.retryAfter("k")).toBe(60);
    expect(rl.retryAfter("other")).toBe(0);
    now += 30_000;
    expect(rl.retryAfter("k")).toBe(30);
    now += 30_001;
    expect(rl.retryAfter("k")).toBe(0);
  });
  it("reset clears a key", () => {
    const rl = new RateLimiter(1, 60_000);
    rl.recordFailure("k");
    expect(rl.retryAfter("k")).toBeGreaterThan(0);
    rl.reset("k");
    expect(rl.retryAfter("k")).toBe(0);
  });
});
