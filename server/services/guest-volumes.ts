// A container's named volumes after it exists: attach one (POST /guests/{id}/volumes) or detach
// it (DELETE …/volumes/{volumeId}). The attachment row changes at once (it is what the one-
// writer rule counts); the container's mounts follow at its next start, which the answer says.
// A volume detached from a running container stays mounted until it stops; the storage service
// asks the driver for what is mounted, so no writer gets it meanwhile. VM disks are H4's
// (services/guest-disks.ts), through /guests/{id}/disks.
import type { Volume, VolumeMount } from "../contract/storage";
import { AppError } from "../domain/errors";
import type { GuestCatalog } from "./guest-catalog";
import type { GuestLocks } from "./guest-locks";
import type { StorageService } from "./storage-service";

export interface GuestVolumeChange {
  volume: Volume;
  message: string;
}

export class GuestVolumes {
  constructor(
    private readonly catalog: GuestCatalog,
    private readonly locks: GuestLocks,
    private readonly storage: StorageService,
  ) {}

  async attach(guestId: string, body: VolumeMount): Promise<GuestVolumeChange> {
    const guest = await this.container(guestId);
    const release = this.locks.claim(guest.id, guest.name);
    try {
      const mine = await this.storage.attachmentsOf(guest.id);
      if (mine.some((a) => a.target === body.path)) {
        throw new AppError("CONFLICT", `path: ${guest.name} already has a volume at ${body.path}`, { field: "path" });
      }
      const [resolved] = await this.storage.resolveMounts(guest.id, [body], [], "body").catch((e: unknown) => {
        // One mount, so the body's own fields: "volume", not "body[0].volume".
        if (e instanceof AppError) throw new AppError(e.code, e.message.replace(/^body\[0\]\./, ""), e.details);
        throw e;
      });
      if (mine.some((a) => a.volumeId === resolved!.volumeId)) {
        throw new AppError("CONFLICT", `volume: '${resolved!.name}' is already attached to ${guest.name}`, {
          field: "volume",
        });
      }
      await this.storage.attach(guest.id, resolved!.volumeId, body.path, body.readOnly ?? false);
      await this.storage.syncContainer(guest.id);
      return { volume: await this.storage.get(resolved!.volumeId), message: this.when(guest.state, "mounted") };
    } finally {
      release();
    }
  }

  async detach(guestId: string, volumeId: string): Promise<GuestVolumeChange> {
    const guest = await this.container(guestId);
    const release = this.locks.claim(guest.id, guest.name);
    try {
      const row = await this.storage.row(volumeId);
      if (!(await this.storage.detach(guest.id, row.id))) {
        throw new AppError("NOT_FOUND", `volume '${row.name}' is not attached to ${guest.name}`);
      }
      await this.storage.syncContainer(guest.id);
      return { volume: await this.storage.get(row.id), message: this.when(guest.state, "unmounted") };
    } finally {
      release();
    }
  }

  private async container(id: string) {
    const guest = await this.catalog.get(id);
    if (guest.kind !== "container") {
      throw new AppError("VALIDATION", "volumes are mounted into containers; a VM's volumes are its disks (/disks)");
    }
    return guest;
  }

  private when(state: string, what: string): string {
    return state === "stopped"
      ? `${what} when the container next starts`
      : `${what} when the container next starts (it is ${state}; restart it to apply)`;
  }
}
