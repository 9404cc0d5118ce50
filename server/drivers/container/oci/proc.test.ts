// The /proc/<pid>/stat parser behind the liveness check: a command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
import { describe, expect, it } from "vitest";
import { parseProcStat, procStat } from "./proc";

describe("parseProcStat", () => {
  it("reads the state and the start time (field 22) after the command name", () => {
    const stat =
      "28178 (cat) R 28174 28174 21829 0 -1 4194304 103 0 0 0 0 0 0 0 20 0 1 0 2427023 3133440 412 18446744073709551615";
    expect(parseProcStat(stat)).toEqual({ state: "R", startTime: "2427023" });
  });

  it("counts from the last ')' when the command name holds spaces and parentheses", () => {
    const stat = "7 (a) b (c)) Z 1 7 7 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 18446744073709551615";
    expect(parseProcStat(stat)).toEqual({ state: "Z", startTime: "99" });
  });

  it("refuses a truncated line", () => {
    expect(parseProcStat("7 (a) S 1 7")).toBeNull();
  });

  it("reads this process, and null for a pid that does not exist", () => {
    expect(procStat(process.pid)?.state).toMatch(/^[RS]$/);
    expect(procStat(2 ** 22 + 1)).toBeNull();
  });
});
