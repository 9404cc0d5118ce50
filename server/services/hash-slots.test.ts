import { describe, expect, it } from "vitest";
import { HashSlots } from "./hash-slots";

describe("HashSlots", () => {
  it("caps hashes overall, per address and per user, and frees slots on release", () => {
    const s = new HashSlots({ total: 3, perAddress: 2, perUser: 1 });
    const a = s.tryTake("1.1.1.1", "alice");
    expect(a).not.toBeNull();
    expect(s.tryTake("2.2.2.2", "alice")).toBeNull(); // per user
    const b = s.tryTake("1.1.1.1", "bob");
    expect(b).not.toBeNull();
    expect(s.tryTake("1.1.1.1", "carol")).toBeNull(); // per address
    const c = s.tryTake("3.3.3.3", "carol");
    expect(c).not.toBeNull();
    expect(s.tryTake("4.4.4.4", "dave")).toBeNull(); // overall
    expect(s.stats).toMatchObject({ total: 3, inFlight: 3, maxInFlight: 3 });
    a!();
    a!(); // releasing twice frees one slot only
    expect(s.stats.inFlight).toBe(2);
    expect(s.tryTake("2.2.2.2", "alice")).not.toBeNull();
    expect(s.tryTake("5.5.5.5", "erin")).toBeNull();
  });

  it("queues authenticated hashing for an overall slot", async () => {
    const s = new HashSlots({ total: 1, perAddress: 1, perUser: 1 });
    const first = s.tryTake("1.1.1.1", "alice")!;
    let got = false;
    const waiting = s.take().then((release) => {
      got = true;
      return release;
    });
    await Promise.resolve();
    expect(got).toBe(false);
    first();
    const release = await waiting;
    expect(got).toBe(true);
    expect(s.tryTake("2.2.2.2", "bob")).toBeNull();
    release();
    expect(s.stats.maxInFlight).toBe(1);
  });
});
