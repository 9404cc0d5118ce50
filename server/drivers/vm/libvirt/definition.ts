// Changes to a VM's own definition: a new libvirt name (libvirt renames only inactive domains)
// and new vCPUs and memory (the inactive XML rewritten in place), both while it is shut down.
import { DefineFlag, XMLFlag } from "../../../../native/libvirt/index";
import { GuestName } from "../../../contract/guest";
import { AppError, invalidState } from "../../../domain/errors";
import { resizeDomainXml } from "./clone-xml";
import type { VmContext } from "./context";

export async function renameVm(ctx: VmContext, id: string, name: string): Promise<void> {
  const parsed = GuestName.safeParse(name);
  if (!parsed.success) throw new AppError("VALIDATION", `invalid VM name: ${parsed.error.issues[0]?.message}`);
  const uuid = ctx.uuidOf(id);
  await ctx.withDomain(id, "rename the VM", async (d) => {
    if (await d.isActive()) throw invalidState("shut the VM down to rename it");
    await d.rename(name);
  });
  ctx.hub.emit({ type: "changed", id: ctx.idOf(uuid) });
}

export async function resizeVm(
  ctx: VmContext,
  id: string,
  size: { vcpus?: number; memoryMiB?: number },
): Promise<void> {
  if (size.vcpus !== undefined && (!Number.isInteger(size.vcpus) || size.vcpus < 1)) {
    throw new AppError("VALIDATION", "a VM's vcpus must be a whole number of at least 1");
  }
  const uuid = ctx.uuidOf(id);
  await ctx.withDomain(id, "resize the VM", async (d, c) => {
    if (await d.isActive()) throw invalidState("shut the VM down to change its vCPUs or memory");
    const xml = resizeDomainXml(await d.getXMLDesc(XMLFlag.INACTIVE), size);
    (await c.defineDomain(xml, DefineFlag.VALIDATE)).free();
  });
  ctx.hub.emit({ type: "changed", id: ctx.idOf(uuid) });
}
