// State predicates in one place: the UI enables buttons with them, the server refuses with
// INVALID_STATE with them. Keep them pure and total.
import type { GuestAction, GuestState } from "./guest";

const allowed: Record<GuestAction, readonly GuestState[]> = {
  start: ["stopped", "crashed"],
  shutdown: ["running"],
  stop: ["running", "paused", "shutting-down", "crashed"],
  reboot: ["running"],
  pause: ["running"],
  resume: ["paused"],
};

export function canAct(state: GuestState, action: GuestAction): boolean {
  return allowed[action].includes(state);
}

export function availableActions(state: GuestState): GuestAction[] {
  return (Object.keys(allowed) as GuestAction[]).filter((a) => canAct(state, a));
}

/** A guest may be deleted unless it is still being created. */
export function canDelete(state: GuestState): boolean {
  return state !== "creating";
}
