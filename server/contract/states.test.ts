import { describe, expect, it } from "vitest";
import { guestActions, guestStates } from "./guest";
import { availableActions, canAct, canDelete } from "./states";

describe("state predicates", () => {
  it("allows exactly the expected actions per state", () => {
    expect(availableActions("running").sort()).toEqual(["pause", "reboot", "shutdown", "stop"]);
    expect(availableActions("stopped")).toEqual(["start"]);
    expect(availableActions("paused").sort()).toEqual(["resume", "stop"]);
    expect(availableActions("creating")).toEqual([]);
    expect(availableActions("crashed").sort()).toEqual(["start", "stop"]);
  });
  it("is total: every state × action has an answer", () => {
    for (const s of guestStates) for (const a of guestActions) expect(typeof canAct(s, a)).toBe("boolean");
  });
  it("refuses to delete a guest that is still being created", () => {
    expect(canDelete("creating")).toBe(false);
    expect(canDelete("running")).toBe(true);
  });
});
