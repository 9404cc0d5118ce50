// Linked clones make their source a template. A linked clone's overlay holds only what the clone
// changed; the rest is read from the source's disk file, which must therefore never change or
// go. While any domain lists one of a VM's disk files as its `backing`, starting or reverting
// that VM (it would write the file) and purging it (it would delete the file) are refused with
// CONFLICT naming the clones. See README.md.
import path from "node:path";
import { XMLFlag, type Connection, type Domain } from "../../../../native/libvirt/index";
import { AppError } from "../../../domain/errors";
import type { VmContext } from "./context";
import { parseDomainXml, type ParsedDomain } from "./xml-parse";

export interface CloneRef {
  id: string;
  name: string;
}

/** The file-backed disks of a domain: what a linked clone can rest on. */
export function diskFiles(p: ParsedDomain): string[] {
  return p.disks.filter((x) => x.path && x.type === "file").map((x) => x.path!);
}

export class Templates {
  constructor(private readonly ctx: VmContext) {}

  /** The linked clones (other domains) whose overlays are backed by one of `files`, by name. */
  async clonesOf(c: Connection, selfUuid: string, files: readonly string[]): Promise<CloneRef[]> {
    const mine = new Set(files.map((f) => path.resolve(f)));
    if (mine.size === 0) return [];
    const out: CloneRef[] = [];
    for (const d of await c.listAllDomainsDetailed()) {
      d.domain.free();
      if (d.uuid === selfUuid) continue;
      let backing: string[] = [];
      try {
        backing = parseDomainXml(d.xml).tandem?.backing ?? [];
      } catch {
        continue;
      }
      if (backing.some((b) => mine.has(path.resolve(b)))) out.push({ id: this.ctx.idOf(d.uuid), name: d.name });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The linked clones built on this VM's disks (for the UI and for checks before a task starts). */
  async linkedClones(id: string): Promise<CloneRef[]> {
    return this.ctx.withDomain(id, "find linked clones", async (d, c) => {
      const p = parseDomainXml(await d.getXMLDesc(XMLFlag.INACTIVE));
      return this.clonesOf(c, d.uuid, diskFiles(p));
    });
  }

  /** CONFLICT, naming the clones, when this VM's disk files back linked clones. */
  async refuseIfTemplate(
    c: Connection,
    d: Domain,
    what: "start" | "revert" | "purge",
    parsed?: ParsedDomain,
  ): Promise<void> {
    const p = parsed ?? parseDomainXml(await d.getXMLDesc(XMLFlag.INACTIVE));
    const clones = (await this.clonesOf(c, d.uuid, diskFiles(p))).map((x) => x.name);
    if (clones.length === 0) return;
    const verb = { start: "start", revert: "revert", purge: "delete the disks of" }[what];
    throw new AppError(
      "CONFLICT",
      `cannot ${verb} ${d.name}: its disk is the base of the linked clone${clones.length > 1 ? "s" : ""} ` +
        `${clones.join(", ")} — ${what === "purge" ? "deleting it would break them" : "writing to it would corrupt them"}. ` +
        "Delete the linked clones first (or make full clones instead).",
      { reason: "linked-clones", clones },
    );
  }
}
