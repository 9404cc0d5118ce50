// The one way from a guest to its backend. Drivers are registered under (hostId, kind) — one
// host today, several tomorrow — and found by a guest id (which names both) or by kind on a
// host. Capability checks live here too, so "X is not available for containers" is said once.
import type { GuestCapabilities, GuestKind } from "../contract/guest";
import {
  canClone,
  canExec,
  canLog,
  canRename,
  canResize,
  canSnapshot,
  canVnc,
  type GuestDriver,
} from "../domain/driver";
import { AppError, notFound } from "../domain/errors";
import { parseGuestId } from "../domain/ids";

const NO_CAPABILITIES: GuestCapabilities = {
  vnc: false,
  exec: false,
  snapshots: false,
  logs: false,
  clone: false,
  rename: false,
  resize: false,
  liveResize: false,
};

const key = (hostId: string, kind: GuestKind) => `${hostId}/${kind}`;

export class DriverRegistry {
  private readonly entries = new Map<string, { hostId: string; driver: GuestDriver }>();

  /** `localHostId` is the host this process runs on: creates land there. */
  constructor(readonly localHostId: string) {}

  register(hostId: string, driver: GuestDriver): void {
    const k = key(hostId, driver.kind);
    if (this.entries.has(k)) throw new Error(`a ${driver.kind} driver is already registered for host '${hostId}'`);
    this.entries.set(k, { hostId, driver });
  }

  /** Every registered driver with its host, in registration order. */
  all(): { hostId: string; driver: GuestDriver }[] {
    return [...this.entries.values()];
  }

  drivers(): GuestDriver[] {
    return this.all().map((e) => e.driver);
  }

  find(hostId: string, kind: GuestKind): GuestDriver | undefined {
    return this.entries.get(key(hostId, kind))?.driver;
  }

  /** The driver that makes new guests of `kind` on `hostId`; BACKEND_UNAVAILABLE when none does. */
  forKind(kind: GuestKind, hostId = this.localHostId): GuestDriver {
    const d = this.find(hostId, kind);
    if (!d) throw new AppError("BACKEND_UNAVAILABLE", `no ${kind} backend is enabled on this host`);
    return d;
  }

  /** The driver that owns guest `id`; NOT_FOUND for an id no registered backend could own. */
  forGuest(id: string): GuestDriver {
    const parsed = parseGuestId(id);
    const d = parsed && this.find(parsed.hostId, parsed.kind);
    if (!d) throw notFound("guest", id);
    return d;
  }

  /**
   * The driver of guest `id` narrowed to a capability, or BAD_REQUEST naming what is missing:
   * the one place a capability is checked before it is used.
   */
  capable<T extends GuestDriver>(id: string, guard: (d: GuestDriver) => d is T, what: string): T {
    const d = this.forGuest(id);
    if (!guard(d)) throw new AppError("BAD_REQUEST", `${what} is not available for ${d.kind}s`);
    return d;
  }

  capabilitiesOf(hostId: string, kind: GuestKind): GuestCapabilities {
    const d = this.find(hostId, kind);
    if (!d) return NO_CAPABILITIES;
    return {
      vnc: canVnc(d),
      exec: canExec(d),
      snapshots: canSnapshot(d),
      logs: canLog(d),
      clone: canClone(d),
      rename: canRename(d),
      resize: canResize(d),
      liveResize: canResize(d) && d.liveResize,
    };
  }
}
