// The 1-second sample of running VMs: one virConnectGetAllDomainStats call for all of them
// (never one per guest), mapped by stats.ts. The 100 % line of a VM is its vCPU count, read
// from the domain XML by the last listing (a VM not listed yet makes the sampler list once).
import { StatsFlag } from "../../../../native/libvirt/index";
import type { GuestSample } from "../../../domain/driver";
import { parseGuestId } from "../../../domain/ids";
import type { VmContext } from "./context";
import type { GuestReader } from "./reads";
import { SAMPLE_GROUPS, toSample } from "./stats";

export async function sampleVms(ctx: VmContext, reads: GuestReader, ids: string[]): Promise<GuestSample[]> {
  const wanted = new Map<string, string>();
  for (const id of ids) {
    const p = parseGuestId(id);
    if (p && p.kind === "vm" && p.hostId === ctx.hostId) wanted.set(p.uuid, id);
  }
  if (wanted.size === 0) return [];
  const c = await ctx.conn();
  let recs;
  try {
    recs = await c.getAllDomainStats(SAMPLE_GROUPS, StatsFlag.ACTIVE);
  } catch (e) {
    throw ctx.fail(e, "read VM statistics");
  }
  const at = Date.now();
  if (recs.some((r) => wanted.has(r.uuid) && reads.vcpusOf(r.uuid) === undefined)) {
    await reads.list().catch(() => undefined);
  }
  const out: GuestSample[] = [];
  for (const r of recs) {
    const id = wanted.get(r.uuid);
    if (id) out.push(toSample(id, at, r.params, reads.vcpusOf(r.uuid) ?? 1));
  }
  return out;
}
