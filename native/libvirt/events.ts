// Domain event subscription: registers for lifecycle and reboot events of every domain on a
// connection and hands them on as DomainEvent objects; the returned function unsubscribes.
import { DomainEventId, domainEventName, type DomainEventName } from "./constants";
import type { NativeConnection, NativeDomainEvent } from "./native";

export interface DomainEvent {
  kind: "lifecycle" | "reboot";
  name: string;
  uuid: string;
  /** Lifecycle only: virDomainEventType and its detail number. */
  event: number;
  eventName: DomainEventName | "unknown";
  detail: number;
}

/** See Connection.onDomainEvent. */
export async function subscribeDomainEvents(
  n: NativeConnection,
  listener: (ev: DomainEvent) => void,
): Promise<() => Promise<void>> {
  if (typeof listener !== "function") throw new TypeError("listener must be a function");
  const deliver = (kind: DomainEvent["kind"]) => (ev: NativeDomainEvent) =>
    listener({
      kind,
      name: ev.name,
      uuid: ev.uuid,
      event: ev.event,
      eventName: kind === "lifecycle" ? domainEventName(ev.event) : "unknown",
      detail: ev.detail,
    });
  const ids: number[] = [];
  try {
    ids.push(await n.registerDomainEvent(DomainEventId.LIFECYCLE, deliver("lifecycle")));
    ids.push(await n.registerDomainEvent(DomainEventId.REBOOT, deliver("reboot")));
  } catch (e) {
    await Promise.allSettled(ids.map((id) => n.deregisterDomainEvent(id)));
    throw e;
  }
  let done = false;
  return async () => {
    if (done || n.isClosed()) return;
    done = true;
    await Promise.allSettled(ids.map((id) => n.deregisterDomainEvent(id)));
  };
}
