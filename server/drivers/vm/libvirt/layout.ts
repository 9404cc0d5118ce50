// Where a Tandem VM's own files live: `${dataDir}/vms/<uuid>/` holds its disk overlays or
// copies, its cloud-init seed, serial log and NVRAM, and nothing else lives there. A purge
// removes exactly that directory. Until libvirt has the domain the directory carries an
// `.unfinished` mark, and only a marked directory that no domain owns is an orphan (orphans.ts):
// a delete without purge keeps the VM's files on purpose, and no sweep may take them.
// Path names are pure, so the planners use them without touching the disk.
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../../../domain/errors";
import { shareDir, type QemuIdentity } from "./qemu-access";

/** A domain uuid as libvirt prints it, and the only directory name under vms/ Tandem makes. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class VmLayout {
  readonly dataDir: string;
  readonly vmsDir: string;

  constructor(dataDir: string) {
    this.dataDir = path.resolve(dataDir);
    this.vmsDir = path.join(this.dataDir, "vms");
  }

  dir(uuid: string): string {
    if (!UUID_RE.test(uuid)) throw new AppError("INTERNAL", "refusing a non-UUID directory name");
    return path.join(this.vmsDir, uuid);
  }

  /** The first disk is `disk.qcow2`; further ones are named after their target (`disk-vdb.qcow2`). */
  disk(uuid: string, target?: string): string {
    return path.join(this.dir(uuid), target === undefined ? "disk.qcow2" : `disk-${target}.qcow2`);
  }

  seed(uuid: string): string {
    return path.join(this.dir(uuid), "seed.iso");
  }

  /** A clone's copy of other writable media from its source's directory (not a seed). */
  media(uuid: string): string {
    return path.join(this.dir(uuid), "media.img");
  }

  serialLog(uuid: string): string {
    return path.join(this.dir(uuid), "serial.log");
  }

  nvram(uuid: string): string {
    return path.join(this.dir(uuid), "nvram.fd");
  }

  /** Whether `file` is inside this VM's own directory. */
  owns(uuid: string, file: string): boolean {
    return path.resolve(file).startsWith(this.dir(uuid) + path.sep);
  }

  /**
   * Makes `vms/<uuid>/` (and `vms/`) for a new VM: 0710 root:<QEMU's group>, so QEMU can open
   * the files libvirt hands it and no other user can list or open anything. CONFLICT when the
   * directory exists already.
   */
  async make(uuid: string, who: QemuIdentity | null): Promise<string> {
    const dir = this.dir(uuid);
    await mkdir(this.vmsDir, { recursive: true, mode: 0o700 });
    await shareDir(this.vmsDir, who);
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST")
        throw new AppError("CONFLICT", `VM ${uuid} already has files`);
      throw e;
    }
    await writeFile(this.unfinishedMark(uuid), "", { mode: 0o600 });
    await shareDir(dir, who);
    return dir;
  }

  /** Called once libvirt has the domain: from then on the files are the VM's, kept or purged with it. */
  async markDefined(uuid: string): Promise<void> {
    await rm(this.unfinishedMark(uuid), { force: true });
  }

  /** Whether the directory was made by a create or clone that never reached libvirt's define. */
  async isUnfinished(uuid: string): Promise<boolean> {
    return stat(this.unfinishedMark(uuid)).then(
      () => true,
      () => false,
    );
  }

  private unfinishedMark(uuid: string): string {
    return path.join(this.dir(uuid), ".unfinished");
  }

  async remove(uuid: string): Promise<void> {
    await rm(this.dir(uuid), { recursive: true, force: true });
  }

  /** The uuids that have a directory under vms/ (names that are not uuids are not Tandem's). */
  async uuids(): Promise<string[]> {
    try {
      return (await readdir(this.vmsDir)).filter((n) => UUID_RE.test(n));
    } catch {
      return []; // no VMs made yet
    }
  }
}
