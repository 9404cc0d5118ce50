// The one list of VMs and containers and what can be done to them, as the transports see it:
// a facade over the catalog (what exists), the lifecycle (what changes it) and the watcher
// (what keeps Tandem in step with the hosts). Each part is its own module; this one only routes.
import type { CreateGuestBody, Guest, GuestAction } from "../contract/guest";
import type { GuestCatalog } from "./guest-catalog";
import type { GuestLifecycle } from "./guest-lifecycle";
import type { GuestWatcher } from "./guest-watcher";
import type { Actor } from "./task-service";

export class GuestService {
  constructor(
    private readonly catalog: GuestCatalog,
    private readonly lifecycle: GuestLifecycle,
    private readonly watcher: GuestWatcher,
  ) {}

  list(): Promise<Guest[]> {
    return this.catalog.list();
  }

  get(id: string): Promise<Guest> {
    return this.catalog.get(id);
  }

  create(actor: Actor, body: CreateGuestBody): Promise<{ guest: Guest; taskId: string }> {
    return this.lifecycle.create(actor, body);
  }

  clone(
    actor: Actor,
    sourceId: string,
    opts: { name: string; mode: "linked" | "full" },
  ): Promise<{ guest: Guest; taskId: string }> {
    return this.lifecycle.clone(actor, sourceId, opts);
  }

  act(actor: Actor, id: string, action: GuestAction): Promise<{ taskId: string }> {
    return this.lifecycle.act(actor, id, action);
  }

  remove(actor: Actor, id: string, purge: boolean): Promise<{ taskId: string }> {
    return this.lifecycle.remove(actor, id, purge);
  }

  update(
    id: string,
    patch: { tags?: string[]; notes?: string; name?: string; vcpus?: number; memoryMiB?: number },
  ): Promise<Guest> {
    return this.lifecycle.update(id, patch);
  }

  reconcile(): Promise<void> {
    return this.watcher.reconcile();
  }

  watch(): void {
    this.watcher.watch();
  }

  stop(): void {
    this.watcher.stop();
  }
}
