// VM directories nobody owns. A create or clone makes `vms/<uuid>/` (marked unfinished) before
// libvirt has the domain; killed in between, it leaves a directory (maybe a disk) nothing points
// at. Once per process, on the first full listing (the services list every driver on start), such
// directories are removed and logged. Only a directory still marked unfinished is ever a candidate:
// the files a delete without purge kept are the user's. A directory is kept while a create or clone is filling it
// (whileBuilding) or while a domain with its uuid exists (asked again right before removal, for
// a create that finished after the listing was read; any doubt keeps the directory).
import { isNoDomain } from "../../../../native/libvirt/index";
import type { VmContext } from "./context";

export class OrphanSweep {
  /** VMs whose files are being made right now. */
  private readonly building = new Set<string>();
  private swept = false;

  constructor(private readonly ctx: VmContext) {}

  /** Marks a VM's directory as in use while `work` makes its files. */
  async whileBuilding<T>(uuid: string, work: () => Promise<T>): Promise<T> {
    this.building.add(uuid);
    try {
      return await work();
    } finally {
      this.building.delete(uuid);
    }
  }

  /** The sweep, the first time a full listing is seen (later listings do nothing). */
  async onListing(domainUuids: Set<string>): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    await this.sweep(domainUuids);
  }

  /** Removes the directories under vms/ that no domain owns and no create fills; returns their uuids. */
  async sweep(domainUuids: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const uuid of await this.ctx.layout.uuids()) {
      if (domainUuids.has(uuid) || this.building.has(uuid) || !(await this.ctx.layout.isUnfinished(uuid))) continue;
      if (await this.hasDomain(uuid)) continue;
      if (this.building.has(uuid)) continue; // a create with this uuid began while libvirt answered
      this.ctx.log.warn({ uuid }, "removing the files of a VM whose creation was interrupted");
      try {
        await this.ctx.layout.remove(uuid);
        removed.push(uuid);
      } catch (e) {
        this.ctx.log.error({ uuid, err: String(e) }, "could not remove an orphaned VM directory");
      }
    }
    return removed;
  }

  private async hasDomain(uuid: string): Promise<boolean> {
    try {
      const c = await this.ctx.conn();
      (await c.lookupDomainByUUID(uuid)).free();
      return true;
    } catch (e) {
      return !isNoDomain(e);
    }
  }
}
