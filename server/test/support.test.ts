import net from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, median, percentile } from "./support";

describe("statistics", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
  it("reports nearest-rank percentiles: always a measured value", () => {
    const v = [5, 1, 4, 2, 3];
    expect(percentile(v, 50)).toBe(3);
    expect(percentile(v, 99)).toBe(5);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("freePort", () => {
  it("returns a port that can be bound on loopback at once", async () => {
    const port = await freePort();
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((r) => s.close(r));
  });
  it("skips a port something listens on when given a range", async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, r));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      await expect(freePort({ anyAddress: true, range: [taken, taken] })).rejects.toThrow(/no free port/);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });
});
