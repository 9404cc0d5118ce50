// A copy of a stopped VM under a new name and uuid. `linked`: each writable disk becomes a new
// qcow2 overlay backed by the source's disk file (instant, but the source becomes the clones'
// template: templates.ts). `full`: each disk is copied (qemu-img convert, the backing chain
// flattened) into an independent qcow2. The domain XML is the source's with a new name, uuid,
// MACs, serial log, NVRAM copy, a new cloud-init seed (new instance-id and hostname) and
// Tandem metadata naming the source (clone-xml.ts). What is copied is planned by clone-plan.ts.
// A failure leaves nothing behind: the clone's domain (if defined) and directory go.
import { existsSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { DefineFlag, DomainState, UndefineFlag, XMLFlag, type Domain } from "../../../../native/libvirt/index";
import type { DriverGuest, Progress } from "../../../domain/driver";
import { AppError, invalidState } from "../../../domain/errors";
import { planClone, validateCloneOptions, type CloneOptions } from "./clone-plan";
import { cloneDomainXml } from "./clone-xml";
import type { VmContext } from "./context";
import { measureCloneDisk, prepareCloneDisks } from "./disk-prep";
import type { IsolatedNetwork } from "./network";
import type { GuestReader } from "./reads";
import { parseDomainXml } from "./xml-parse";

export async function cloneVm(
  parts: { ctx: VmContext; reads: GuestReader; network: IsolatedNetwork },
  id: string,
  opts: CloneOptions,
  progress: (p: Progress) => void,
): Promise<DriverGuest> {
  const { ctx, reads, network } = parts;
  validateCloneOptions(opts);
  const srcUuid = ctx.uuidOf(id);
  const { uuid } = opts;
  const newId = ctx.idOf(uuid);
  progress({ percent: 2, message: "checking" });

  // The source, stopped, and its persistent definition.
  const { xml, parsed } = await ctx.withDomain(id, "read the VM to clone", async (d) => {
    const st = await d.getState();
    const state = ctx.transitions.stateOf(srcUuid, st.code, st.reason);
    if (st.code !== DomainState.SHUTOFF) throw invalidState(`stop ${d.name} before cloning it: it is ${state}`);
    if (!(await d.isPersistent())) {
      throw new AppError("VALIDATION", `${d.name} is a transient domain: it has no definition to clone`);
    }
    const x = await d.getXMLDesc(XMLFlag.INACTIVE | XMLFlag.SECURE);
    return { xml: x, parsed: parseDomainXml(x) };
  });
  const c = await ctx.conn();
  const taken = `a VM named '${opts.name}' (or with uuid ${uuid}) already exists`;
  await ctx.refuseTaken(() => c.lookupDomainByName(opts.name), "check the clone's name", taken);
  await ctx.refuseTaken(() => c.lookupDomainByUUID(uuid), "check the clone's name", taken);

  const plan = planClone(parsed, opts, {
    layout: ctx.layout,
    sourceUuid: srcUuid,
    sourceId: id,
    isolatedNetwork: network.name,
    now: new Date().toISOString(),
  });

  await ctx.layout.make(uuid, await ctx.qemu(c));
  let defined = null as Domain | null;
  try {
    const files = await prepareCloneDisks(plan, opts, progress, ctx.log);

    // NVRAM: the source's UEFI variables, copied; libvirt makes a fresh store if there is none.
    let nvram: string | null = null;
    if (parsed.nvram && ctx.isLocalUri() && existsSync(parsed.nvram)) {
      nvram = ctx.layout.nvram(uuid);
      await copyFile(parsed.nvram, nvram);
    }

    const meta = { ...plan.meta, diskBytes: await measureCloneDisk(plan) };
    const cloneXml = cloneDomainXml(xml, {
      name: opts.name,
      uuid,
      files,
      serialLog: ctx.layout.serialLog(uuid),
      nvram,
      nics: new Map((opts.nics ?? []).map((n) => [n.from, { mac: n.mac, target: n.iface }])),
      meta,
    });
    progress({ percent: 92, message: "defining the domain" });
    if (meta.network === "isolated" && parsed.nics.some((n) => n.network === network.name)) await network.ensure(c);
    try {
      defined = await c.defineDomain(cloneXml, DefineFlag.VALIDATE);
    } catch (e) {
      throw ctx.fail(e, "define the clone", newId);
    }
    await ctx.layout.markDefined(uuid);
    progress({ percent: 100, message: `${opts.mode} clone of ${parsed.name} created` });
    return await reads.get(newId);
  } catch (e) {
    if (defined) await defined.undefine(UndefineFlag.SNAPSHOTS_METADATA | UndefineFlag.NVRAM).catch(() => undefined);
    await ctx.layout.remove(uuid);
    throw e instanceof AppError ? e : ctx.fail(e, "clone the VM", id);
  } finally {
    defined?.free();
  }
}
