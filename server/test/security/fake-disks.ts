// In-memory storage pools and VM disks for the security tests (authz matrix, REST fuzz), so
// the storage and disk routes can answer their success statuses without libvirt. Never the
// proof that disks work: guest-disks.int.test.ts and api-disks.int.test.ts are, on libvirtd.
import type { DriverGuest } from "../../domain/driver";
import { AppError, invalidState } from "../../domain/errors";
import type { DiskCapable, DriverDisk, VolumeRef } from "../../domain/guest-disks";
import type { NewVolume, StorageBackend, StoragePool, StorageVolume } from "../../domain/storage";

const TiB = 1024 ** 4;

/** Two running pools of 1 TiB each ("tandem", the default, and "spare"); volumes as records. */
export class FakeStorage implements StorageBackend {
  readonly defaultPool = "tandem";
  private readonly vols = new Map<string, StorageVolume>();

  async ensureDefaultPool(): Promise<void> {}

  async listPools(): Promise<StoragePool[]> {
    return ["tandem", "spare"].map((name) => {
      const used = [...this.vols.values()].filter((v) => v.pool === name);
      const allocation = used.reduce((n, v) => n + v.capacityBytes, 0);
      return {
        name,
        type: "dir",
        state: "running",
        path: `/fake/${name}`,
        capacityBytes: TiB,
        allocationBytes: allocation,
        availableBytes: TiB - allocation,
        isDefault: name === this.defaultPool,
        volumeCount: used.length,
      };
    });
  }

  async createVolume(v: NewVolume): Promise<StorageVolume> {
    const vol = { name: v.name, pool: v.pool, path: `/fake/${v.pool}/${v.name}`, capacityBytes: v.capacityBytes };
    if (this.vols.has(vol.path)) throw new AppError("CONFLICT", `${v.pool} has a volume ${v.name}`);
    const made = { ...vol, allocationBytes: 0 };
    this.vols.set(made.path, made);
    return made;
  }

  async deleteVolume(path: string): Promise<void> {
    this.vols.delete(path);
  }

  async volumeAt(path: string): Promise<StorageVolume | null> {
    return this.vols.get(path) ?? null;
  }

  async resizeVolume(path: string, capacityBytes: number): Promise<StorageVolume> {
    const v = this.vols.get(path);
    if (!v) throw new AppError("NOT_FOUND", `no volume at ${path}`);
    if (capacityBytes < v.capacityBytes) throw new AppError("VALIDATION", "sizeGiB: volumes only grow");
    v.capacityBytes = capacityBytes;
    return v;
  }

  async copyVolume(path: string, pool: string, name: string): Promise<StorageVolume> {
    const v = this.vols.get(path);
    if (!v) throw new AppError("NOT_FOUND", `no volume at ${path}`);
    return this.createVolume({ pool, name, capacityBytes: v.capacityBytes, format: "qcow2", allocation: "sparse" });
  }
}

/** A VM's disks as records: vda of 1 GiB, then whatever is attached. */
export class FakeDisks implements DiskCapable {
  private readonly disks = new Map<string, DriverDisk[]>();

  constructor(
    private readonly guest: (id: string) => Promise<DriverGuest>,
    private readonly storage: FakeStorage,
  ) {}

  async listDisks(id: string): Promise<DriverDisk[]> {
    await this.guest(id);
    return this.of(id);
  }

  async attachDisk(id: string, volume: VolumeRef): Promise<{ target: string }> {
    await this.guest(id);
    const list = this.of(id);
    const target = `vd${String.fromCharCode(97 + list.length)}`;
    const capacityBytes = (await this.storage.volumeAt(volume.path))?.capacityBytes ?? 0;
    list.push({ target, path: volume.path, format: volume.format, capacityBytes, readOnly: false });
    return { target };
  }

  async detachDisk(id: string, target: string): Promise<void> {
    await this.guest(id);
    this.disks.set(
      id,
      this.of(id).filter((d) => d.target !== target),
    );
  }

  async growDiskLive(id: string, target: string, bytes: number): Promise<void> {
    if ((await this.guest(id)).state !== "running") throw invalidState("the VM is not running");
    const d = this.of(id).find((x) => x.target === target);
    if (d) d.capacityBytes = bytes;
  }

  async diskClones(id: string): Promise<{ id: string; name: string }[]> {
    await this.guest(id);
    return [];
  }

  async switchDisk(id: string, target: string, to: VolumeRef): Promise<void> {
    if ((await this.guest(id)).state === "running") throw invalidState("shut the VM down to move its disk");
    const d = this.of(id).find((x) => x.target === target);
    if (d) d.path = to.path;
  }

  private of(id: string): DriverDisk[] {
    let list = this.disks.get(id);
    if (!list) {
      list = [
        {
          target: "vda",
          path: `/fake/vms/${id}/disk.qcow2`,
          format: "qcow2",
          capacityBytes: 1024 ** 3,
          readOnly: false,
        },
      ];
      this.disks.set(id, list);
    }
    return list;
  }
}
