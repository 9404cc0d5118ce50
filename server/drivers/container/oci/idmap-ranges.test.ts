// Id-block allocation for user-namespaced containers: lowest free aligned block from 2^20, never
// overlapping another container's block or a /etc/subuid|subgid range, refused when exhausted.
import { describe, expect, it } from "vitest";
import { allocateIdRange, ID_RANGE_BASE, ID_RANGE_LIMIT, ID_RANGE_SIZE, idMapOf, parseSubIds } from "./idmap-ranges";

const block = (k: number) => ({ start: ID_RANGE_BASE + k * ID_RANGE_SIZE, size: ID_RANGE_SIZE });

describe("id ranges", () => {
  it("takes the lowest free block and reuses freed ones", () => {
    expect(allocateIdRange([])).toEqual(block(0));
    expect(allocateIdRange([block(0), block(1)])).toEqual(block(2));
    expect(allocateIdRange([block(0), block(2)])).toEqual(block(1));
  });

  it("skips host ranges that overlap, even unaligned ones", () => {
    // A subuid range from the middle of block 0 into block 1 blocks both.
    const sub = { start: ID_RANGE_BASE + 1000, size: ID_RANGE_SIZE };
    expect(allocateIdRange([sub])).toEqual(block(2));
    // Ranges below the base (useradd's default 100000:65536) do not matter.
    expect(allocateIdRange([{ start: 100000, size: 65536 }])).toEqual(block(0));
    // One id of overlap is an overlap.
    expect(allocateIdRange([{ start: ID_RANGE_BASE + ID_RANGE_SIZE - 1, size: 1 }])).toEqual(block(1));
  });

  it("refuses when no block is left below 2^31", () => {
    const all = { start: ID_RANGE_BASE, size: ID_RANGE_LIMIT - ID_RANGE_BASE };
    expect(() => allocateIdRange([all])).toThrow(/no free block/);
    const last = allocateIdRange([{ start: ID_RANGE_BASE, size: ID_RANGE_LIMIT - ID_RANGE_BASE - ID_RANGE_SIZE }]);
    expect(last.start + last.size).toBe(ID_RANGE_LIMIT);
  });

  it("parses /etc/subuid and ignores what is not a range", () => {
    const text = "alice:100000:65536\n# comment\nbob:1048576:131072\nbroken\ncarol:5:0\n  dave:200000:10  \n";
    expect(parseSubIds(text)).toEqual([
      { start: 100000, size: 65536 },
      { start: 1048576, size: 131072 },
      { start: 200000, size: 10 },
    ]);
    expect(allocateIdRange(parseSubIds(text))).toEqual(block(2));
  });

  it("maps 0..size-1 inside to the block", () => {
    expect(idMapOf(block(3))).toEqual([{ inside: 0, outside: block(3).start, count: ID_RANGE_SIZE }]);
  });
});
