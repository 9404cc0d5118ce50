// A VM's disks beyond its own: the list the guest page shows (the root disk included), and
// add, detach, grow and move as tasks under the guest's lock (guest-tasks.ts), like every other
// change to a guest. Each disk is a `disk` volume (storage-service.ts: its row, made and deleted
// through the storage backend) with a VolumeAttachment row whose target is the VM's device
// (vdb…); the rows change only once the driver (domain/guest-disks.ts) has made the change, so
// they say what the VM has. Every body is checked before a task starts: 4xx naming the field.
// Also the create body's `disks`: checked with the rest of the body, made as the create task
// starts, undone if the create fails.
import path from "node:path";
import type { GuestDisk, NewDisk } from "../contract/storage";
import type { Db } from "../db/client";
import type { GuestDriver } from "../domain/driver";
import { AppError, invalidState, notFound } from "../domain/errors";
import { canDisks, type DiskCapable, type VolumeRef } from "../domain/guest-disks";
import type { StorageBackend, StoragePool } from "../domain/storage";
import type { DriverRegistry } from "./driver-registry";
import type { GuestCatalog } from "./guest-catalog";
import type { GuestTasks } from "./guest-tasks";
import type { StorageService } from "./storage-service";
import type { Actor } from "./task-service";

const GiB = 1024 ** 3;

/** A create body's disk, checked: a new volume to make, or an existing one to attach. */
export type PlannedDisk =
  | { kind: "new"; name: string; sizeGiB: number; pool: string | undefined }
  | { kind: "existing"; volumeId: string; ref: VolumeRef };

export class GuestDiskService {
  constructor(
    private readonly drivers: DriverRegistry,
    private readonly catalog: GuestCatalog,
    private readonly guestTasks: GuestTasks,
    private readonly storage: StorageService,
    private readonly db: Db,
  ) {}

  /** Every disk of the VM, root disk first (volumeId null: Tandem made it with the VM). */
  async list(id: string): Promise<GuestDisk[]> {
    await this.catalog.get(id);
    const disks = await this.driver(id).listDisks(id);
    const rows = await this.storage.attachmentsOf(id);
    return disks.map((d) => {
      const a = rows.find((r) => r.volume.path === d.path);
      return {
        target: d.target,
        volumeId: a?.volumeId ?? null,
        pool: a?.volume.pool ?? null,
        path: d.path,
        capacityBytes: d.capacityBytes,
        readOnly: d.readOnly,
      };
    });
  }

  /** A new volume named after the guest, or an unattached `disk` volume, plugged in as the next vdX. */
  async add(actor: Actor, id: string, body: NewDisk): Promise<{ taskId: string }> {
    const guest = await this.changeable(id, "add a disk to");
    const driver = this.driver(id);
    const [planned] = await this.plan(id, guest.name, [body], (f) => f);
    const p = planned!;
    const what = p.kind === "new" ? `add a ${p.sizeGiB} GiB disk` : "attach a disk";
    return this.guestTasks.run(actor, guest, { kind: "disk-add", action: what }, async (progress) => {
      const made = p.kind === "new" ? await this.make(p) : null;
      const volumeId = made?.volumeId ?? (p.kind === "existing" ? p.volumeId : "");
      const ref = made?.ref ?? (p.kind === "existing" ? p.ref : null)!;
      progress(50, "attaching");
      try {
        const { target } = await driver.attachDisk(id, ref);
        await this.storage.attach(id, volumeId, target, false).catch(async (e: unknown) => {
          await driver.detachDisk(id, target).catch(() => undefined);
          throw e;
        });
      } catch (e) {
        if (made) await this.storage.remove(made.volumeId).catch(() => undefined);
        throw e;
      }
    });
  }

  /** Unplugs the disk (live and config when running); `purge` also deletes its volume. */
  async detach(actor: Actor, id: string, volumeId: string, purge: boolean): Promise<{ taskId: string }> {
    const guest = await this.changeable(id, "detach a disk of");
    const driver = this.driver(id);
    const a = await this.attachment(id, volumeId);
    if (purge) await this.refuseIfClonesRest(driver, id, a.volume.path, "delete");
    const spec = { kind: "disk-detach", action: `detach ${a.target}${purge ? " and delete its volume" : ""}` } as const;
    return this.guestTasks.run(actor, guest, spec, async () => {
      await driver.detachDisk(id, a.target);
      await this.storage.detach(id, a.volumeId);
      if (purge) await this.storage.remove(a.volumeId);
    });
  }

  /** Grows the disk: under a running guest (it sees the size at once), else its volume. */
  async resize(actor: Actor, id: string, volumeId: string, sizeGiB: number): Promise<{ taskId: string }> {
    const guest = await this.changeable(id, "resize a disk of");
    const driver = this.driver(id);
    const a = await this.attachment(id, volumeId);
    await this.refuseIfClonesRest(driver, id, a.volume.path, "grow");
    const now = (await driver.listDisks(id)).find((d) => d.target === a.target);
    const bytes = sizeGiB * GiB;
    if (now && bytes <= now.capacityBytes) {
      throw new AppError(
        "VALIDATION",
        `sizeGiB: disks only grow; ${a.target} is ${+(now.capacityBytes / GiB).toFixed(2)} GiB already`,
        { field: "sizeGiB" },
      );
    }
    const spec = { kind: "disk-resize", action: `grow ${a.target} to ${sizeGiB} GiB` } as const;
    return this.guestTasks.run(actor, guest, spec, async () => {
      // The state read again under the lock: a stopped VM's volume is grown by the storage backend.
      if ((await this.drivers.forGuest(id).get(id)).state === "running") await driver.growDiskLive(id, a.target, bytes);
      else await this.backend().resizeVolume(a.volume.path, bytes);
      await this.db.volume.update({ where: { id: a.volumeId }, data: { capacityMiB: sizeGiB * 1024 } });
    });
  }

  /** Copies the disk's volume to `pool`, switches the stopped VM to the copy, deletes the original. */
  async move(actor: Actor, id: string, volumeId: string, pool: string): Promise<{ taskId: string }> {
    const guest = await this.changeable(id, "move a disk of");
    const driver = this.driver(id);
    if (guest.state !== "stopped") {
      throw invalidState(`shut ${guest.name} down to move its disk: a running VM's disk cannot change pools`);
    }
    const a = await this.attachment(id, volumeId);
    if (a.volume.pool === pool)
      throw new AppError("VALIDATION", `pool: the disk is in ${pool} already`, { field: "pool" });
    await this.poolOf(pool, "pool");
    await this.refuseIfClonesRest(driver, id, a.volume.path, "move");
    const spec = { kind: "disk-move", action: `move ${a.target} from ${a.volume.pool} to ${pool}` } as const;
    return this.guestTasks.run(actor, guest, spec, async (progress) => {
      const backend = this.backend();
      const format = a.volume.format === "raw" ? "raw" : "qcow2";
      progress(10, `copying to ${pool}`);
      const copy = await backend.copyVolume(a.volume.path, pool, path.basename(a.volume.path), format);
      try {
        progress(80, "switching the VM to the copy");
        await driver.switchDisk(id, a.target, { path: copy.path, format });
        await this.db.volume.update({ where: { id: a.volumeId }, data: { pool, path: copy.path } });
      } catch (e) {
        // Put the VM back on its original (a no-op when the switch never happened), then drop the copy.
        await driver.switchDisk(id, a.target, { path: a.volume.path, format }).catch(() => undefined);
        await backend.deleteVolume(copy.path).catch(() => undefined);
        throw e;
      }
      await backend.deleteVolume(a.volume.path);
    });
  }

  // ------------------------------------------------------------------ create body `disks`

  /**
   * A create body's disks checked before anything is made (400/409 naming `disks[i].…`): each
   * existing volume a `disk` volume attached nowhere, each pool one the backend has.
   */
  async plan(
    guestId: string,
    guestName: string,
    disks: readonly NewDisk[],
    field: (f: string, i: number) => string = (f, i) => `disks[${i}].${f}`,
  ): Promise<PlannedDisk[]> {
    const out: PlannedDisk[] = [];
    const names = new Set<string>();
    for (const [i, d] of disks.entries()) {
      if ("volume" in d) {
        const f = field("volume", i);
        const row = await this.storage.row(d.volume).catch((e: unknown) => {
          if (e instanceof AppError && e.code === "NOT_FOUND") {
            throw new AppError("VALIDATION", `${f}: no volume '${d.volume}'`, { field: f });
          }
          throw e;
        });
        if (row.use !== "disk") {
          throw new AppError("VALIDATION", `${f}: '${row.name}' is a container volume, not a VM disk volume`, {
            field: f,
          });
        }
        if (out.some((o) => o.kind === "existing" && o.volumeId === row.id)) {
          throw new AppError("VALIDATION", `${f}: '${row.name}' is given twice`, { field: f });
        }
        if (row.attachments.some((x) => x.guestId === guestId)) {
          throw new AppError("CONFLICT", `${f}: '${row.name}' is already a disk of ${guestName}`, { field: f });
        }
        await this.storage.assertAttachable(row, guestId, false, f);
        out.push({
          kind: "existing",
          volumeId: row.id,
          ref: { path: row.path, format: row.format === "raw" ? "raw" : "qcow2" },
        });
      } else {
        const pool = d.pool === undefined ? null : await this.poolOf(d.pool, field("pool", i));
        const needed = d.sizeGiB * GiB;
        if (pool && pool.availableBytes < needed) {
          throw new AppError(
            "INSUFFICIENT_RESOURCES",
            `${field("sizeGiB", i)}: pool ${pool.name} has ${Math.floor(pool.availableBytes / GiB)} GiB free, ${d.sizeGiB} GiB asked`,
            { field: field("sizeGiB", i) },
          );
        }
        const name = await this.freeName(guestName, names);
        names.add(name);
        out.push({ kind: "new", name, sizeGiB: d.sizeGiB, pool: d.pool });
      }
    }
    return out;
  }

  /**
   * Makes the planned disks for a new VM (volumes and their attachment rows, vdb… in order) and
   * runs `create` with their refs; if it fails, the rows go and the volumes made here are deleted.
   */
  async withCreateDisks<T>(
    guestId: string,
    planned: readonly PlannedDisk[],
    create: (refs: VolumeRef[]) => Promise<T>,
  ) {
    const made: string[] = [];
    const attached: string[] = [];
    try {
      const refs: VolumeRef[] = [];
      for (const [i, p] of planned.entries()) {
        const v = p.kind === "new" ? await this.make(p) : { volumeId: p.volumeId, ref: p.ref };
        if (p.kind === "new") made.push(v.volumeId);
        await this.storage.attach(guestId, v.volumeId, `vd${String.fromCharCode(98 + i)}`, false);
        attached.push(v.volumeId);
        refs.push(v.ref);
      }
      return await create(refs);
    } catch (e) {
      for (const v of attached) await this.storage.detach(guestId, v).catch(() => undefined);
      for (const v of made) await this.storage.remove(v).catch(() => undefined);
      throw e;
    }
  }

  // ------------------------------------------------------------------ internals

  private async make(p: Extract<PlannedDisk, { kind: "new" }>): Promise<{ volumeId: string; ref: VolumeRef }> {
    const v = await this.storage.create({ name: p.name, sizeGiB: p.sizeGiB, pool: p.pool, use: "disk" });
    const row = await this.storage.row(v.id);
    return { volumeId: v.id, ref: { path: row.path, format: row.format === "raw" ? "raw" : "qcow2" } };
  }

  /** `<guest>-disk1`, `-disk2`, …: the first name no volume (nor one planned beside it) has. */
  private async freeName(guestName: string, planned: ReadonlySet<string>): Promise<string> {
    const base = guestName.slice(0, 50);
    for (let n = 1; ; n++) {
      const name = `${base}-disk${n}`;
      if (planned.has(name)) continue;
      if (!(await this.db.volume.findUnique({ where: { name } }))) return name;
    }
  }

  private async poolOf(name: string, field: string): Promise<StoragePool> {
    const pool = (await this.storage.listPools()).find((p) => p.name === name);
    if (!pool) throw new AppError("VALIDATION", `${field}: no storage pool '${name}'`, { field });
    if (pool.state !== "running") {
      throw new AppError("VALIDATION", `${field}: storage pool '${name}' is ${pool.state}, not running`, { field });
    }
    return pool;
  }

  /** A linked clone's overlay rests on the volume's file: it must stay as it is (CONFLICT naming them). */
  private async refuseIfClonesRest(driver: DiskCapable, id: string, file: string, what: string): Promise<void> {
    const clones = await driver.diskClones(id, file);
    if (clones.length) {
      throw new AppError(
        "CONFLICT",
        `cannot ${what} this disk: the linked clones ${clones.map((c) => `'${c.name}'`).join(", ")} rest on it`,
        { usedBy: clones.map((c) => c.id) },
      );
    }
  }

  private async attachment(id: string, volumeId: string) {
    const a = (await this.storage.attachmentsOf(id)).find((x) => x.volumeId === volumeId || x.volume.name === volumeId);
    if (!a) throw notFound("disk", volumeId);
    return a;
  }

  /** The guest, if a change may start now: running or stopped (not creating, paused, …). */
  private async changeable(id: string, what: string) {
    const guest = await this.catalog.get(id);
    this.driver(id);
    if (guest.state !== "running" && guest.state !== "stopped") {
      throw invalidState(`cannot ${what} ${guest.name}: it is ${guest.state}`);
    }
    return guest;
  }

  private driver(id: string): GuestDriver & DiskCapable {
    return this.drivers.capable(id, canDisks, "disks");
  }

  /** The storage backend: the driver that has pools (the VM driver's libvirt pools). */
  private backend(): StorageBackend {
    for (const d of this.drivers.drivers()) {
      const s = (d as { storage?: StorageBackend | null }).storage;
      if (s) return s;
    }
    throw new AppError("BACKEND_UNAVAILABLE", "no storage backend: disks need the VM driver's storage pools");
  }
}
