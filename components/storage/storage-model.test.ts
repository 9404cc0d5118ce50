import { describe, expect, it } from "vitest";
import type { Volume } from "@/server/contract";
import { freeFilesystemVolumes, poolUsage, usageTone, volumesIn, volumesOf } from "./storage-model";

const vol = (name: string, over: Partial<Volume> = {}): Volume => ({
  id: `id-${name}`,
  name,
  pool: "tandem",
  use: "filesystem",
  format: "raw",
  capacityBytes: 1024 ** 3,
  allocationBytes: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  attachedTo: [],
  ...over,
});

describe("storage views", () => {
  it("shows a pool's allocation as a share of its capacity", () => {
    expect(poolUsage({ capacityBytes: 200, allocationBytes: 50 })).toBe(25);
    expect(poolUsage({ capacityBytes: 0, allocationBytes: 50 })).toBe(0);
    expect(poolUsage({ capacityBytes: 100, allocationBytes: 150 })).toBe(100);
    expect(usageTone(89)).toBe("blue");
    expect(usageTone(90)).toBe("red");
  });

  it("groups volumes by pool and by guest", () => {
    const a = { guestId: "g1", guestName: "web", target: "/data", readOnly: false };
    const vols = [vol("a", { attachedTo: [a] }), vol("b", { pool: "fast" }), vol("c", { use: "disk" })];
    expect(volumesIn("fast", vols).map((v) => v.name)).toEqual(["b"]);
    expect(volumesOf("g1", vols)).toEqual([{ volume: vols[0], mount: a }]);
    expect(freeFilesystemVolumes(vols).map((v) => v.name)).toEqual(["b"]);
  });
});
