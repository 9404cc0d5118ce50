// One bulk sample of many containers: cgroup counters (CPU, memory working set, block I/O, pids,
// OOM kills) and the host-side veth's byte counters, one synchronous pass over pseudo-files.
import type { GuestSample } from "../../../domain/driver";
import { parseGuestId } from "../../../domain/ids";
import { Network } from "./network";
import type { ContainerProcs } from "./proc";
import type { RecordStore } from "./store";

/** What `sample` returns for containers: the shared fields plus what cgroups also tell. */
export interface ContainerSample extends GuestSample {
  oomKills: number;
  memoryWorkingSetBytes: number;
}

export function sampleContainers(
  ids: string[],
  store: RecordStore,
  procs: ContainerProcs,
  memTotalBytes: number,
): ContainerSample[] {
  const at = Date.now();
  const out: ContainerSample[] = [];
  for (const id of ids) {
    const p = parseGuestId(id);
    const rec = p ? store.find(p.uuid) : undefined;
    if (!rec || rec.creating) continue;
    const s = procs.stats(rec.uuid);
    if (!s) continue;
    const net = rec.network.hostVeth ? Network.readCounters(rec.network.hostVeth) : { rx: 0, tx: 0 };
    out.push({
      id,
      at,
      cpuTimeNs: s.cpuTimeNs,
      cpuCount: s.cpuQuotaCores ?? rec.vcpus,
      memoryUsedBytes: s.memoryWorkingSetBytes,
      memoryWorkingSetBytes: s.memoryWorkingSetBytes,
      memoryLimitBytes: s.memoryLimitBytes ?? memTotalBytes,
      diskReadBytes: s.blkReadBytes,
      diskWriteBytes: s.blkWriteBytes,
      netRxBytes: net.rx,
      netTxBytes: net.tx,
      pids: s.pids,
      oomKills: rec.oomKills + s.oomKills,
    });
  }
  return out;
}
