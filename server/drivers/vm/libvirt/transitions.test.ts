// The shutdown overlay without libvirt: "shutting-down" while libvirt says running and the
// transition lasts, gone on expiry or on an event that ends it; lifecycle events as DriverEvents.
import { describe, expect, it } from "vitest";
import type { DomainEvent } from "../../../../native/libvirt/index";
import { Transitions } from "./transitions";

const U = "00000000-0000-4000-8000-000000000001";
const RUNNING = 1;
const SHUTOFF = 5;
const idOf = (u: string) => `local.vm.${u}`;
const ev = (event: number, detail = 0, kind: DomainEvent["kind"] = "lifecycle"): DomainEvent =>
  ({ kind, name: "vm", uuid: U, event, detail }) as DomainEvent;

describe("Transitions", () => {
  it("overlays a running domain until the transition expires", () => {
    let now = 1000;
    const t = new Transitions(() => now);
    t.set(U, "shutting-down", 2000);
    expect(t.stateOf(U, RUNNING, 0)).toBe("shutting-down");
    now = 2000;
    expect(t.stateOf(U, RUNNING, 0)).toBe("running");
  });

  it("lets a stopped domain show as stopped and forgets the transition", () => {
    const t = new Transitions(() => 0);
    t.set(U, "shutting-down", 10);
    expect(t.stateOf(U, SHUTOFF, 1)).toBe("stopped");
    expect(t.stateOf(U, RUNNING, 0)).toBe("running");
  });

  it("turns lifecycle events into DriverEvents through the overlay", () => {
    const t = new Transitions(() => 0);
    expect(t.toDriverEvent(ev(1), idOf)).toEqual({ type: "removed", id: idOf(U) });
    expect(t.toDriverEvent(ev(0, 0, "reboot"), idOf)).toEqual({ type: "changed", id: idOf(U), state: "running" });
    t.set(U, "shutting-down", 10);
    // Resumed while shutting down: still shutting down.
    expect(t.toDriverEvent(ev(4), idOf)).toEqual({ type: "changed", id: idOf(U), state: "shutting-down" });
    // Stopped: the transition is over.
    expect(t.toDriverEvent(ev(5), idOf)).toEqual({ type: "changed", id: idOf(U), state: "stopped" });
    expect(t.toDriverEvent(ev(4), idOf)).toEqual({ type: "changed", id: idOf(U), state: "running" });
    // Defined: says nothing about the run state.
    expect(t.toDriverEvent(ev(0), idOf)).toEqual({ type: "changed", id: idOf(U) });
    expect(t.toDriverEvent({ ...ev(2), uuid: "not-a-uuid" }, idOf)).toBeNull();
  });
});
