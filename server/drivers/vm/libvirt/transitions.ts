// States Tandem knows better than libvirt: while an ACPI shutdown it asked for is under way,
// libvirt still says "running" and Tandem says "shutting-down". This overlay answers a state
// read and turns libvirt's lifecycle events into DriverEvents through it. Pure (no libvirt).
import type { DomainEvent } from "../../../../native/libvirt/index";
import type { GuestState } from "../../../contract/guest";
import type { DriverEvent } from "../../../domain/driver";
import { UUID_RE } from "./layout";
import { guestState, stateHint } from "./states";

interface Transition {
  state: GuestState;
  until: number;
}

export class Transitions {
  private readonly byUuid = new Map<string, Transition>();

  constructor(private readonly now: () => number = Date.now) {}

  set(uuid: string, state: GuestState, until: number): void {
    this.byUuid.set(uuid, { state, until });
  }

  clear(uuid: string): void {
    this.byUuid.delete(uuid);
  }

  /** libvirt's state code and reason, seen through a transition still under way. */
  stateOf(uuid: string, code: number, reason: number): GuestState {
    const base = guestState(code, reason);
    const t = this.byUuid.get(uuid);
    if (t) {
      if (this.now() < t.until && base === "running") return t.state;
      this.byUuid.delete(uuid);
    }
    return base;
  }

  /**
   * The DriverEvent a libvirt lifecycle event means (null for a domain that is not Tandem's to
   * name). Events are hints: subscribers re-read the guest.
   */
  toDriverEvent(e: DomainEvent, idOf: (uuid: string) => string): DriverEvent | null {
    if (!UUID_RE.test(e.uuid)) return null;
    const id = idOf(e.uuid);
    if (e.kind === "reboot") return { type: "changed", id, state: "running" };
    const hint = stateHint(e.event, e.detail);
    if (hint === "removed") return { type: "removed", id };
    if (hint === "stopped" || hint === "crashed" || hint === "paused") this.byUuid.delete(e.uuid);
    const transition = this.byUuid.get(e.uuid);
    const state = transition && hint === "running" ? transition.state : (hint ?? undefined);
    return state ? { type: "changed", id, state } : { type: "changed", id };
  }
}
