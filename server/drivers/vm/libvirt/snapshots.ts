// Internal snapshots through libvirt: list (oldest first, `current` as libvirt marks it),
// create, revert and delete. A revert may start QEMU again, so it passes the same checks as a
// start: not on a template (templates.ts) and with the VM's files reachable (start-prep.ts).
import { XMLBuilder } from "fast-xml-parser";
import { isNoSnapshot } from "../../../../native/libvirt/index";
import { CreateSnapshotBody } from "../../../contract/guest-extras";
import type { SnapshotInfo } from "../../../domain/driver";
import { AppError, notFound } from "../../../domain/errors";
import type { VmContext } from "./context";
import type { StartPrep } from "./start-prep";
import type { Templates } from "./templates";
import { parseSnapshotXml } from "./xml-parse";

const snapshotBuilder = new XMLBuilder({ format: false, suppressEmptyNode: true });

export class Snapshots {
  constructor(
    private readonly ctx: VmContext,
    private readonly templates: Templates,
    private readonly startPrep: StartPrep,
  ) {}

  /** Oldest first; `current` marks the snapshot the VM's state descends from (libvirt's). */
  async list(id: string): Promise<SnapshotInfo[]> {
    return this.ctx.withDomain(id, "list snapshots", async (d) => {
      const snaps = (await d.listSnapshotsDetailed()).map((s) => ({ ...parseSnapshotXml(s.xml), current: s.current }));
      // creationTime has one-second resolution: a parent still sorts before its child.
      snaps.sort(
        (a, b) =>
          a.createdAt.localeCompare(b.createdAt) ||
          (b.parent === a.name ? -1 : a.parent === b.name ? 1 : a.name.localeCompare(b.name)),
      );
      return snaps.map((s): SnapshotInfo => ({
        name: s.name,
        description: s.description,
        createdAt: s.createdAt,
        state: s.state,
        current: s.current,
      }));
    });
  }

  async create(id: string, name: string, description?: string): Promise<void> {
    // The API's own limits (contract), so what passed the route never fails here.
    const ok = CreateSnapshotBody.safeParse({ name, description });
    if (!ok.success)
      throw new AppError("VALIDATION", `invalid snapshot: ${ok.error.issues[0]?.message ?? "bad input"}`);
    const xml = snapshotBuilder.build({
      domainsnapshot: { name, ...(description ? { description } : {}) },
    }) as string;
    await this.ctx.withDomain(id, "create a snapshot", async (d) => {
      await d.snapshotCreateXML(xml);
    });
  }

  async revert(id: string, name: string): Promise<void> {
    await this.ctx.withDomain(id, "revert to the snapshot", async (d, c) => {
      await this.templates.refuseIfTemplate(c, d, "revert");
      // A running snapshot starts QEMU again: its files must be reachable as for a start.
      await this.startPrep.beforeStart(c, d);
      await d.revertToSnapshot(name).catch((e: unknown) => {
        throw isNoSnapshot(e) ? notFound("snapshot", name) : e;
      });
    });
    this.ctx.hub.emit({ type: "changed", id });
  }

  async delete(id: string, name: string): Promise<void> {
    await this.ctx.withDomain(id, "delete the snapshot", async (d) => {
      await d.deleteSnapshot(name).catch((e: unknown) => {
        throw isNoSnapshot(e) ? notFound("snapshot", name) : e;
      });
    });
  }
}
