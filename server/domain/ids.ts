// Guest ids carry the host and the kind so that a second host never collides with the first.
import type { GuestKind } from "../contract/guest";

export const LOCAL_HOST_ID = "local";

export function makeGuestId(hostId: string, kind: GuestKind, uuid: string): string {
  return `${hostId}.${kind}.${uuid}`;
}

export function parseGuestId(id: string): { hostId: string; kind: GuestKind; uuid: string } | null {
  const m = /^([a-z0-9-]{1,32})\.(vm|container)\.([a-zA-Z0-9-]{1,64})$/.exec(id);
  if (!m) return null;
  return { hostId: m[1]!, kind: m[2] as GuestKind, uuid: m[3]! };
}
