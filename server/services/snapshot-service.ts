// Snapshots of a guest (VMs): listed at once; taken, reverted to and deleted as tasks under the
// guest's lock, so a revert never runs beside a delete, an action or another snapshot task.
import type { Snapshot } from "../contract/guest-extras";
import { canSnapshot } from "../domain/driver";
import type { DriverRegistry } from "./driver-registry";
import type { GuestCatalog } from "./guest-catalog";
import type { GuestTasks } from "./guest-tasks";
import type { Actor } from "./task-service";

export class SnapshotService {
  constructor(
    private readonly drivers: DriverRegistry,
    private readonly catalog: GuestCatalog,
    private readonly guestTasks: GuestTasks,
  ) {}

  async list(id: string): Promise<Snapshot[]> {
    const guest = await this.catalog.get(id);
    return this.driver(guest.id).listSnapshots(guest.id);
  }

  async create(actor: Actor, id: string, name: string, description?: string): Promise<{ taskId: string }> {
    const guest = await this.catalog.get(id);
    const d = this.driver(guest.id);
    const spec = { kind: "snapshot-create", action: `snapshot ${name}`, params: { snapshot: name } } as const;
    return this.guestTasks.run(actor, guest, spec, () => d.createSnapshot(guest.id, name, description));
  }

  async revert(actor: Actor, id: string, name: string): Promise<{ taskId: string }> {
    const guest = await this.catalog.get(id);
    const d = this.driver(guest.id);
    const spec = { kind: "snapshot-revert", action: `revert ${name}`, params: { snapshot: name } } as const;
    return this.guestTasks.run(actor, guest, spec, () => d.revertSnapshot(guest.id, name));
  }

  async remove(actor: Actor, id: string, name: string): Promise<{ taskId: string }> {
    const guest = await this.catalog.get(id);
    const d = this.driver(guest.id);
    const spec = { kind: "snapshot-delete", action: `delete snapshot ${name}`, params: { snapshot: name } } as const;
    return this.guestTasks.run(actor, guest, spec, () => d.deleteSnapshot(guest.id, name));
  }

  private driver(id: string) {
    return this.drivers.capable(id, canSnapshot, "snapshots");
  }
}
