// Making a new VM: the plan (create-plan.ts: every input checked first), then the name checked
// against libvirt, the VM's directory, its disks and seed (disk-prep.ts), the isolated network
// when asked for, the definition and, unless told not to, the start. A failure at any step
// leaves nothing behind: the domain (if defined) is destroyed and undefined, the directory removed.
import { UndefineFlag, type Domain } from "../../../../native/libvirt/index";
import type { DriverGuest, GuestSpec, Progress } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import { seedTool } from "./cloud-init";
import type { VmContext } from "./context";
import { planCreate } from "./create-plan";
import { prepareCreateDisks } from "./disk-prep";
import type { IsolatedNetwork } from "./network";
import type { GuestReader } from "./reads";
import type { StartPrep } from "./start-prep";
import { buildDomainXml } from "./xml-build";
import { parseDomainXml } from "./xml-parse";

export async function createVm(
  parts: { ctx: VmContext; reads: GuestReader; startPrep: StartPrep; network: IsolatedNetwork },
  spec: GuestSpec<"vm">,
  progress: (p: Progress) => void,
): Promise<DriverGuest> {
  const { ctx, reads, startPrep, network } = parts;
  const plan = planCreate(spec, {
    accel: ctx.accel,
    layout: ctx.layout,
    isolatedNetwork: network.name,
    seedTool:
      spec.resolvedImage.format === "qcow2" || spec.resolvedImage.format === "raw" ? !!(await seedTool()) : false,
    now: new Date().toISOString(),
  });
  const { uuid } = plan;
  const id = ctx.idOf(uuid);

  progress({ percent: 5, message: "checking" });
  const c = await ctx.conn();
  await ctx.refuseTaken(
    () => c.lookupDomainByName(spec.name),
    "check the VM name",
    `a VM named '${spec.name}' already exists on this host`,
  );
  await ctx.layout.make(uuid, await ctx.qemu(c));

  let defined = null as Domain | null;
  try {
    progress({ percent: 15, message: "preparing disks" });
    const diskBytes = await prepareCreateDisks(plan, ctx.log);
    if (plan.network === "isolated") {
      progress({ percent: 45, message: `starting network ${network.name}` });
      await network.ensure(c);
    }
    progress({ percent: 60, message: "defining the domain" });
    const xml = buildDomainXml({ ...plan.domain, meta: { ...plan.domain.meta, diskBytes } });
    try {
      // No VALIDATE here: libvirtd loads its RelaxNG schema on every validated define (~20 ms).
      // This XML comes only from buildDomainXml, whose every shape is checked against the same
      // schema by xml-schema.int.test.ts; XML that others wrote (clones) is still validated.
      defined = await c.defineDomain(xml);
    } catch (e) {
      throw ctx.fail(e, "define the VM", id);
    }
    await ctx.layout.markDefined(uuid);
    if (plan.start) {
      progress({ percent: 80, message: "starting" });
      await startPrep.ensureHostGuard(c);
      // The chains are the ones this plan pinned in the XML: no qemu-img to read them back.
      const pinned = new Map(plan.domain.disks.map((d) => [d.path, d.backing ?? []]));
      await startPrep.reachFiles(c, parseDomainXml(xml), pinned);
      try {
        await defined.create();
      } catch (e) {
        throw ctx.fail(e, "start the VM", id);
      }
    }
    progress({ percent: 100, message: plan.start ? "running" : "created" });
    return await reads.get(id);
  } catch (e) {
    // Leave nothing behind: the domain (if defined) and this VM's directory.
    if (defined) {
      await defined.destroy().catch(() => undefined);
      await defined.undefine(UndefineFlag.SNAPSHOTS_METADATA | UndefineFlag.NVRAM).catch(() => undefined);
    }
    await ctx.layout.remove(uuid);
    throw e instanceof AppError ? e : ctx.fail(e, "create the VM", id);
  } finally {
    defined?.free();
  }
}
