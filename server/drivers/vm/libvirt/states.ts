// libvirt's numeric states, shut-off reasons and lifecycle events → Tandem's GuestState. Pure.
import type { GuestState } from "../../../contract/guest";

// virDomainState
const RUNNING = 1;
const BLOCKED = 2;
const PAUSED = 3;
const SHUTDOWN = 4;
const SHUTOFF = 5;
const CRASHED = 6;
const PMSUSPENDED = 7;
// virDomainShutoffReason
const SHUTOFF_CRASHED = 3;
const SHUTOFF_FAILED = 6;

export function guestState(state: number, reason: number): GuestState {
  switch (state) {
    case RUNNING:
    case BLOCKED:
      return "running";
    case PAUSED:
    case PMSUSPENDED:
      return "paused";
    case SHUTDOWN:
      return "shutting-down";
    case SHUTOFF:
      return reason === SHUTOFF_CRASHED || reason === SHUTOFF_FAILED ? "crashed" : "stopped";
    case CRASHED:
      return "crashed";
    default:
      return "unknown";
  }
}

// virDomainEventType and the details that matter
const EV_UNDEFINED = 1;
const EV_STARTED = 2;
const EV_SUSPENDED = 3;
const EV_RESUMED = 4;
const EV_STOPPED = 5;
const EV_SHUTDOWN = 6;
const EV_PMSUSPENDED = 7;
const EV_CRASHED = 8;
const STOPPED_CRASHED = 2;
const STOPPED_FAILED = 5;
const SHUTDOWN_FINISHED = 0;

/**
 * What a lifecycle event suggests the state now is. Only a hint: listeners re-read the domain.
 * `null` for events that say nothing about the run state (defined) and `"removed"` for undefine.
 */
export function stateHint(event: number, detail: number): GuestState | "removed" | null {
  switch (event) {
    case EV_UNDEFINED:
      return "removed";
    case EV_STARTED:
    case EV_RESUMED:
      return "running";
    case EV_SUSPENDED:
    case EV_PMSUSPENDED:
      return "paused";
    case EV_STOPPED:
      return detail === STOPPED_CRASHED || detail === STOPPED_FAILED ? "crashed" : "stopped";
    case EV_SHUTDOWN:
      return detail === SHUTDOWN_FINISHED ? "shutting-down" : null;
    case EV_CRASHED:
      return "crashed";
    default:
      return null;
  }
}
