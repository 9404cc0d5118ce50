// The VM driver's storage: libvirt storage pools and volumes through libvirt's storage API (never
// qemu-img), so the same calls work against a remote daemon and libvirt keeps its own pool
// accounting. Owns Tandem's default directory pool (persistent, autostarted, under the data
// directory, made on first use) and lists every other pool the host has as adopted: any
// running pool takes volumes. Volumes are addressed by path (domain/storage.ts): libvirt finds
// the pool itself. Has the shape of domain/storage.ts StorageBackend; VM disks use it directly.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  isNoStoragePool,
  isNoStorageVol,
  type Connection,
  type StoragePoolInfo,
  type StorageVolInfo,
} from "../../../../native/libvirt/index";
import { AppError } from "../../../domain/errors";
import type { NewVolume, StorageBackend, StoragePool, StorageVolume, VolumeFormat } from "../../../domain/storage";
import type { VmContext } from "./context";
import { makeReachable, shareDir } from "./qemu-access";

export const DEFAULT_POOL = "tandem";
const GiB = 1024 ** 3;

/** `<volume>` XML for libvirt: name, capacity and allocation in bytes, target format. */
export function volumeXml(v: {
  name: string;
  capacityBytes: number;
  format: VolumeFormat;
  allocation: number;
}): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v.name)) throw new AppError("INTERNAL", `not a volume name: ${v.name}`);
  return (
    `<volume><name>${v.name}</name>` +
    `<capacity unit='bytes'>${v.capacityBytes}</capacity>` +
    `<allocation unit='bytes'>${v.allocation}</allocation>` +
    `<target><format type='${v.format}'/></target></volume>`
  );
}

/** A dir pool's XML; its directory is QEMU's to search (0710, QEMU's group) and nobody else's. */
export function dirPoolXml(name: string, dir: string, group: number | null): string {
  const perms =
    group === null
      ? ""
      : `<permissions><mode>0710</mode><owner>${process.getuid?.() ?? 0}</owner><group>${group}</group></permissions>`;
  return `<pool type='dir'><name>${name}</name><target><path>${dir}</path>${perms}</target></pool>`;
}

const poolStates = new Set(["running", "inactive", "building", "degraded", "inaccessible"]);

export function toPool(p: StoragePoolInfo, volumeCount: number, defaultPool: string): StoragePool {
  return {
    name: p.name,
    type: p.type,
    state: poolStates.has(p.state) ? (p.state as StoragePool["state"]) : "inaccessible",
    path: p.targetPath,
    capacityBytes: p.capacity,
    allocationBytes: p.allocation,
    availableBytes: p.available,
    isDefault: p.name === defaultPool,
    volumeCount,
  };
}

const toVolume = (v: StorageVolInfo): StorageVolume => ({
  name: v.name,
  pool: v.pool,
  path: v.path,
  capacityBytes: v.capacity,
  allocationBytes: v.allocation,
});

const gib = (b: number) => `${(b / GiB).toFixed(b % GiB === 0 ? 0 : 2)} GiB`;

export class LibvirtStoragePools implements StorageBackend {
  /** Made once per connection (a restarted daemon still has it: the define is persistent). */
  private ensured: Promise<void> | null = null;

  constructor(
    private readonly ctx: VmContext,
    readonly defaultPool: string = DEFAULT_POOL,
  ) {
    ctx.onNewConnection(() => (this.ensured = null));
  }

  /** Where Tandem's default pool keeps its files. */
  get defaultPoolDir(): string {
    return path.join(this.ctx.layout.dataDir, "pools", this.defaultPool);
  }

  ensureDefaultPool(): Promise<void> {
    this.ensured ??= this.ensure().catch((e: unknown) => {
      this.ensured = null;
      throw this.ctx.fail(e, `set up the storage pool '${this.defaultPool}'`);
    });
    return this.ensured;
  }

  private async ensure(): Promise<void> {
    const c = await this.ctx.conn();
    const name = this.defaultPool;
    const existing = (await c.listStoragePools()).find((p) => p.name === name);
    const who = await this.ctx.qemu(c);
    if (!existing) {
      // The parent is Tandem's (0710 to QEMU's group); libvirt's build makes the pool's own
      // directory with the permissions in the XML.
      const parent = path.dirname(this.defaultPoolDir);
      await mkdir(parent, { recursive: true, mode: 0o700 });
      await shareDir(parent, who);
      await makeReachable(path.join(parent, "x"), who, this.ctx.layout.dataDir);
      await c.storagePoolDefineXML(dirPoolXml(name, this.defaultPoolDir, who?.gid ?? null));
      try {
        await c.storagePoolBuild(name);
        await c.storagePoolSetAutostart(name, true);
        await c.storagePoolCreate(name);
      } catch (e) {
        // A definition that cannot start is not left behind to be adopted half-made.
        await c.storagePoolUndefine(name).catch(() => undefined);
        throw e;
      }
      this.ctx.log.info({ pool: name, path: this.defaultPoolDir }, "made Tandem's default storage pool");
      return;
    }
    if (existing.persistent && !existing.autostart) await c.storagePoolSetAutostart(name, true);
    if (!existing.active) await c.storagePoolCreate(name);
  }

  async listPools(): Promise<StoragePool[]> {
    await this.ensureDefaultPool();
    const c = await this.ctx.conn();
    try {
      const pools = await c.listStoragePools();
      return await Promise.all(
        pools.map(async (p) => {
          if (!p.active) return toPool(p, 0, this.defaultPool);
          // A refresh picks up what changed outside libvirt (sizes, volumes) before counting.
          await c.storagePoolRefresh(p.name).catch(() => undefined);
          const [info, vols] = await Promise.all([
            c.storagePoolGetInfo(p.name),
            c.listStorageVolumes(p.name).catch(() => []),
          ]);
          return toPool(info, vols.length, this.defaultPool);
        }),
      );
    } catch (e) {
      throw this.ctx.fail(e, "list the storage pools");
    }
  }

  async createVolume(v: NewVolume): Promise<StorageVolume> {
    if (v.pool === this.defaultPool) await this.ensureDefaultPool();
    const c = await this.ctx.conn();
    const pool = await this.runningPool(c, v.pool);
    // libvirt would start writing and fail half-way (or overcommit a sparse file): refuse first.
    if (v.capacityBytes > pool.available) {
      throw new AppError(
        "INSUFFICIENT_RESOURCES",
        `pool: '${v.pool}' has ${gib(pool.available)} available, the volume needs ${gib(v.capacityBytes)}`,
        { field: "pool", pool: v.pool, availableBytes: pool.available, requestedBytes: v.capacityBytes },
      );
    }
    // A logical (LVM) pool has no formats: its volumes are block devices.
    const format = pool.type === "logical" ? "raw" : v.format;
    const xml = volumeXml({ ...v, format, allocation: v.allocation === "full" ? v.capacityBytes : 0 });
    try {
      return toVolume(await c.storageVolCreateXML(v.pool, xml));
    } catch (e) {
      if ((await this.volumeIn(c, v.pool, v.name)) !== null) {
        throw new AppError("CONFLICT", `name: pool '${v.pool}' already has a volume '${v.name}'`, { field: "name" });
      }
      throw this.ctx.fail(e, `create the volume '${v.name}' in the pool '${v.pool}'`);
    }
  }

  async deleteVolume(volPath: string): Promise<void> {
    const c = await this.ctx.conn();
    const vol = await this.lookup(c, volPath);
    if (!vol) return;
    try {
      await c.storageVolDelete(vol.pool, vol.name);
    } catch (e) {
      if (isNoStorageVol(e)) return;
      throw this.ctx.fail(e, `delete the volume ${volPath}`);
    }
  }

  async volumeAt(volPath: string): Promise<StorageVolume | null> {
    const c = await this.ctx.conn();
    const v = await this.lookup(c, volPath);
    return v && toVolume(v);
  }

  async resizeVolume(volPath: string, capacityBytes: number): Promise<StorageVolume> {
    const c = await this.ctx.conn();
    const vol = await this.lookup(c, volPath);
    if (!vol) throw new AppError("NOT_FOUND", `no volume at ${volPath}`);
    if (capacityBytes < vol.capacity) {
      throw new AppError("VALIDATION", `sizeGiB: a volume only grows (it has ${gib(vol.capacity)})`, {
        field: "sizeGiB",
      });
    }
    if (capacityBytes === vol.capacity) return toVolume(vol);
    const pool = await this.runningPool(c, vol.pool);
    if (capacityBytes - vol.capacity > pool.available) {
      throw new AppError(
        "INSUFFICIENT_RESOURCES",
        `pool: '${vol.pool}' has ${gib(pool.available)} available, growing the volume needs ${gib(capacityBytes - vol.capacity)}`,
        { field: "pool", pool: vol.pool },
      );
    }
    try {
      return toVolume(await c.storageVolResize(vol.pool, vol.name, capacityBytes));
    } catch (e) {
      throw this.ctx.fail(e, `resize the volume ${volPath}`);
    }
  }

  async copyVolume(volPath: string, toPool: string, name: string, format?: VolumeFormat): Promise<StorageVolume> {
    if (toPool === this.defaultPool) await this.ensureDefaultPool();
    const c = await this.ctx.conn();
    const src = await this.lookup(c, volPath);
    if (!src) throw new AppError("NOT_FOUND", `no volume at ${volPath}`);
    const pool = await this.runningPool(c, toPool);
    if (src.capacity > pool.available) {
      throw new AppError(
        "INSUFFICIENT_RESOURCES",
        `pool: '${toPool}' has ${gib(pool.available)} available, the copy needs ${gib(src.capacity)}`,
        { field: "pool", pool: toPool },
      );
    }
    const srcFormat = formatOf(await c.storageVolGetXMLDesc(src.pool, src.name));
    const fmt = pool.type === "logical" ? "raw" : (format ?? srcFormat);
    const xml = volumeXml({ name, capacityBytes: src.capacity, format: fmt, allocation: 0 });
    try {
      return toVolume(await c.storageVolCreateXMLFrom(toPool, xml, src.pool, src.name));
    } catch (e) {
      throw this.ctx.fail(e, `copy the volume ${volPath} to the pool '${toPool}'`);
    }
  }

  /** The volume's format as libvirt reports it (raw when it says nothing else Tandem uses). */
  async formatAt(volPath: string): Promise<VolumeFormat> {
    const c = await this.ctx.conn();
    const v = await this.lookup(c, volPath);
    if (!v) throw new AppError("NOT_FOUND", `no volume at ${volPath}`);
    return formatOf(await c.storageVolGetXMLDesc(v.pool, v.name));
  }

  /** A running pool's refreshed info; VALIDATION naming `pool` when there is none or it is stopped. */
  private async runningPool(c: Connection, name: string): Promise<StoragePoolInfo> {
    try {
      await c.storagePoolRefresh(name);
      const info = await c.storagePoolGetInfo(name);
      if (!info.active) {
        throw new AppError("VALIDATION", `pool: the storage pool '${name}' is not running`, { field: "pool" });
      }
      return info;
    } catch (e) {
      if (isNoStoragePool(e)) {
        throw new AppError("VALIDATION", `pool: no storage pool '${name}'`, { field: "pool" });
      }
      if (e instanceof AppError) throw e;
      // A stopped pool refuses the refresh (operation invalid): say which.
      const info = await c.storagePoolGetInfo(name).catch(() => null);
      if (info && !info.active) {
        throw new AppError("VALIDATION", `pool: the storage pool '${name}' is not running`, { field: "pool" });
      }
      throw this.ctx.fail(e, `read the storage pool '${name}'`);
    }
  }

  private async lookup(c: Connection, volPath: string): Promise<StorageVolInfo | null> {
    try {
      return await c.storageVolLookupByPath(volPath);
    } catch (e) {
      if (isNoStorageVol(e)) return null;
      throw this.ctx.fail(e, `look up the volume ${volPath}`);
    }
  }

  private async volumeIn(c: Connection, pool: string, name: string): Promise<StorageVolInfo | null> {
    try {
      return await c.storageVolGetInfo(pool, name);
    } catch {
      return null;
    }
  }
}

/** `<target><format type='…'/>` of a volume's XML: qcow2 or raw. */
export function formatOf(volXml: string): VolumeFormat {
  return /<target>[\s\S]*?<format type=['"]qcow2['"]/.test(volXml) ? "qcow2" : "raw";
}
