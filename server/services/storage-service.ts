// Storage as Tandem keeps it: the pools the storage backend (the VM driver's libvirt pools)
// offers, and the Volume rows for the volumes Tandem made in them, with their attachments
// (VolumeAttachment: a container mount or a VM disk). A volume's row is written first (it claims
// the name) and dropped again when the backend refuses the volume, so the list never shows a
// volume that is not there. Also the rules every attachment follows (one writer, or any number
// of readers) and the container side: resolving a create body's volumes and binds, attaching and
// detaching later (applied at the container's next start), and a delete's purge.
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Volume as VolumeRow, VolumeAttachment as AttachmentRow } from "@prisma/client";
import type { BindMount, CreateVolumeBody, Pool, Volume, VolumeMount } from "../contract/storage";
import type { Db } from "../db/client";
import { AppError, notFound } from "../domain/errors";
import type { ResolvedBind, ResolvedVolume, StorageBackend, VolumeFormat, VolumeMountCapable } from "../domain/storage";
import type { Logger } from "./logger";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface StorageDeps {
  db: Db;
  /** Null when no driver offers storage (fake drivers, libvirt off): lists are empty, creates refused. */
  backend: StorageBackend | null;
  /** The container driver's mounts, when containers are on. */
  mounter: VolumeMountCapable | null;
  /** TANDEM_BIND_MOUNT_ROOTS, normalized. */
  bindRoots: readonly string[];
  log: Logger;
}

type Row = VolumeRow & { attachments: AttachmentRow[] };

export class StorageService {
  constructor(private readonly d: StorageDeps) {}

  async listPools(): Promise<Pool[]> {
    return this.d.backend ? this.d.backend.listPools() : [];
  }

  async listVolumes(): Promise<Volume[]> {
    const rows = await this.d.db.volume.findMany({ include: { attachments: true }, orderBy: { name: "asc" } });
    return this.present(rows);
  }

  /** By id, else by name; NOT_FOUND otherwise. */
  async get(idOrName: string): Promise<Volume> {
    const [v] = await this.present([await this.row(idOrName)]);
    return v!;
  }

  /**
   * A new volume in a pool (the default one unless named). `filesystem`: raw, every byte
   * allocated, ext4 made by the container driver; `disk`: qcow2, sparse (VM disks).
   */
  async create(body: CreateVolumeBody): Promise<Volume> {
    const backend = this.backendOrFail();
    const fsMaker = body.use === "filesystem" ? this.mounterOrFail() : null;
    const format: VolumeFormat = body.use === "disk" ? "qcow2" : "raw";
    const pool = body.pool ?? backend.defaultPool;
    const id = randomUUID();
    // The row claims the name (unique) before anything is made; its path is set once known.
    try {
      await this.d.db.volume.create({
        data: {
          id,
          name: body.name,
          pool,
          path: `pending:${id}`,
          format,
          use: body.use,
          capacityMiB: body.sizeGiB * 1024,
        },
      });
    } catch (e) {
      if ((e as { code?: string }).code === "P2002") {
        throw new AppError("CONFLICT", `name: a volume '${body.name}' exists`, { field: "name" });
      }
      throw e;
    }
    let made: string | null = null;
    try {
      const vol = await backend.createVolume({
        pool,
        name: `${body.name}.${format}`,
        capacityBytes: body.sizeGiB * GiB,
        format,
        allocation: body.use === "filesystem" ? "full" : "sparse",
      });
      made = vol.path;
      if (fsMaker) await fsMaker.makeFilesystem(vol.path);
      await this.d.db.volume.update({ where: { id }, data: { path: vol.path } });
    } catch (e) {
      if (made) await backend.deleteVolume(made).catch((err: unknown) => this.warn(err, "volume rollback failed"));
      await this.d.db.volume.delete({ where: { id } }).catch(() => undefined);
      throw e;
    }
    this.d.log.info({ volume: body.name, pool, use: body.use, sizeGiB: body.sizeGiB }, "volume created");
    return this.get(id);
  }

  /** Deletes the volume and its row; 409 naming the guests while any guest has it attached. */
  async remove(idOrName: string): Promise<void> {
    const row = await this.row(idOrName);
    if (row.attachments.length) {
      const names = await this.guestNames(row.attachments.map((a) => a.guestId));
      throw new AppError(
        "CONFLICT",
        `the volume '${row.name}' is attached to ${row.attachments.map((a) => `'${names.get(a.guestId) ?? a.guestId}'`).join(", ")}`,
        { usedBy: row.attachments.map((a) => a.guestId) },
      );
    }
    const mounted = await this.mountedBy(row.path);
    if (mounted) {
      throw new AppError("CONFLICT", `the volume '${row.name}' is still mounted in '${mounted.name}' until it stops`);
    }
    if (this.d.backend && !row.path.startsWith("pending:")) await this.d.backend.deleteVolume(row.path);
    // Two deletes (or a delete and a purge) may race past the checks above: the loser is a 404.
    const { count } = await this.d.db.volume.deleteMany({ where: { id: row.id } });
    if (!count) throw notFound("volume", idOrName);
    this.d.log.info({ volume: row.name, pool: row.pool }, "volume deleted");
  }

  // -------------------------------------------------------------- attachments (both kinds)

  /**
   * Checks that `guestId` may attach the volume: read-write only when no other guest has it (or
   * has it mounted), read-only only while no other guest writes it. CONFLICT names the guest.
   */
  async assertAttachable(row: Row, guestId: string, readOnly: boolean, field: string): Promise<void> {
    const others = row.attachments.filter((a) => a.guestId !== guestId);
    const blocking = readOnly ? others.filter((a) => !a.readOnly) : others;
    const mounted = await this.mountedBy(row.path, guestId);
    if (blocking.length || (mounted && !readOnly)) {
      const ids = blocking.map((a) => a.guestId);
      const names = await this.guestNames(ids);
      const who = [...ids.map((i) => names.get(i) ?? i), ...(mounted ? [mounted.name] : [])];
      throw new AppError(
        "CONFLICT",
        `${field}: the volume '${row.name}' is in use ${readOnly ? "read-write " : ""}by '${who.join("', '")}'` +
          (readOnly ? "" : " (a volume has one writer at a time; readers may share it read-only)"),
        { field, usedBy: ids },
      );
    }
  }

  /** Attachment rows (a VM disk's target is its device, a container mount's its path). */
  async attach(guestId: string, volumeId: string, target: string, readOnly: boolean): Promise<void> {
    await this.d.db.volumeAttachment.create({ data: { id: randomUUID(), volumeId, guestId, target, readOnly } });
  }

  async detach(guestId: string, volumeId: string): Promise<number> {
    return (await this.d.db.volumeAttachment.deleteMany({ where: { guestId, volumeId } })).count;
  }

  /** The guest's attachments with their volumes. */
  async attachmentsOf(guestId: string): Promise<(AttachmentRow & { volume: VolumeRow })[]> {
    return this.d.db.volumeAttachment.findMany({ where: { guestId }, include: { volume: true } });
  }

  /**
   * What a delete with purge removes after the guest is gone: the volumes attached to it and to
   * no other guest (a volume another container reads is only detached).
   */
  async purgeable(guestId: string): Promise<VolumeRow[]> {
    const mine = await this.attachmentsOf(guestId);
    const out: VolumeRow[] = [];
    for (const a of mine) {
      const others = await this.d.db.volumeAttachment.count({
        where: { volumeId: a.volumeId, guestId: { not: guestId } },
      });
      if (!others) out.push(a.volume);
    }
    return out;
  }

  /** Deletes volumes (a purge's second half, once their guest is gone and their rows detached). */
  async purge(volumes: readonly VolumeRow[]): Promise<void> {
    for (const v of volumes) {
      await this.d.db.volumeAttachment.deleteMany({ where: { volumeId: v.id } });
      await this.remove(v.id);
    }
  }

  // -------------------------------------------------------------- containers

  /**
   * A create body's `volumes` for a container: each volume by id or name, a filesystem volume,
   * attachable, no two mounts at one path. 400/409 name `volumes[i].…`.
   */
  async resolveMounts(
    guestId: string,
    mounts: readonly VolumeMount[],
    binds: readonly BindMount[] = [],
    field = "volumes",
  ): Promise<ResolvedVolume[]> {
    const out: ResolvedVolume[] = [];
    const targets = new Set(binds.map((b) => b.path));
    for (const [i, m] of mounts.entries()) {
      const f = `${field}[${i}]`;
      const row = await this.row(m.volume).catch((e: unknown) => {
        if (e instanceof AppError && e.code === "NOT_FOUND") {
          throw new AppError("VALIDATION", `${f}.volume: no volume '${m.volume}'`, { field: `${f}.volume` });
        }
        throw e;
      });
      if (row.use !== "filesystem") {
        throw new AppError("VALIDATION", `${f}.volume: '${row.name}' is a VM disk volume, not a filesystem volume`, {
          field: `${f}.volume`,
        });
      }
      if (targets.has(m.path) || out.some((o) => o.target === m.path)) {
        throw new AppError("VALIDATION", `${f}.path: another mount uses ${m.path}`, { field: `${f}.path` });
      }
      if (out.some((o) => o.volumeId === row.id)) {
        throw new AppError("VALIDATION", `${f}.volume: '${row.name}' is mounted twice`, { field: `${f}.volume` });
      }
      await this.assertAttachable(row, guestId, m.readOnly ?? false, `${f}.volume`);
      out.push({ volumeId: row.id, name: row.name, path: row.path, target: m.path, readOnly: m.readOnly ?? false });
    }
    return out;
  }

  /**
   * A create body's `binds`: each hostPath normalized and under an allow-listed root (the
   * container driver then checks no symlink leads out of it). 400 naming `binds[i].hostPath`.
   */
  resolveBinds(binds: readonly BindMount[]): ResolvedBind[] {
    const out: ResolvedBind[] = [];
    for (const [i, b] of binds.entries()) {
      const field = `binds[${i}].hostPath`;
      const host = b.hostPath.length > 1 ? b.hostPath.replace(/\/+$/, "") : b.hostPath;
      if (path.posix.normalize(host) !== host) {
        throw new AppError("VALIDATION", `${field}: must be a normalized absolute path (no '.', '..' or '//')`, {
          field,
        });
      }
      const root = this.d.bindRoots.find((r) => host === r || host.startsWith(`${r}/`));
      if (!root) {
        throw new AppError(
          "VALIDATION",
          this.d.bindRoots.length
            ? `${field}: ${host} is not under a directory an admin allowed for bind mounts (${this.d.bindRoots.join(", ")})`
            : `${field}: bind mounts are off on this host (no TANDEM_BIND_MOUNT_ROOTS)`,
          { field },
        );
      }
      if (out.some((o) => o.target === b.path)) {
        throw new AppError("VALIDATION", `binds[${i}].path: another bind uses ${b.path}`, {
          field: `binds[${i}].path`,
        });
      }
      out.push({ root, relative: path.posix.relative(root, host), target: b.path, readOnly: b.readOnly ?? false });
    }
    if (out.length && !this.d.mounter) {
      throw new AppError("BACKEND_UNAVAILABLE", "bind mounts need the container driver (oci)");
    }
    this.d.mounter?.checkBinds(out);
    return out;
  }

  /**
   * Attachment rows for a new container's mounts (written as its create task starts). The
   * one-writer rule is checked again in the same transaction: two creates that both passed
   * resolveMounts cannot both take a volume.
   */
  async recordMounts(guestId: string, volumes: readonly ResolvedVolume[]): Promise<void> {
    class Taken {
      constructor(
        readonly index: number,
        readonly by: string[],
      ) {}
    }
    try {
      await this.d.db.$transaction(async (tx) => {
        for (const [i, v] of volumes.entries()) {
          const others = await tx.volumeAttachment.findMany({
            where: { volumeId: v.volumeId, guestId: { not: guestId } },
          });
          if (others.some((a) => !a.readOnly) || (!v.readOnly && others.length)) {
            throw new Taken(
              i,
              others.map((a) => a.guestId),
            );
          }
          await tx.volumeAttachment.create({
            data: { id: randomUUID(), volumeId: v.volumeId, guestId, target: v.target, readOnly: v.readOnly },
          });
        }
      });
    } catch (e) {
      if (!(e instanceof Taken)) throw e;
      // Rolled back; the names are read outside the transaction.
      const names = await this.guestNames(e.by);
      const field = `volumes[${e.index}].volume`;
      throw new AppError(
        "CONFLICT",
        `${field}: the volume '${volumes[e.index]!.name}' was just taken by '${e.by.map((g) => names.get(g) ?? g).join("', '")}'`,
        { field },
      );
    }
  }

  /** The container's mounts from its rows, handed to the driver for its next start. */
  async syncContainer(guestId: string): Promise<void> {
    const mounter = this.mounterOrFail();
    const rows = await this.attachmentsOf(guestId);
    await mounter.setMounts(guestId, {
      volumes: rows.map((a) => ({
        volumeId: a.volumeId,
        name: a.volume.name,
        path: a.volume.path,
        target: a.target,
        readOnly: a.readOnly,
      })),
    });
  }

  // -------------------------------------------------------------- internals

  async row(idOrName: string): Promise<Row> {
    const row =
      (await this.d.db.volume.findUnique({ where: { id: idOrName }, include: { attachments: true } })) ??
      (await this.d.db.volume.findUnique({ where: { name: idOrName }, include: { attachments: true } }));
    if (!row) throw notFound("volume", idOrName);
    return row;
  }

  private async present(rows: Row[]): Promise<Volume[]> {
    const names = await this.guestNames(rows.flatMap((r) => r.attachments.map((a) => a.guestId)));
    return Promise.all(
      rows.map(async (r) => {
        const live =
          this.d.backend && !r.path.startsWith("pending:")
            ? await this.d.backend.volumeAt(r.path).catch(() => null)
            : null;
        return {
          id: r.id,
          name: r.name,
          pool: r.pool,
          use: r.use === "disk" ? "disk" : "filesystem",
          format: r.format === "qcow2" ? "qcow2" : "raw",
          capacityBytes: live?.capacityBytes ?? r.capacityMiB * MiB,
          allocationBytes: live?.allocationBytes ?? null,
          createdAt: r.createdAt.toISOString(),
          attachedTo: r.attachments.map((a) => ({
            guestId: a.guestId,
            guestName: names.get(a.guestId) ?? a.guestId,
            target: a.target,
            readOnly: a.readOnly,
          })),
        } satisfies Volume;
      }),
    );
  }

  private async guestNames(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.d.db.guestMeta.findMany({ where: { guestId: { in: [...new Set(ids)] } } });
    return new Map(rows.map((r) => [r.guestId, r.name]));
  }

  /** The container that has the volume file mounted now (other than `except`), with its name. */
  private async mountedBy(volPath: string, except?: string): Promise<{ id: string; name: string } | null> {
    if (!this.d.mounter) return null;
    const hit = (await this.d.mounter.mountedVolumes()).find((m) => m.path === volPath && m.guestId !== except);
    if (!hit) return null;
    const names = await this.guestNames([hit.guestId]);
    return { id: hit.guestId, name: names.get(hit.guestId) ?? hit.guestId };
  }

  private backendOrFail(): StorageBackend {
    if (!this.d.backend) {
      throw new AppError("BACKEND_UNAVAILABLE", "no storage backend: volumes need the VM driver (libvirt)");
    }
    return this.d.backend;
  }

  private mounterOrFail(): VolumeMountCapable {
    if (!this.d.mounter) {
      throw new AppError("BACKEND_UNAVAILABLE", "filesystem volumes need the container driver (oci)");
    }
    return this.d.mounter;
  }

  private warn(err: unknown, msg: string): void {
    this.d.log.warn({ err: err instanceof Error ? err.message : String(err) }, msg);
  }
}
