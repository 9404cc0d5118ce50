// A container's state as the API shows it, derived from its record, a transition under way and
// what the kernel says (init alive, cgroup frozen); and the record as a DriverGuest.
import type { GuestState } from "../../../contract/guest";
import type { DriverGuest } from "../../../domain/driver";
import type { ContainerRecord } from "./record";

export interface Observed {
  /** A stop or shutdown under way ("shutting-down"), else null. */
  transition: GuestState | null;
  alive: boolean;
  /** The cgroup is frozen (read only when alive). */
  frozen: () => boolean;
}

export function deriveState(rec: ContainerRecord, seen: Observed): GuestState {
  if (rec.creating) return "creating";
  if (seen.transition) return seen.transition;
  if (seen.alive) return seen.frozen() ? "paused" : "running";
  if (rec.lastExit && !rec.lastExit.byUser && rec.lastExit.code !== 0) return "crashed";
  return "stopped";
}

export function toDriverGuest(rec: ContainerRecord, hostId: string, state: GuestState): DriverGuest {
  return {
    id: rec.id,
    hostId,
    kind: "container",
    name: rec.name,
    state,
    vcpus: rec.vcpus,
    memoryMiB: rec.memoryMiB,
    diskGiB: rec.diskGiB,
    image: rec.image,
    createdAt: rec.createdAt,
    adopted: false,
    ipAddresses: [...(rec.network.ip ? [rec.network.ip] : []), ...rec.nics.map((n) => n.ip)],
  };
}
