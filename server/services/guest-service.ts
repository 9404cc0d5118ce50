// One list of VMs and containers: reads the truth from the drivers, joins Tandem's own fields
// (tags, notes), runs lifecycle work as tasks, and turns driver events into pushed updates.
import { randomUUID } from "node:crypto";
import type { CreateGuestBody, Guest, GuestAction, GuestCapabilities, GuestKind } from "../contract/guest";
import { canAct, canDelete } from "../contract/states";
import type { Db } from "../db/client";
import {
  canClone,
  canExec,
  canLog,
  canRename,
  canResize,
  canSnapshot,
  canVnc,
  type DriverGuest,
  type GuestDriver,
  type Progress,
} from "../domain/driver";
import { AppError, invalidState, notFound } from "../domain/errors";
import { makeGuestId, parseGuestId } from "../domain/ids";
import type { Bus } from "./bus";
import type { ImageService } from "./image-service";
import type { Actor, TaskService } from "./task-service";

interface Logger {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
  debug(o: object, m?: string): void;
}

export interface HostCapacity {
  cpus: number;
  memoryBytes: number;
}

export class GuestService {
  /** Guests being created: shown as 'creating' until the driver has them. */
  private readonly pending = new Map<string, Guest>();
  /** Guests with a task in flight; a second action on one gets CONFLICT. */
  private readonly busy = new Set<string>();
  private readonly abort = new AbortController();

  constructor(
    private readonly drivers: Map<GuestKind, GuestDriver>,
    private readonly db: Db,
    private readonly tasks: TaskService,
    private readonly images: ImageService,
    private readonly bus: Bus,
    private readonly hostId: string,
    private readonly capacity: () => HostCapacity,
    private readonly log: Logger,
  ) {}

  kinds(): GuestKind[] {
    return [...this.drivers.keys()];
  }

  driverFor(kind: GuestKind): GuestDriver {
    const d = this.drivers.get(kind);
    if (!d) throw new AppError("BACKEND_UNAVAILABLE", `no ${kind} backend is enabled on this host`);
    return d;
  }

  /** The truth from every driver, joined with Tandem's metadata. A failing backend is skipped. */
  async list(): Promise<Guest[]> {
    const metas = await this.metaMap();
    const lists = await Promise.all(
      [...this.drivers.values()].map((d) =>
        d.list().catch((err: unknown) => {
          this.log.warn({ err, kind: d.kind }, "backend list failed");
          return [] as DriverGuest[];
        }),
      ),
    );
    const guests = lists.flat().map((g) => this.join(g, metas.get(g.id)));
    const seen = new Set(guests.map((g) => g.id));
    for (const p of this.pending.values()) if (!seen.has(p.id)) guests.push(p);
    return guests.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(id: string): Promise<Guest> {
    const pending = this.pending.get(id);
    if (pending) return pending;
    const driver = this.driverForId(id);
    const g = await driver.get(id);
    const meta = await this.db.guestMeta.findUnique({ where: { guestId: id } });
    return this.join(g, meta ?? undefined);
  }

  async create(actor: Actor, body: CreateGuestBody): Promise<{ guest: Guest; taskId: string }> {
    const driver = this.driverFor(body.kind);
    const image = await this.images.resolve(body.image);
    if (image.kind !== body.kind) {
      throw new AppError("VALIDATION", `image '${body.image}' is a ${image.kind} image, not a ${body.kind} image`);
    }
    const cap = this.capacity();
    if (body.vcpus > cap.cpus) {
      throw new AppError("VALIDATION", `vcpus ${body.vcpus} exceeds the host's ${cap.cpus} CPUs`);
    }
    if (body.memoryMiB * 1024 * 1024 > cap.memoryBytes) {
      throw new AppError("VALIDATION", `memoryMiB ${body.memoryMiB} exceeds the host's memory`);
    }
    const existing = await this.list();
    if (existing.some((g) => g.kind === body.kind && g.name === body.name)) {
      throw new AppError("CONFLICT", `a ${body.kind} named '${body.name}' already exists`);
    }
    const uuid = randomUUID();
    return this.build(actor, "create", {
      uuid,
      kind: body.kind,
      name: body.name,
      vcpus: body.vcpus,
      memoryMiB: body.memoryMiB,
      diskGiB: body.diskGiB ?? null,
      image: body.image,
      tags: body.tags ?? [],
      work: (progress) => driver.create({ ...body, uuid, resolvedImage: image }, progress),
    });
  }

  /** A copy of a stopped guest under a new name; linked (copy-on-write) or full. */
  async clone(actor: Actor, sourceId: string, opts: { name: string; mode: "linked" | "full" }) {
    const source = await this.get(sourceId);
    const driver = this.driverForId(sourceId);
    if (!canClone(driver)) throw new AppError("BAD_REQUEST", `cloning is not available for ${source.kind}s`);
    if (source.state !== "stopped") throw invalidState(`stop ${source.name} before cloning it`);
    if ((await this.list()).some((g) => g.kind === source.kind && g.name === opts.name)) {
      throw new AppError("CONFLICT", `a ${source.kind} named '${opts.name}' already exists`);
    }
    const uuid = randomUUID();
    return this.build(actor, `clone of ${source.name}`, {
      uuid,
      kind: source.kind,
      name: opts.name,
      vcpus: source.vcpus,
      memoryMiB: source.memoryMiB,
      diskGiB: source.diskGiB,
      image: source.image,
      tags: source.tags,
      work: (progress) => driver.clone(sourceId, { ...opts, uuid }, progress),
    });
  }

  /**
   * Shows a 'creating' placeholder at once and runs the driver's work as a task. On failure
   * nothing is left: no placeholder, no metadata row (the driver cleans up its own files).
   */
  private async build(
    actor: Actor,
    action: string,
    g: {
      uuid: string;
      kind: GuestKind;
      name: string;
      vcpus: number;
      memoryMiB: number;
      diskGiB: number | null;
      image: string | null;
      tags: string[];
      work: (progress: (p: Progress) => void) => Promise<unknown>;
    },
  ): Promise<{ guest: Guest; taskId: string }> {
    const id = makeGuestId(this.hostId, g.kind, g.uuid);
    const placeholder: Guest = {
      id,
      hostId: this.hostId,
      kind: g.kind,
      name: g.name,
      state: "creating",
      vcpus: g.vcpus,
      memoryMiB: g.memoryMiB,
      diskGiB: g.diskGiB,
      image: g.image,
      createdAt: new Date().toISOString(),
      adopted: false,
      tags: g.tags,
      notes: "",
      ipAddresses: [],
      capabilities: this.capabilitiesOf(g.kind),
    };
    this.pending.set(id, placeholder);
    this.busy.add(id);
    this.bus.emit("guest:upsert", placeholder);
    const abandon = () => {
      this.pending.delete(id);
      this.busy.delete(id);
      this.bus.emit("guest:removed", { id });
    };
    // If even the task cannot be recorded (a full or read-only disk), no placeholder may linger.
    const taskId = await this.tasks
      .start(actor, action, { kind: g.kind, id, name: g.name }, async (progress) => {
        try {
          await this.db.guestMeta.upsert({
            where: { guestId: id },
            create: { guestId: id, hostId: this.hostId, kind: g.kind, name: g.name, tags: JSON.stringify(g.tags) },
            update: {},
          });
          await g.work((p) => progress(p.percent, p.message));
        } catch (e) {
          this.pending.delete(id);
          // Best effort: on a full disk this write fails too, and the original error matters more.
          await this.db.guestMeta.deleteMany({ where: { guestId: id } }).catch(() => {});
          this.bus.emit("guest:removed", { id });
          throw e;
        } finally {
          this.busy.delete(id);
        }
        this.pending.delete(id);
        await this.publish(id);
      })
      .catch((e: unknown) => {
        abandon();
        throw e;
      });
    return { guest: placeholder, taskId };
  }

  async act(actor: Actor, id: string, action: GuestAction): Promise<{ taskId: string }> {
    const guest = await this.get(id);
    if (!canAct(guest.state, action)) {
      throw invalidState(`cannot ${action} ${guest.name}: it is ${guest.state}`);
    }
    return this.runExclusive(actor, guest, action, async () => {
      await this.driverForId(id).act(id, action);
    });
  }

  async remove(actor: Actor, id: string, purge: boolean): Promise<{ taskId: string }> {
    const guest = await this.get(id);
    if (!canDelete(guest.state)) throw invalidState(`cannot delete ${guest.name}: it is ${guest.state}`);
    return this.runExclusive(actor, guest, purge ? "delete+purge" : "delete", async (progress) => {
      const driver = this.driverForId(id);
      const current = await driver.get(id);
      if (canAct(current.state, "stop")) {
        progress(10, "stopping");
        await driver.act(id, "stop");
      }
      progress(50, "removing");
      await driver.remove(id, { purgeDisks: purge });
      await this.db.guestMeta.deleteMany({ where: { guestId: id } });
      this.bus.emit("guest:removed", { id });
    });
  }

  /** Tags and notes (Tandem's own), and a new name or size (the backend's). */
  async update(
    id: string,
    patch: { tags?: string[]; notes?: string; name?: string; vcpus?: number; memoryMiB?: number },
  ): Promise<Guest> {
    let guest = await this.get(id);
    const driver = this.driverForId(id);
    if (patch.name !== undefined && patch.name !== guest.name) {
      if (!canRename(driver)) throw new AppError("BAD_REQUEST", `renaming is not available for ${guest.kind}s`);
      if ((await this.list()).some((g) => g.kind === guest.kind && g.name === patch.name)) {
        throw new AppError("CONFLICT", `a ${guest.kind} named '${patch.name}' already exists`);
      }
      await driver.rename(id, patch.name);
      await this.db.guestMeta.updateMany({ where: { guestId: id }, data: { name: patch.name } });
    }
    const size = {
      ...(patch.vcpus !== undefined && patch.vcpus !== guest.vcpus ? { vcpus: patch.vcpus } : {}),
      ...(patch.memoryMiB !== undefined && patch.memoryMiB !== guest.memoryMiB ? { memoryMiB: patch.memoryMiB } : {}),
    };
    if (Object.keys(size).length) {
      if (!canResize(driver)) throw new AppError("BAD_REQUEST", `resizing is not available for ${guest.kind}s`);
      if (guest.kind === "vm" && size.vcpus !== undefined && !Number.isInteger(size.vcpus)) {
        throw new AppError("VALIDATION", "a VM's vcpus must be a whole number");
      }
      const cap = this.capacity();
      if ((size.vcpus ?? 0) > cap.cpus) throw new AppError("VALIDATION", `vcpus exceeds the host's ${cap.cpus} CPUs`);
      if ((size.memoryMiB ?? 0) * 1024 * 1024 > cap.memoryBytes) {
        throw new AppError("VALIDATION", "memoryMiB exceeds the host's memory");
      }
      await driver.resize(id, size);
    }
    guest = await this.get(id);
    return this.updateMeta(id, { tags: patch.tags, notes: patch.notes }, guest);
  }

  private async updateMeta(id: string, patch: { tags?: string[]; notes?: string }, guest: Guest): Promise<Guest> {
    await this.db.guestMeta.upsert({
      where: { guestId: id },
      create: {
        guestId: id,
        hostId: guest.hostId,
        kind: guest.kind,
        name: guest.name,
        tags: JSON.stringify(patch.tags ?? guest.tags),
        notes: patch.notes ?? guest.notes,
      },
      update: {
        ...(patch.tags ? { tags: JSON.stringify(patch.tags) } : {}),
        ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      },
    });
    return this.publish(id);
  }

  /**
   * Rolls back creates (and clones) that a previous process left unfinished: their task is
   * already marked failed, so the guest must not exist either ("whole or not at all"). Whatever
   * the driver still has of it — a defined domain, a running container — is stopped and removed
   * with its disks, as a task of its own so the activity log says what happened.
   */
  async rollbackInterruptedCreates(interrupted: { action: string; targetId: string | null }[]): Promise<void> {
    const ids = interrupted
      .filter((t) => t.targetId && (t.action === "create" || t.action.startsWith("clone of ")))
      .map((t) => t.targetId!);
    for (const id of ids) {
      let driver: GuestDriver;
      let current: DriverGuest;
      try {
        driver = this.driverForId(id);
        current = await driver.get(id);
      } catch (err) {
        // Gone already (the driver cleaned up itself) or its backend is down: nothing to undo here.
        if (!(err instanceof AppError && err.code === "NOT_FOUND"))
          this.log.warn({ err, id }, "cannot check an interrupted create");
        await this.db.guestMeta.deleteMany({ where: { guestId: id } }).catch(() => {});
        continue;
      }
      const actor = { userId: null, username: "tandem" };
      const target = { kind: current.kind, id, name: current.name };
      this.busy.add(id);
      const taskId = await this.tasks.start(actor, "roll back interrupted create", target, async (progress) => {
        try {
          if (canAct(current.state, "stop")) {
            progress(10, "stopping");
            await driver.act(id, "stop");
          }
          progress(50, "removing with its disks");
          await driver.remove(id, { purgeDisks: true });
          await this.db.guestMeta.deleteMany({ where: { guestId: id } });
          this.bus.emit("guest:removed", { id });
        } finally {
          this.busy.delete(id);
        }
      });
      const done = await this.tasks.waitFor(taskId, 120_000);
      this.log.warn(
        { id, name: current.name, state: done.state, error: done.error },
        "rolled back an interrupted create",
      );
    }
  }

  /**
   * Brings the database in line with the hosts: records adopted guests, forgets guests that
   * vanished — but only from a backend that answered, so a daemon outage loses nothing.
   */
  async reconcile(): Promise<void> {
    const metas = await this.metaMap();
    for (const driver of this.drivers.values()) {
      let guests: DriverGuest[];
      try {
        guests = await driver.list();
      } catch (err) {
        this.log.warn({ err, kind: driver.kind }, "reconcile skipped: backend unavailable");
        continue;
      }
      const present = new Set(guests.map((g) => g.id));
      for (const g of guests) {
        if (!metas.has(g.id)) {
          await this.db.guestMeta.create({
            data: { guestId: g.id, hostId: g.hostId, kind: g.kind, name: g.name },
          });
        }
      }
      for (const [id, m] of metas) {
        if (m.kind === driver.kind && !present.has(id) && !this.pending.has(id)) {
          await this.db.guestMeta.delete({ where: { guestId: id } });
        }
      }
    }
  }

  /** Follows every driver's events until stop(): each event is a hint to re-read the guest. */
  watch(): void {
    for (const driver of this.drivers.values()) {
      void (async () => {
        try {
          for await (const ev of driver.events(this.abort.signal)) {
            if (ev.type === "connection") {
              this.log.info({ kind: driver.kind, healthy: ev.healthy, message: ev.message }, "backend connection");
              if (ev.healthy) await this.reconcile().catch((err) => this.log.warn({ err }, "reconcile failed"));
              continue;
            }
            if (this.pending.has(ev.id)) continue;
            if (ev.type === "removed") {
              this.bus.emit("guest:removed", { id: ev.id });
              continue;
            }
            await this.publish(ev.id).catch((err: unknown) => {
              if (err instanceof AppError && err.code === "NOT_FOUND") this.bus.emit("guest:removed", { id: ev.id });
              else this.log.warn({ err, id: ev.id }, "re-read after event failed");
            });
          }
        } catch (err) {
          if (!this.abort.signal.aborted) this.log.error({ err, kind: driver.kind }, "driver event stream ended");
        }
      })();
    }
  }

  stop(): void {
    this.abort.abort();
  }

  private async runExclusive(
    actor: Actor,
    guest: Guest,
    action: string,
    work: (progress: (p: number, m?: string) => void) => Promise<void>,
  ): Promise<{ taskId: string }> {
    if (this.busy.has(guest.id)) {
      throw new AppError("CONFLICT", `${guest.name} is busy with another task; try again when it finishes`);
    }
    this.busy.add(guest.id);
    try {
      const taskId = await this.tasks.start(
        actor,
        action,
        { kind: guest.kind, id: guest.id, name: guest.name },
        async (progress) => {
          try {
            await work(progress);
          } finally {
            // Free the guest before announcing its new state, so a client that reacts to the
            // pushed state can act on it at once.
            this.busy.delete(guest.id);
          }
          if (!action.startsWith("delete")) await this.publish(guest.id).catch(() => {});
        },
      );
      return { taskId };
    } catch (e) {
      this.busy.delete(guest.id);
      throw e;
    }
  }

  private async publish(id: string): Promise<Guest> {
    const g = await this.get(id);
    this.bus.emit("guest:upsert", g);
    return g;
  }

  private driverForId(id: string): GuestDriver {
    const parsed = parseGuestId(id);
    if (!parsed || parsed.hostId !== this.hostId) throw notFound("guest", id);
    const d = this.drivers.get(parsed.kind);
    if (!d) throw notFound("guest", id);
    return d;
  }

  private async metaMap() {
    const rows = await this.db.guestMeta.findMany();
    return new Map(rows.map((r) => [r.guestId, r]));
  }

  private join(g: DriverGuest, meta?: { tags: string; notes: string }): Guest {
    return { ...g, tags: parseTags(meta?.tags), notes: meta?.notes ?? "", capabilities: this.capabilitiesOf(g.kind) };
  }

  private capabilitiesOf(kind: GuestKind): GuestCapabilities {
    const d = this.drivers.get(kind);
    return d
      ? {
          vnc: canVnc(d),
          exec: canExec(d),
          snapshots: canSnapshot(d),
          logs: canLog(d),
          clone: canClone(d),
          rename: canRename(d),
          resize: canResize(d),
        }
      : { vnc: false, exec: false, snapshots: false, logs: false, clone: false, rename: false, resize: false };
  }
}

function parseTags(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
