// Making, changing and removing guests: create and clone (a placeholder at once, the driver's
// work as a task, nothing left on failure), lifecycle actions, delete, rename and resize. Every
// task here holds the guest's lock (guest-locks.ts) and is recorded with its typed kind and the
// parameters a restarted Tandem needs to finish or roll it back (task-recovery.ts).
import { randomUUID } from "node:crypto";
import { cpuUnits, type CreateGuestBody, type Guest, type GuestAction, type GuestKind } from "../contract/guest";
import { canAct, canDelete } from "../contract/states";
import { canClone, canRename, canResize, type GuestDriver, type Progress } from "../domain/driver";
import { AppError, invalidState } from "../domain/errors";
import type { VolumeRef } from "../domain/guest-disks";
import { makeGuestId } from "../domain/ids";
import { assertFits, type HostCapacity } from "./capacity";
import type { DriverRegistry } from "./driver-registry";
import type { GuestCatalog } from "./guest-catalog";
import type { GuestLocks } from "./guest-locks";
import type { GuestNics } from "./guest-nics";
import type { GuestTasks } from "./guest-tasks";
import type { ImageService } from "./image-service";
import type { PortForwards } from "./port-forwards";
import type { StorageService } from "./storage-service";
import type { GuestDiskService } from "./guest-disks";
import type { Actor, TaskService, TaskSpec } from "./task-service";

/** Stops the guest if it runs (unless its driver does that itself), then removes it (and its disks when `purge`) and forgets it. */
export async function removeGuest(
  driver: GuestDriver,
  catalog: GuestCatalog,
  id: string,
  purge: boolean,
  progress: (p: number, m?: string) => void,
): Promise<void> {
  // A driver that stops what it removes is asked once: a stop first would do half its work twice.
  if (!driver.removesRunning && canAct((await driver.get(id)).state, "stop")) {
    progress(10, "stopping");
    await driver.act(id, "stop");
  }
  progress(50, purge ? "removing with its disks" : "removing");
  await driver.remove(id, { purgeDisks: purge });
  await catalog.removed(id);
}

export class GuestLifecycle {
  constructor(
    private readonly drivers: DriverRegistry,
    private readonly catalog: GuestCatalog,
    private readonly locks: GuestLocks,
    private readonly guestTasks: GuestTasks,
    private readonly tasks: TaskService,
    private readonly images: ImageService,
    private readonly capacity: () => HostCapacity,
    private readonly nics: GuestNics,
  ) {}

  private storage: StorageService | null = null;

  /** Volumes and binds for containers, and a delete's purge of a guest's volumes. */
  useStorage(storage: StorageService): void {
    this.storage = storage;
  }

  private disks: GuestDiskService | null = null;

  private forwards: PortForwards | null = null;

  /** A create body's `ports` with `nics`: port forwards to the first NIC (port-forwards.ts). */
  useForwards(forwards: PortForwards): void {
    this.forwards = forwards;
  }

  /** A VM create body's `disks` (guest-disks.ts). */
  useDisks(disks: GuestDiskService): void {
    this.disks = disks;
  }

  async create(actor: Actor, body: CreateGuestBody): Promise<{ guest: Guest; taskId: string }> {
    const hostId = this.drivers.localHostId;
    const driver = this.drivers.forKind(body.kind, hostId);
    const image = await this.images.resolve(body.image);
    if (image.kind !== body.kind) {
      throw new AppError("VALIDATION", `image '${body.image}' is a ${image.kind} image, not a ${body.kind} image`);
    }
    assertFits(this.capacity(), body);
    await this.catalog.assertNameFree(hostId, body.kind, body.name);
    const uuid = randomUUID();
    const resolvedNics = body.nics ? await this.nics.resolve(body.nics, { kind: body.kind, uuid }) : undefined;
    const id = makeGuestId(hostId, body.kind, uuid);
    const mounts = await this.resolveMounts(id, body);
    const plannedDisks = await this.planDisks(id, body);
    // With nics, `ports` are forwards to the first NIC (both kinds), checked before the task starts;
    // the driver is not given them (a container would publish them on Tandem's own bridge).
    const forwardPorts = body.nics && body.ports?.length ? body.ports : null;
    if (forwardPorts) {
      if (!this.forwards) throw new AppError("BAD_REQUEST", "ports: port forwards are not available here");
      await this.forwards.check(forwardPorts, "ports");
    }
    // The driver reads them from its spec (GuestSpec.resolvedVolumes / resolvedBinds).
    if (mounts) Object.assign(body, mounts);
    return this.build(
      actor,
      { kind: "create", action: "create" },
      {
        id,
        hostId,
        kind: body.kind,
        name: body.name,
        vcpus: body.vcpus,
        memoryMiB: body.memoryMiB,
        diskGiB: body.diskGiB ?? null,
        image: body.image,
        tags: body.tags ?? [],
        work: async (progress) => {
          // A volume is held by its attachment row from here on (one writer at a time).
          if (mounts?.resolvedVolumes.length) await this.storage!.recordMounts(id, mounts.resolvedVolumes);
          // Rows first, so the networks cannot be deleted while the guest is made; a failed
          // create drops them with its metadata (build's catalog.removed), and their entries.
          // The addresses are chosen as the rows are written; the DHCP reservations and DNS
          // names are in place before the guest first asks for them.
          const nics = resolvedNics ? await this.nics.record(id, resolvedNics) : undefined;
          if (nics) await this.nics.syncGuest(id);
          const spec = forwardPorts ? { ...body, ports: undefined } : body;
          const make = (resolvedDisks?: VolumeRef[]) =>
            driver.create({ ...spec, uuid, resolvedImage: image, resolvedNics: nics, resolvedDisks }, progress);
          const made = plannedDisks ? await this.disks!.withCreateDisks(id, plannedDisks, make) : await make();
          if (nics) await this.nics.notify();
          if (forwardPorts) await this.forwards!.createForNewGuest(id, forwardPorts);
          return made;
        },
      },
    );
  }

  /** A copy of a stopped guest under a new name; linked (copy-on-write) or full. */
  async clone(
    actor: Actor,
    sourceId: string,
    opts: { name: string; mode: "linked" | "full" },
  ): Promise<{ guest: Guest; taskId: string }> {
    const source = await this.catalog.get(sourceId);
    const driver = this.drivers.capable(sourceId, canClone, "cloning");
    if (source.state !== "stopped") throw invalidState(`stop ${source.name} before cloning it`);
    await this.catalog.assertNameFree(source.hostId, source.kind, opts.name);
    const uuid = randomUUID();
    const id = makeGuestId(source.hostId, source.kind, uuid);
    // Its NICs on Tandem networks: new rows (MACs, host interfaces, addresses) on the same networks.
    const nics = await this.nics.forClone(sourceId, { kind: source.kind, uuid });
    // The source is read throughout the copy: no other task may change or delete it meanwhile,
    // but other clones (readers too) may run beside this one.
    const releaseSource = this.locks.claimShared(source.id, source.name);
    try {
      return await this.build(
        actor,
        { kind: "clone", action: `clone of ${source.name}` },
        {
          id,
          hostId: source.hostId,
          kind: source.kind,
          name: opts.name,
          vcpus: source.vcpus,
          memoryMiB: source.memoryMiB,
          diskGiB: source.diskGiB,
          image: source.image,
          tags: source.tags,
          work: async (progress) => {
            // As for a create: rows and DHCP/DNS entries first, dropped with the clone if it fails.
            if (nics.length) {
              await this.nics.record(id, nics);
              await this.nics.syncGuest(id);
            }
            const cloneNics = nics.map((n) => ({ from: n.from, mac: n.mac, iface: n.iface! }));
            const made = await driver.clone(sourceId, { ...opts, uuid, nics: cloneNics }, progress);
            if (nics.length) await this.nics.notify();
            return made;
          },
          done: releaseSource,
        },
      );
    } catch (e) {
      releaseSource();
      throw e;
    }
  }

  /**
   * Shows a 'creating' placeholder at once and runs the driver's work as a task. On failure
   * nothing is left: no placeholder, no metadata row (the driver cleans up its own files).
   */
  private async build(
    actor: Actor,
    spec: TaskSpec,
    g: {
      id: string;
      hostId: string;
      kind: GuestKind;
      name: string;
      vcpus: number;
      memoryMiB: number;
      diskGiB: number | null;
      image: string | null;
      tags: string[];
      work: (progress: (p: Progress) => void) => Promise<unknown>;
      /** Runs when the task ends either way (a clone releases its source). */
      done?: () => void;
    },
  ): Promise<{ guest: Guest; taskId: string }> {
    const { id } = g;
    const placeholder = this.catalog.placeholder({
      id,
      hostId: g.hostId,
      kind: g.kind,
      name: g.name,
      vcpus: g.vcpus,
      memoryMiB: g.memoryMiB,
      diskGiB: g.diskGiB,
      image: g.image,
      tags: g.tags,
    });
    const release = this.locks.claim(id, g.name);
    this.catalog.addPending(placeholder);
    // If even the task cannot be recorded (a full or read-only disk), no placeholder may linger.
    const taskId = await this.tasks
      .start(actor, spec, { kind: g.kind, id, name: g.name }, async (progress) => {
        try {
          await this.catalog.record(g);
          await g.work((p) => progress(p.percent, p.message));
        } catch (e) {
          // Best effort: on a full disk this write fails too, and the original error matters more.
          await this.catalog.removed(id).catch(() => {});
          throw e;
        } finally {
          release();
          g.done?.();
        }
        this.catalog.settle(id);
        await this.catalog.publish(id);
      })
      .catch(async (e: unknown) => {
        release();
        await this.catalog.removed(id).catch(() => {});
        throw e;
      });
    return { guest: placeholder, taskId };
  }

  async act(actor: Actor, id: string, action: GuestAction): Promise<{ taskId: string }> {
    const guest = await this.catalog.get(id);
    if (!canAct(guest.state, action)) {
      throw invalidState(`cannot ${action} ${guest.name}: it is ${guest.state}`);
    }
    return this.guestTasks.run(actor, guest, { kind: action, action }, async () => {
      await this.drivers.forGuest(id).act(id, action);
    });
  }

  async remove(actor: Actor, id: string, purge: boolean): Promise<{ taskId: string }> {
    const guest = await this.catalog.get(id);
    if (!canDelete(guest.state)) throw invalidState(`cannot delete ${guest.name}: it is ${guest.state}`);
    const spec: TaskSpec = { kind: "delete", action: purge ? "delete+purge" : "delete", params: { purge } };
    return this.guestTasks.run(actor, guest, spec, (progress) => this.removeWithVolumes(id, purge, progress), {
      publish: false,
    });
  }

  /** A VM's `disks` checked before anything is made (4xx naming disks[i].…); null when none. */
  private async planDisks(id: string, body: CreateGuestBody) {
    if (body.kind !== "vm" || !body.disks?.length) return null;
    if (!this.disks) throw new AppError("BACKEND_UNAVAILABLE", "disks: no storage on this server");
    return this.disks.plan(id, body.name, body.disks);
  }

  /**
   * A container's `volumes` and `binds` checked before anything is made: 400/409 naming the
   * field. Null when the body has neither.
   */
  private async resolveMounts(id: string, body: CreateGuestBody) {
    if (body.kind !== "container" || (!body.volumes?.length && !body.binds?.length)) return null;
    if (!this.storage) throw new AppError("BACKEND_UNAVAILABLE", "volumes: no storage on this server");
    const resolvedBinds = this.storage.resolveBinds(body.binds ?? []);
    const resolvedVolumes = await this.storage.resolveMounts(id, body.volumes ?? [], body.binds ?? []);
    return { resolvedVolumes, resolvedBinds };
  }

  /**
   * Removes the guest; with purge also the volumes attached to it alone (container volumes, a
   * VM's Tandem volume disks), after the guest is gone. Without purge they are kept, detached.
   */
  private async removeWithVolumes(id: string, purge: boolean, progress: (p: number, m?: string) => void) {
    const owned = purge && this.storage ? await this.storage.purgeable(id) : [];
    await removeGuest(this.drivers.forGuest(id), this.catalog, id, purge, progress);
    if (owned.length) {
      progress(90, `deleting its volumes (${owned.map((v) => v.name).join(", ")})`);
      await this.storage!.purge(owned);
    }
  }

  /** Tags and notes (Tandem's own), and a new name or size (the backend's). */
  async update(
    id: string,
    patch: { tags?: string[]; notes?: string; name?: string; vcpus?: number; memoryMiB?: number },
  ): Promise<Guest> {
    let guest = await this.catalog.get(id);
    const rename = patch.name !== undefined && patch.name !== guest.name ? patch.name : undefined;
    const size = {
      ...(patch.vcpus !== undefined && patch.vcpus !== guest.vcpus ? { vcpus: patch.vcpus } : {}),
      ...(patch.memoryMiB !== undefined && patch.memoryMiB !== guest.memoryMiB ? { memoryMiB: patch.memoryMiB } : {}),
    };
    const resize = Object.keys(size).length > 0;
    if (rename !== undefined || resize) {
      const renamer = rename !== undefined ? this.drivers.capable(id, canRename, "renaming") : null;
      const resizer = resize ? this.drivers.capable(id, canResize, "resizing") : null;
      if (resizer && cpuUnits[guest.kind].whole && size.vcpus !== undefined && !Number.isInteger(size.vcpus)) {
        throw new AppError("VALIDATION", "a VM's vcpus must be a whole number");
      }
      if (resizer) assertFits(this.capacity(), size);
      if (rename !== undefined) await this.catalog.assertNameFree(guest.hostId, guest.kind, rename);
      // A rename or resize changes the backend's guest: not while a task is at work on it.
      const release = this.locks.claim(id, guest.name);
      try {
        if (renamer && rename !== undefined) {
          await renamer.rename(id, rename);
          await this.catalog.renamed(id, rename);
          // Its DNS names follow; the rename itself is done, so a failure here is only logged.
          await this.nics.resync(id);
        }
        if (resizer) await resizer.resize(id, size);
      } finally {
        release();
      }
      guest = await this.catalog.get(id);
    }
    return this.catalog.updateMeta(guest, { tags: patch.tags, notes: patch.notes });
  }
}
